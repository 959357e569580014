"""Things services call: downstream dependencies, databases, topics.

Services add the demand they offer during a tick to ``demand`` (a topic's
throttled share to ``deferred``), then ``step`` turns demand into state and
into the conditions callers see on the next tick (one tick of propagation,
like a real network hop).

Replay speed: ``step`` runs for every component every simulated second, so it
returns its dashboard values as one tuple (the world concatenates them) and
avoids method calls. ``rev`` counts changes to what *callers* see (a
dependency's ``effect()``, a pool's timeouts and wait, a topic's throttle and
back-pressure); services cache what they derive from it until it moves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import metrics

if TYPE_CHECKING:
    from ..scenario import BlockerFault, Cache, Database, Dependency, Topic


class DependencyState:
    """A downstream service with latency, errors, a timeout and a circuit breaker."""

    def __init__(self, spec: Dependency) -> None:
        self.spec = spec
        self.rev = 0
        self._latency_ms = spec.latency_ms
        self._error_pct = spec.error_pct
        self._breaker_open = False
        self.fault_log: str | None = None  # what callers log while a fault lasts
        self.timeout_frac = 0.0
        self.demand = 0.0  # calls per second offered this tick
        self.vals: tuple[float, ...] = (0.0,) * len(metrics.DEPENDENCY)  # this tick's metrics
        self._static_rev = -1  # rev the cached per-tick constants below belong to
        self._shown_latency = 0.0
        self._shown_err = 0.0
        # Capacity (optional): calls beyond it queue; the queue's wait adds to the
        # latency callers see, so a long enough queue times every call out.
        self.backlog = 0.0  # calls waiting
        self.wait_ms = 0.0
        self.reject_frac = 0.0  # calls refused because the queue is full
        # Quota (optional, engine/mechanics/quotas.py): calls beyond it are refused (429)
        # before they reach the provider's capacity.
        self._quota = spec.quota_rps
        self.throttle_frac = 0.0
        self.throttled = 0.0  # calls per second refused by the quota last tick
        # Retry waves (engine/mechanics/retries.py): retries sent without jitter this tick,
        # their backoff (s, summed per call), and what the waves do to every call.
        self.sync = 0.0
        self._sync_backoff = 0.0
        self.wave_frac = 0.0  # share of calls timing out behind a wave
        self.wave_wait_ms = 0.0  # mean wait a wave adds over a retry round
        self.wave_queue = 0.0  # mean calls a wave adds to the queue over a round
        self._waving = False  # retries without jitter offered, or a wave still showing

    # Faults and the breaker change these between ticks; callers must notice.
    @property
    def latency_ms(self) -> float:
        return self._latency_ms

    @latency_ms.setter
    def latency_ms(self, value: float) -> None:
        self._latency_ms = value
        self.rev += 1

    @property
    def error_pct(self) -> float:
        return self._error_pct

    @error_pct.setter
    def error_pct(self, value: float) -> None:
        self._error_pct = value
        self.rev += 1

    @property
    def breaker_open(self) -> bool:
        return self._breaker_open

    @breaker_open.setter
    def breaker_open(self, value: bool) -> None:
        self._breaker_open = value
        self.rev += 1

    @property
    def quota(self) -> float | None:
        return self._quota

    @quota.setter
    def quota(self, value: float | None) -> None:
        self._quota = value
        self.rev += 1

    @property
    def m(self) -> dict[str, float]:
        return dict(zip(metrics.DEPENDENCY, self.vals, strict=True))

    def effect(self) -> tuple[float, float]:
        """(failure fraction, added latency ms) for one call by a caller."""
        if self._breaker_open:
            return (0.0, 1.0) if self.spec.fallback == "degrade" else (1.0, 1.0)
        timeout = self.spec.timeout_ms
        total = self._latency_ms + self.wait_ms + self.wave_wait_ms
        lat = total if total < timeout else timeout
        err = 1.0 - (1.0 - self._error_pct / 100.0) * (1.0 - self.timeout_frac) * (
            1.0 - self.reject_frac
        ) * (1.0 - self.throttle_frac) * (1.0 - self.wave_frac)
        return err, lat

    def effect_at(self, timeout_ms: float) -> tuple[float, float]:
        """:meth:`effect` for a caller that gives up after ``timeout_ms`` instead."""
        if self._breaker_open:
            return self.effect()
        total = self._latency_ms + self.wait_ms
        # waves time calls out against the dependency's own timeout (``wave_frac``)
        lat = min(total + self.wave_wait_ms, timeout_ms)
        frac = min(1.0, max(0.0, (total / timeout_ms - 0.7) / 0.6))
        err = 1.0 - (1.0 - self._error_pct / 100.0) * (1.0 - frac) * (1.0 - self.reject_frac) * (
            1.0 - self.throttle_frac
        ) * (1.0 - self.wave_frac)
        return err, lat

    def _throttle(self) -> None:
        """Calls beyond the quota are refused at once (429): the share callers see fail."""
        quota = self._quota
        demand = 0.0 if self._breaker_open else self.demand
        frac = 1.0 - quota / demand if quota is not None and demand > quota else 0.0
        self.throttled = demand * frac
        if frac != self.throttle_frac:
            self.throttle_frac = frac
            self.rev += 1

    def _queue(self, dt: float) -> None:
        """Fluid queue: the backlog grows by demand beyond capacity, drains below it."""
        spec = self.spec
        cap = spec.capacity_rps
        assert cap is not None
        demand = 0.0 if self._breaker_open else self.demand * (1.0 - self.throttle_frac)
        limit = cap * spec.max_queue_s
        backlog = self.backlog + (demand - cap) * dt
        reject = 0.0
        if backlog > limit:
            reject = (backlog - limit) / (demand * dt) if demand > 0 else 0.0
            backlog = limit
        elif backlog < 0.0:
            backlog = 0.0
        self.backlog = backlog
        wait = 1000.0 * backlog / cap
        if wait != self.wait_ms or reject != self.reject_frac:
            self.wait_ms = wait
            self.reject_frac = reject
            self.rev += 1

    def offer_wave(self, calls: float, backoff_s: float) -> None:
        """Add ``calls`` per second of retries sent without jitter, after ``backoff_s``."""
        self.sync += calls
        self._sync_backoff += calls * backoff_s
        self._waving = True

    def _wave(self) -> None:
        """Retries without jitter arrive together, one wave per retry round.

        A round is an attempt (its latency, at most the timeout) and the backoff, so a
        wave holds ``sync x round`` calls. They queue behind each other and behind the
        backlog: those beyond ``capacity x timeout - backlog`` wait past the timeout and
        fail (and are retried in the next wave, on the same clock). While the wave drains,
        at the capacity the other calls leave, every call arriving behind it times out
        too. So a wave can keep a callee failing whose mean load fits; spread out (jitter)
        the same calls fit.
        """
        spec = self.spec
        cap = spec.capacity_rps
        sync = self.sync
        frac = wait = queue = 0.0
        if cap is not None and sync > 0.0 and not self._breaker_open:
            attempt = min(self._latency_ms + self.wait_ms + self.wave_wait_ms, spec.timeout_ms)
            period = attempt / 1000.0 + self._sync_backoff / sync
            wave = sync * period
            smooth = max(0.0, self.demand - sync)
            spare = cap - smooth  # the rate the wave drains at
            late = wave - (cap * spec.timeout_ms / 1000.0 - self.backlog)
            drain = wave / spare if spare > 0.0 else float("inf")
            if late > 0.0:
                jam = min(1.0, late / spare / period) if spare > 0.0 else 1.0
                frac = (late / wave * sync + jam * smooth) / (sync + smooth)
            if drain < period:  # a sawtooth: the wave drains before the next one
                queue = wave * drain / (2.0 * period)
            else:
                queue = wave - spare * period / 2.0 if spare > 0.0 else wave
            wait = 1000.0 * queue / cap
        self.sync = self._sync_backoff = 0.0
        self.wave_queue = queue
        self._waving = bool(frac or wait)
        if frac != self.wave_frac or wait != self.wave_wait_ms:
            self.wave_frac = frac
            self.wave_wait_ms = wait
            self.rev += 1

    def step(self, dt: float = 1.0) -> tuple[float, ...]:
        if self._quota is not None or self.throttle_frac:
            self._throttle()
        if self.spec.capacity_rps is not None:
            self._queue(dt)
            if self._waving:
                self._wave()
        if self._static_rev != self.rev:  # latency, errors, queue or breaker changed
            # Share of calls over the timeout: none well below it, all well above.
            ratio = (self._latency_ms + self.wait_ms) / self.spec.timeout_ms
            frac = min(1.0, max(0.0, (ratio - 0.7) / 0.6))
            if frac != self.timeout_frac:
                self.timeout_frac = frac
                self.rev += 1
            self._static_rev = self.rev
            closed = not self._breaker_open
            shown = self._latency_ms + self.wait_ms + self.wave_wait_ms
            self._shown_latency = min(shown, self.spec.timeout_ms) if closed else 0.0
            self._shown_err = self.effect()[0] * 100.0 if closed else 0.0
        calls = 0.0 if self._breaker_open else self.demand
        self.demand = 0.0
        tf = self.timeout_frac
        if self.wave_frac:  # calls behind a wave time out too
            tf = 1.0 - (1.0 - tf) * (1.0 - self.wave_frac)
        self.vals = vals = (
            self._shown_latency,
            self._shown_err,
            calls * tf,
            1.0 if self._breaker_open else 0.0,
            calls,
            self.backlog + self.wave_queue,
            100.0 * calls / cap if (cap := self.spec.capacity_rps) else 0.0,
        )
        return vals


class DatabaseState:
    """A database behind a connection pool (Little's law: busy = rate x hold)."""

    TAU = 15.0  # seconds for the pool to fill or drain toward its target

    def __init__(self, spec: Database) -> None:
        self.spec = spec
        self.rev = 0
        self.blocker: BlockerFault | None = None
        self.down_until = float("-inf")
        self.demand_conns = 0.0  # smoothed connections wanted
        self.timeout_frac = 0.0
        self.wait_ms = 0.0
        self.locks = 40.0
        self.demand = 0.0  # queries per second offered this tick
        self.vals: tuple[float, ...] = (0.0,) * len(metrics.DATABASE)  # this tick's metrics

    @property
    def m(self) -> dict[str, float]:
        return dict(zip(metrics.DATABASE, self.vals, strict=True))

    def hold_s(self) -> float:
        factor = self.blocker.hold_factor if self.blocker is not None else 1.0
        return self.spec.query_ms * factor / 1000.0

    def step(self, now: float, dt: float) -> tuple[float, ...]:
        spec = self.spec
        blocker = self.blocker
        arrivals = self.demand
        self.demand = 0.0
        pool = float(spec.pool_size)
        up = now >= self.down_until
        before = (self.timeout_frac, self.wait_ms)
        if not up:
            self.demand_conns = d = 0.0
            self.timeout_frac = timeout_frac = 1.0
            self.wait_ms = 0.0
        else:
            hold = self.hold_s()
            target = arrivals * hold
            alpha = dt / self.TAU
            alpha = alpha if alpha < 1.0 else 1.0  # min(1.0, ...) without a builtin call
            self.demand_conns = d = self.demand_conns + (target - self.demand_conns) * alpha
            self.timeout_frac = timeout_frac = 1.0 - pool / d if d > pool else 0.0
            # Waiters sit up to the pool timeout; those served wait a share of it.
            wait = spec.query_ms + (
                spec.wait_timeout_ms * min(1.0, (d / pool) - 0.8) if d > 0.8 * pool else 0.0
            )
            if blocker is not None:
                wait += hold * 1000.0 * 0.5
            self.wait_ms = wait
        if before != (timeout_frac, self.wait_ms):
            self.rev += 1
        lock_target = 40.0 + (d * 20.0 if blocker is not None else 0.0)
        rate = dt / 30.0
        self.locks += (lock_target - self.locks) * (rate if rate < 1.0 else 1.0)
        active = d if d < pool else pool
        waiting = d - pool if d - pool > 0.0 else 0.0
        self.vals = vals = (
            active,
            waiting,
            100.0 * active / pool,
            arrivals * timeout_frac,
            self.wait_ms if up else 0.0,
            self.locks,
            1.0 if up else 0.0,
        )
        return vals


class TopicState:
    """A topic with partitions and one consumer group (eager rebalances)."""

    def __init__(self, spec: Topic) -> None:
        self.spec = spec
        self.rev = 0
        g = spec.group
        self.consumers = g.consumers  # members that have joined
        self.target_consumers = g.consumers
        self.lag = 0.0
        self.paused_until = float("-inf")
        self.rebalances = 0
        self.poison: dict[int, int] = {}  # partition -> poison messages at its head
        self.next_crash = float("-inf")
        self.dlq = 0.0
        self._throttle_pct = 100.0  # share of producer demand allowed through
        self.reject_frac = 0.0
        self.demand = 0.0  # requests per second allowed through the producer throttle
        self.deferred = 0.0  # requests per second held back by it
        self.outbox = 0.0  # messages deferred by producer throttling
        self.vals: tuple[float, ...] = (0.0,) * len(metrics.TOPIC)  # this tick's metrics

    @property
    def throttle_pct(self) -> float:
        return self._throttle_pct

    @throttle_pct.setter
    def throttle_pct(self, value: float) -> None:
        self._throttle_pct = value
        self.rev += 1

    @property
    def m(self) -> dict[str, float]:
        return dict(zip(metrics.TOPIC, self.vals, strict=True))

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

    def step(self, now: float, dt: float) -> tuple[float, ...]:
        spec = self.spec
        per_request = spec.msgs_per_request
        demand = self.demand * per_request
        deferred = self.deferred * per_request
        self.demand = self.deferred = 0.0
        # The outbox drains whenever the producer is allowed more than it needs.
        if self._throttle_pct >= 100.0 and self.outbox > 0:
            drain = min(self.outbox, demand * 0.5 * dt)
            self.outbox -= drain
            demand += drain / dt
        self.outbox += deferred * dt
        reject = self.reject_frac
        produced = demand * (1.0 - reject)
        consumers = self.consumers
        parts = spec.partitions
        active = consumers if consumers < parts else parts  # min(consumers, parts)
        paused = now < self.paused_until
        if paused or consumers <= 0:
            cap = 0.0
        else:  # capacity(now), inlined: this runs every tick
            cap = active * spec.group.rate_per_consumer * ((parts - len(self.poison)) / parts)
        lag = self.lag
        consumed = lag / dt + produced
        if not consumed < cap:  # min(cap, ...), as the builtin breaks ties
            consumed = cap
        lag = lag + (produced - consumed) * dt
        self.lag = lag = lag if lag > 0.0 else 0.0  # max(0.0, lag) keeps +0.0 for -0.0
        fill = lag / spec.max_lag
        if fill > 0.9 and demand > 0:
            squeeze = min(1.0, (fill - 0.9) / 0.1)
            reject = squeeze * max(0.0, 1.0 - consumed / demand)
        else:
            reject = 0.0
        if reject != self.reject_frac:
            self.reject_frac = reject
            self.rev += 1
        nominal = active * spec.group.rate_per_consumer  # nominal_rate()
        self.vals = vals = (
            produced,
            consumed,
            lag,
            lag / (nominal if nominal > 1.0 else 1.0),
            float(consumers),
            1.0 if paused else 0.0,
            float(self.rebalances),
            100.0 * fill if 100.0 * fill < 100.0 else 100.0,
            self.dlq,
            self.outbox,
            self._throttle_pct,
        )
        return vals


class CacheState:
    """A cache in front of a database: a share ``hit`` of reads never reach it.

    A cold cache refills from the reads that miss and succeed: ``hit`` climbs
    toward ``hit_pct`` over ``refill`` seconds, slowed by the share of DB reads
    timing out, so a stampede that saturates the database also slows the
    refill that would end it. With coalescing, concurrent misses of one key
    share one DB read (``coalesce_factor`` fewer reads).
    """

    def __init__(self, spec: Cache, db: DatabaseState) -> None:
        self.spec = spec
        self.db = db
        self.rev = 0
        self.target = spec.hit_pct / 100.0
        self.hit = self.target
        self.coalescing = False
        self.miss = 1.0 - self.target  # share of reads sent to the database
        self.demand = 0.0  # reads per second offered this tick
        self.vals: tuple[float, ...] = (0.0,) * len(metrics.CACHE)

    def set(self, hit: float | None = None, coalescing: bool | None = None) -> None:
        """Change the hit rate or coalescing; callers see the new miss share next tick."""
        if hit is not None:
            self.hit = hit
        if coalescing is not None:
            self.coalescing = coalescing
        miss = 1.0 - self.hit
        self.miss = miss / self.spec.coalesce_factor if self.coalescing else miss
        self.rev += 1

    def step(self, dt: float) -> tuple[float, ...]:
        reads = self.demand
        self.demand = 0.0
        if self.hit < self.target:
            served = 1.0 - self.db.timeout_frac  # only reads that succeed fill it
            step = self.target * dt / self.spec.refill * served
            self.set(hit=min(self.target, self.hit + step))
        self.vals = vals = (100.0 * self.hit, reads * self.miss)
        return vals
