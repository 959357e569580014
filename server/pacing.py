"""Real-time pacing: when the server advances each drill, and to which sim time.

A :class:`Clock` maps wall time to simulated time (``sim = anchor_sim +
(wall - anchor_wall) * speed`` while running); every pause, resume, speed
change or jump re-anchors it. A :class:`Pacer` wakes its drill on a grid of
tick boundaries (one sim tick per wake, never more often than
``min_interval``), each drill shifted by its own phase so that a hundred
drills do not all tick in the same loop turn. It sleeps on the event loop
(``loop.call_at``), never in a thread and never with ``simpy.rt``.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
from collections.abc import Callable
from statistics import quantiles

log = logging.getLogger("firedrill.server")


class Clock:
    __slots__ = ("anchor_sim", "anchor_wall", "running", "speed")

    def __init__(self, speed: float = 1.0, sim: float = 0.0) -> None:
        self.speed = speed
        self.running = False
        self.anchor_wall = 0.0
        self.anchor_sim = sim

    def sim_at(self, wall: float) -> float:
        if not self.running:
            return self.anchor_sim
        return self.anchor_sim + (wall - self.anchor_wall) * self.speed

    def run(self, wall: float, sim: float) -> None:
        self.running, self.anchor_wall, self.anchor_sim = True, wall, sim

    def stop(self, sim: float) -> None:
        self.running, self.anchor_sim = False, sim

    def anchor(self, wall: float, sim: float) -> None:
        self.anchor_wall, self.anchor_sim = wall, sim

    def set_speed(self, wall: float, sim: float, speed: float) -> None:
        self.anchor(wall, sim)
        self.speed = speed


class Lateness:
    """How late tick wakes were, in seconds (a bounded window of recent samples)."""

    def __init__(self, window: int = 20_000, also: Callable[[float], None] | None = None) -> None:
        self.window = window
        self.samples: list[float] = []
        self.count = 0
        self.also = also  # e.g. a Prometheus histogram's observe

    def add(self, late: float) -> None:
        if self.also is not None:
            self.also(late)
        self.count += 1
        if len(self.samples) >= self.window:
            del self.samples[: self.window // 2]
        self.samples.append(late)

    def percentiles(self) -> dict[str, float | None]:
        """p50 and p99 in milliseconds (None before two samples exist)."""
        if len(self.samples) < 2:
            return {"p50_ms": None, "p99_ms": None}
        q = quantiles(self.samples, n=100, method="inclusive")
        return {"p50_ms": round(q[49] * 1000, 3), "p99_ms": round(q[98] * 1000, 3)}


def phase_of(key: str) -> float:
    """A stable fraction in [0, 1) spreading drills' ticks across the tick interval."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") / 2**64


class Pacer:
    """Calls ``on_tick(wall)`` on tick boundaries while ``clock.running``."""

    def __init__(
        self,
        clock: Clock,
        on_tick: Callable[[float], None],
        *,
        tick: float = 1.0,
        phase: float = 0.0,
        min_interval: float = 0.02,
        lateness: Lateness | None = None,
    ) -> None:
        self.clock = clock
        self.on_tick = on_tick
        self.tick = tick
        self.phase = phase
        self.min_interval = min_interval
        self.lateness = lateness
        self._task: asyncio.Task[None] | None = None
        self._wake: asyncio.Future[bool] | None = None

    @property
    def interval(self) -> float:
        return max(self.min_interval, self.tick / self.clock.speed)

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    def changed(self) -> None:
        """The clock was re-anchored, paused or resumed: recompute the next wake now."""
        if self._wake is not None and not self._wake.done():
            self._wake.set_result(False)

    def cancel(self) -> None:
        """Stop ticking (safe to call from inside ``on_tick``)."""
        if self._task is not None:
            self._task.cancel()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            wake: asyncio.Future[bool] = loop.create_future()
            self._wake = wake
            if not self.clock.running:
                await wake  # until changed()
                continue
            interval = self.interval
            now = loop.time()
            base = self.clock.anchor_wall + self.phase * interval
            target = base + (math.floor((now - base) / interval) + 1) * interval
            timer = loop.call_at(target, _resolve, wake)
            try:
                on_time = await wake
            finally:
                timer.cancel()
            if not on_time or not self.clock.running:
                continue  # woken by changed(): recompute the grid
            wall = loop.time()
            if self.lateness is not None:
                self.lateness.add(wall - target)
            try:
                self.on_tick(wall)
            except Exception:  # a failed tick must not end the ticking for good
                log.exception("a drill tick failed; the next one runs on schedule")


def _resolve(fut: asyncio.Future[bool]) -> None:
    if not fut.done():
        fut.set_result(True)
