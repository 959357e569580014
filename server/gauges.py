"""Gauges and readiness read from a process's drills when asked (``/metrics``, ``/readyz``).

They read :class:`~server.drills.Drills`, so they sit above it; the registry they
report into (:mod:`server.telemetry`) sits below, where the drills feed its histograms.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from .drills import Drills
from .hub import VIEWS
from .telemetry import readiness_of_bus


class DrillGauges(Collector):
    """The gauges of one process's drills: live drills, clients, store and bus state."""

    def __init__(self, drills: Drills) -> None:
        self.drills = drills

    def collect(self) -> Iterator[GaugeMetricFamily]:
        d = self.drills
        yield GaugeMetricFamily("firedrill_live_drills", "Drills held live here.", len(d.live))
        yield GaugeMetricFamily(
            "firedrill_drill_limit", "Live drills this process accepts.", d.limits.drills
        )
        owned = sum(1 for s in d.live.values() if s.owner)
        yield GaugeMetricFamily(
            "firedrill_owned_drills", "Live drills whose clock runs here (lease held).", owned
        )
        clients = GaugeMetricFamily(
            "firedrill_clients",
            "WebSocket clients connected, by view (public: players and observers).",
            labels=["view"],
        )
        for view, n in sorted(_clients(d).items()):
            clients.add_metric([view], n)
        yield clients
        yield GaugeMetricFamily(
            "firedrill_store_ok", "1 while the store takes writes, 0 while it fails.", d.health.ok
        )
        yield GaugeMetricFamily(
            "firedrill_drills_waiting_for_store",
            "Drills paused until the store takes their save.",
            len(d.health.waiting),
        )
        bus = d.cluster.bus if d.cluster is not None else None
        if bus is not None:
            yield GaugeMetricFamily(
                "firedrill_bus_ok", "1 while the bus is connected.", readiness_of_bus(bus) is None
            )


def _clients(drills: Drills) -> dict[str, int]:
    counts = dict.fromkeys(VIEWS, 0)
    for s in drills.live.values():
        for view, clients in s.hub.clients.items():
            counts[view] += len(clients)
    return counts


@dataclass(frozen=True, slots=True)
class Readiness:
    """Whether this process should get traffic, and if not, every reason why."""

    ready: bool
    reasons: tuple[str, ...]


def readiness(drills: Drills, closing: Callable[[], bool] = lambda: False) -> Readiness:
    """Ready when the store takes writes, the bus (in a cluster) works and the server is
    not shutting down."""
    reasons = []
    if closing():
        reasons.append("shutting down")
    if not drills.health.ok:
        why = drills.health.error or "writes are failing"
        reasons.append(f"store: {why}")
    if drills.cluster is not None:
        bus = readiness_of_bus(drills.cluster.bus)
        if bus is not None:
            reasons.append(bus)
    return Readiness(not reasons, tuple(reasons))
