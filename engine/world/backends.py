"""Things services call: downstream dependencies, databases, topics.

Each collects the demand services offer during a tick (``offer``), then
``step`` turns demand into state and into the conditions callers see on the
next tick (one tick of propagation, like a real network hop).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import metrics

if TYPE_CHECKING:
    from ..scenario import BlockerFault, Database, Dependency, Topic


class DependencyState:
    """A downstream service with latency, errors, a timeout and a circuit breaker."""

    def __init__(self, spec: Dependency) -> None:
        self.spec = spec
        self.latency_ms = spec.latency_ms
        self.error_pct = spec.error_pct
        self.breaker_open = False
        self.fault_log: str | None = None  # what callers log while a fault lasts
        self.timeout_frac = 0.0
        self._demand = 0.0
        self._keys = [f"{spec.name}.{k}" for k in metrics.DEPENDENCY]
        self.vals: tuple[float, ...] = (0.0,) * len(self._keys)

    @property
    def m(self) -> dict[str, float]:
        return dict(zip(metrics.DEPENDENCY, self.vals, strict=True))

    def effect(self) -> tuple[float, float]:
        """(failure fraction, added latency ms) for one call by a caller."""
        if self.breaker_open:
            return (0.0, 1.0) if self.spec.fallback == "degrade" else (1.0, 1.0)
        timeout = self.spec.timeout_ms
        lat = self.latency_ms if self.latency_ms < timeout else timeout
        err = 1.0 - (1.0 - self.error_pct / 100.0) * (1.0 - self.timeout_frac)
        return err, lat

    def offer(self, calls_per_s: float) -> None:
        self._demand += calls_per_s

    def step(self, out: dict[str, float]) -> None:
        # Share of calls over the timeout: none well below it, all well above.
        ratio = self.latency_ms / self.spec.timeout_ms
        self.timeout_frac = min(1.0, max(0.0, (ratio - 0.7) / 0.6))
        calls = 0.0 if self.breaker_open else self._demand
        self.vals = (
            0.0 if self.breaker_open else min(self.latency_ms, self.spec.timeout_ms),
            0.0 if self.breaker_open else self.effect()[0] * 100.0,
            calls * self.timeout_frac,
            1.0 if self.breaker_open else 0.0,
            calls,
        )
        out.update(zip(self._keys, self.vals, strict=True))
        self._demand = 0.0


class DatabaseState:
    """A database behind a connection pool (Little's law: busy = rate x hold)."""

    TAU = 15.0  # seconds for the pool to fill or drain toward its target

    def __init__(self, spec: Database) -> None:
        self.spec = spec
        self.blocker: BlockerFault | None = None
        self.down_until = float("-inf")
        self.demand_conns = 0.0  # smoothed connections wanted
        self.timeout_frac = 0.0
        self.wait_ms = 0.0
        self.locks = 40.0
        self._arrivals = 0.0
        self._keys = [f"{spec.name}.{k}" for k in metrics.DATABASE]
        self.vals: tuple[float, ...] = (0.0,) * len(self._keys)

    @property
    def m(self) -> dict[str, float]:
        return dict(zip(metrics.DATABASE, self.vals, strict=True))

    def offer(self, queries_per_s: float) -> None:
        self._arrivals += queries_per_s

    def hold_s(self) -> float:
        factor = self.blocker.hold_factor if self.blocker is not None else 1.0
        return self.spec.query_ms * factor / 1000.0

    def step(self, now: float, dt: float, out: dict[str, float]) -> None:
        arrivals = self._arrivals
        self._arrivals = 0.0
        pool = float(self.spec.pool_size)
        up = now >= self.down_until
        if not up:
            self.demand_conns = 0.0
            self.timeout_frac = 1.0
            self.wait_ms = 0.0
        else:
            target = arrivals * self.hold_s()
            alpha = min(1.0, dt / self.TAU)
            self.demand_conns += (target - self.demand_conns) * alpha
            d = self.demand_conns
            self.timeout_frac = 1.0 - pool / d if d > pool else 0.0
            # Waiters sit up to the pool timeout; those served wait a share of it.
            self.wait_ms = self.spec.query_ms + (
                self.spec.wait_timeout_ms * min(1.0, (d / pool) - 0.8) if d > 0.8 * pool else 0.0
            )
            if self.blocker is not None:
                self.wait_ms += self.hold_s() * 1000.0 * 0.5
        lock_target = 40.0 + (self.demand_conns * 20.0 if self.blocker is not None else 0.0)
        self.locks += (lock_target - self.locks) * min(1.0, dt / 30.0)
        active = min(pool, self.demand_conns)
        waiting = max(0.0, self.demand_conns - pool)
        self.vals = (
            active,
            waiting,
            100.0 * active / pool,
            arrivals * self.timeout_frac,
            self.wait_ms if up else 0.0,
            self.locks,
            1.0 if up else 0.0,
        )
        out.update(zip(self._keys, self.vals, strict=True))


class TopicState:
    """A topic with partitions and one consumer group (eager rebalances)."""

    def __init__(self, spec: Topic) -> None:
        self.spec = spec
        g = spec.group
        self.consumers = g.consumers  # members that have joined
        self.target_consumers = g.consumers
        self.lag = 0.0
        self.paused_until = float("-inf")
        self.rebalances = 0
        self.poison: dict[int, int] = {}  # partition -> poison messages at its head
        self.next_crash = float("-inf")
        self.dlq = 0.0
        self.throttle_pct = 100.0  # share of producer demand allowed through
        self.reject_frac = 0.0
        self._demand = 0.0
        self._deferred = 0.0
        self.outbox = 0.0  # messages deferred by producer throttling
        self._keys = [f"{spec.name}.{k}" for k in metrics.TOPIC]
        self.vals: tuple[float, ...] = (0.0,) * len(self._keys)

    @property
    def m(self) -> dict[str, float]:
        return dict(zip(metrics.TOPIC, self.vals, strict=True))

    def offer(self, requests_per_s: float, allowed: float = 1.0) -> None:
        self._demand += requests_per_s * allowed
        self._deferred += requests_per_s * (1.0 - allowed)

    def rebalance(self, now: float) -> bool:
        """Stop-the-world pause for the whole group; True if a new one began."""
        began = now >= self.paused_until
        self.paused_until = max(self.paused_until, now + self.spec.group.rebalance)
        self.rebalances += 1
        return began

    def capacity(self, now: float) -> float:
        if now < self.paused_until or self.consumers <= 0:
            return 0.0
        parts = self.spec.partitions
        stuck = len(self.poison)
        active = min(self.consumers, parts)
        # Each member owns parts/active partitions; stuck ones consume nothing.
        healthy_share = (parts - stuck) / parts
        return active * self.spec.group.rate_per_consumer * healthy_share

    def nominal_rate(self) -> float:
        return min(self.consumers, self.spec.partitions) * self.spec.group.rate_per_consumer

    def step(self, now: float, dt: float, out: dict[str, float]) -> None:
        demand = self._demand * self.spec.msgs_per_request
        deferred = self._deferred * self.spec.msgs_per_request
        self._demand = self._deferred = 0.0
        # The outbox drains whenever the producer is allowed more than it needs.
        if self.throttle_pct >= 100.0 and self.outbox > 0:
            drain = min(self.outbox, demand * 0.5 * dt)
            self.outbox -= drain
            demand += drain / dt
        self.outbox += deferred * dt
        produced = demand * (1.0 - self.reject_frac)
        cap = self.capacity(now)
        consumed = min(cap, self.lag / dt + produced)
        self.lag = max(0.0, self.lag + (produced - consumed) * dt)
        fill = self.lag / self.spec.max_lag
        if fill > 0.9 and demand > 0:
            squeeze = min(1.0, (fill - 0.9) / 0.1)
            self.reject_frac = squeeze * max(0.0, 1.0 - consumed / demand)
        else:
            self.reject_frac = 0.0
        self.vals = (
            produced,
            consumed,
            self.lag,
            self.lag / max(1.0, self.nominal_rate()),
            float(self.consumers),
            1.0 if now < self.paused_until else 0.0,
            float(self.rebalances),
            min(100.0, 100.0 * fill),
            self.dlq,
            self.outbox,
            self.throttle_pct,
        )
        out.update(zip(self._keys, self.vals, strict=True))
