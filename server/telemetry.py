"""What a process reports to operators: Prometheus metrics, liveness and readiness.

``/metrics`` serves :class:`Telemetry`'s registry in the Prometheus text format: live
drills, connected clients per view, tick lateness, the time from a client's frame to its
answer, store-write and bus-publish latency and their failures. Gauges are read from the
server's state when scraped (nothing to keep in step); histograms are fed where the work
happens. Each app has its own registry, so two servers in one process (tests) do not mix,
and with ``--workers N`` each worker reports for itself: scrape each one (docs/deploy.md).

``/healthz`` says the process answers (restart it if not); ``/readyz`` says whether it
should get traffic: the store takes writes and, in a cluster, the bus is connected.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.registry import Collector

# Pacing is judged at 5 ms and replies at 50 ms (docs/reliability.md): buckets around both.
FAST = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Telemetry:
    """The metrics of one server process."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.tick_lateness = Histogram(
            "firedrill_tick_lateness_seconds",
            "How late each drill's clock tick woke, after its due wall time.",
            buckets=FAST,
            registry=r,
        )
        self.replies = Histogram(
            "firedrill_reply_seconds",
            "From a WebSocket frame's arrival to its ack or error frame.",
            ["outcome"],
            buckets=FAST,
            registry=r,
        )
        for outcome in ("ack", "error"):  # exported from the start, at zero
            self.replies.labels(outcome)
        self.store_writes = Histogram(
            "firedrill_store_write_seconds",
            "Time of each write to the drill store (an input is acknowledged only after it).",
            buckets=FAST,
            registry=r,
        )
        self.store_failures = Counter(
            "firedrill_store_write_failures", "Writes the drill store refused.", registry=r
        )
        self.bus_publishes = Histogram(
            "firedrill_bus_publish_seconds",
            "Time of each pipelined publish batch to the bus (Redis).",
            buckets=FAST,
            registry=r,
        )
        self.bus_failures = Counter(
            "firedrill_bus_failures", "Bus publishes or reads that failed.", registry=r
        )

    def store_write(self, seconds: float, ok: bool) -> None:
        """One write to the store took ``seconds``; ``ok`` False: the store refused it."""
        self.store_writes.observe(seconds)
        if not ok:
            self.store_failures.inc()

    def watch(self, gauges: Collector) -> None:
        """Report ``gauges`` (read from the server's state) at each scrape."""
        self.registry.register(gauges)

    def instrument(self, bus: Any) -> None:
        """Time ``bus``'s publishes and count its failures, if it reports them (RedisBus)."""
        if hasattr(bus, "on_publish"):
            bus.on_publish = self.bus_publishes.observe
            bus.on_failure = self.bus_failures.inc

    def render(self) -> bytes:
        """The registry in the Prometheus text exposition format."""
        return generate_latest(self.registry)


def readiness_of_bus(bus: Any) -> str | None:
    """Why ``bus`` is not usable now (None: it is); a bus without state is always usable."""
    error: str | None = getattr(bus, "error", None)
    return None if error is None else f"bus: {error}"
