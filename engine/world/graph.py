"""Service-to-service edges: a service called by other services.

A caller sees a callee service through a :class:`ServiceEdge`, the same way
it sees a dependency: ``demand`` it adds during a tick, ``effect()`` (failure
share and latency per call) and ``rev`` (moves when the effect does). The
callee takes the calls of the previous tick as extra offered load (one tick
per hop, like a dependency), so its saturation, errors and latency flow back
to every caller, and the retries of callers multiply its load.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..scenario import Service


class Callee(Protocol):
    """What an edge reads of the service it calls (a ``ServiceState`` is one)."""

    spec: Service
    offered: float  # requests offered last tick
    failed_rps: float  # of them failed (5xx)
    shed_rps: float  # of them shed (429)
    mean_latency_ms: float
    inbound: float  # calls from other services this tick, offered on top of traffic


class ServiceEdge:
    """Calls to one service with one caller-side timeout."""

    __slots__ = ("_effect", "callee", "demand", "rev", "timeout_ms")

    def __init__(self, callee: Callee, timeout_ms: float) -> None:
        self.callee = callee
        self.timeout_ms = timeout_ms
        self.demand = 0.0  # calls offered this tick
        self.rev = 0
        self._effect = (0.0, callee.spec.latency_ms.p50)

    def effect(self) -> tuple[float, float]:
        """(failure fraction, latency ms) of one call, from the callee's last tick."""
        return self._effect

    def update(self) -> None:
        """Read the callee's last tick: its 5xx and 429 share, its latency against the timeout."""
        c = self.callee
        total = c.offered
        err = (c.failed_rps + c.shed_rps) / total if total else 0.0
        lat = c.mean_latency_ms
        ratio = lat / self.timeout_ms
        timed_out = min(1.0, max(0.0, (ratio - 0.7) / 0.6))
        err = 1.0 - (1.0 - err) * (1.0 - timed_out)
        err = err if err < 1.0 else 1.0
        lat = lat if lat < self.timeout_ms else self.timeout_ms
        # Callers cache what they derive from an edge until its rev moves: float noise
        # in the callee's mean (traffic noise reorders the sums) is not a change.
        e0, l0 = self._effect
        if abs(err - e0) > 1e-6 or abs(lat - l0) > 0.01:
            self._effect = (err, lat)
            self.rev += 1
