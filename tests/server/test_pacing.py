"""Pacing: the clock's wall-to-sim mapping and the pacer's tick grid."""

from __future__ import annotations

import asyncio

import pytest

from server.pacing import Clock, Lateness, Pacer, phase_of


def test_the_clock_maps_wall_time_to_sim_time() -> None:
    """sim = anchor + elapsed * speed while running; frozen otherwise; re-anchored on changes."""
    clock = Clock(speed=10, sim=5.0)
    assert clock.sim_at(100.0) == 5.0
    clock.run(wall=100.0, sim=5.0)
    assert clock.sim_at(101.5) == 20.0
    clock.set_speed(wall=101.5, sim=20.0, speed=2)
    assert clock.sim_at(103.5) == 24.0
    clock.stop(sim=24.0)
    assert clock.sim_at(200.0) == 24.0


def test_phases_spread_drills_across_the_interval() -> None:
    phases = sorted(phase_of(f"drill-{i}") for i in range(100))
    assert phases[0] >= 0 and phases[-1] < 1
    assert phases[-1] - phases[0] > 0.9
    assert phase_of("x") == phase_of("x")


async def test_the_pacer_ticks_on_its_grid_and_stops_when_paused() -> None:
    """Wakes land on anchor + phase + k * interval; a pause stops them at once."""
    loop = asyncio.get_running_loop()
    clock = Clock(speed=100)  # 1 s ticks -> every 10 ms
    wakes: list[float] = []
    lateness = Lateness()
    pacer = Pacer(clock, wakes.append, tick=1.0, phase=0.5, min_interval=0.005, lateness=lateness)
    pacer.start()
    start = loop.time()
    clock.run(start, 0.0)
    pacer.changed()
    await asyncio.sleep(0.2)
    clock.stop(clock.sim_at(loop.time()))
    pacer.changed()
    n = len(wakes)
    await asyncio.sleep(0.05)
    await pacer.stop()
    assert len(wakes) == n and 5 <= n <= 20  # fewer if the machine is busy: missed ticks merge
    assert lateness.count == n and all(late >= 0 for late in lateness.samples)
    targets = [w - late for w, late in zip(wakes, lateness.samples, strict=True)]
    grid = [(t - start - 0.005) / 0.01 for t in targets]
    assert grid == pytest.approx([round(k) for k in grid], abs=1e-6)  # targets on the grid


async def test_a_speed_change_takes_effect_without_waiting_for_the_old_tick() -> None:
    """At 1x the next wake is a second away; switching to 100x re-plans it immediately."""
    loop = asyncio.get_running_loop()
    clock = Clock(speed=1)
    wakes: list[float] = []
    pacer = Pacer(clock, wakes.append, tick=1.0, min_interval=0.005)
    pacer.start()
    clock.run(loop.time(), 0.0)
    pacer.changed()
    await asyncio.sleep(0.01)
    clock.set_speed(loop.time(), clock.sim_at(loop.time()), 100)
    pacer.changed()
    await asyncio.sleep(0.1)
    await pacer.stop()
    assert len(wakes) >= 2  # at 1x the first tick would have been a second away


def test_lateness_percentiles() -> None:
    late = Lateness(window=4)
    assert late.percentiles() == {"p50_ms": None, "p99_ms": None}
    for x in (0.001, 0.002, 0.003, 0.004, 0.005):
        late.add(x)
    assert late.count == 5 and len(late.samples) == 3
    assert late.percentiles()["p50_ms"] == pytest.approx(4.0)


async def test_a_tick_that_raises_does_not_stop_the_ticking(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The pacer logs a failed tick and keeps its schedule (it used to die silently)."""
    loop = asyncio.get_running_loop()
    clock = Clock(speed=1.0)
    ticks: list[float] = []

    def on_tick(wall: float) -> None:
        ticks.append(wall)
        if len(ticks) == 1:
            raise RuntimeError("a bug in one tick")

    pacer = Pacer(clock, on_tick, tick=0.05, min_interval=0.01)
    clock.run(loop.time(), 0.0)
    pacer.start()
    for _ in range(100):  # bounded: 2 s at most
        if len(ticks) >= 4:
            break
        await asyncio.sleep(0.02)
    await pacer.stop()
    assert len(ticks) >= 4
    assert [r.getMessage() for r in caplog.records if r.name == "firedrill.server"] == [
        "a drill tick failed; the next one runs on schedule"
    ]
