"""Headless replay speed against a bare SimPy baseline measured in the same run.

Plays a 45-minute scenario with ten components (3 services, 3 dependencies,
2 databases, 2 topics; 1 s ticks, metrics recorded every 10 s) and prints its
time next to bare SimPy scheduling the same ticks: one process per component,
each waking every simulated second for 45 minutes, doing nothing. The two are
timed alternately, so a busy machine slows both alike. Also times each library
scenario's strong reference script, and scenario load + validation of every
library file.

    python bench/replay.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import simpy

from engine.drill import Drill
from engine.scenario import Scenario
from engine.script import DecisionScript, play

ROOT = Path(__file__).resolve().parent.parent
BENCH_SCENARIO = Path(__file__).with_name("ten-components.yaml")
STRONG = DecisionScript.from_yaml(
    """
name: bench
steps:
  - {at: page+30s, do: take_command}
  - {at: page+1m, do: view_dashboard, service: orders-api, breakdown: pod}
  - {at: page+2m, do: skip_poison, topic: orders}
  - {at: page+3m, do: set_breaker, dependency: fraud-check, state: open}
  - {at: page+5m, do: scale_consumers, topic: orders, consumers: 8}
""",
    "bench",
)


def bare(components: int, duration: float, tick: float) -> float:
    env = simpy.Environment()

    def ticker() -> object:
        while True:
            yield env.timeout(tick)

    for _ in range(components):
        env.process(ticker())
    t0 = time.perf_counter()
    env.run(until=duration)
    return time.perf_counter() - t0


def engine_run(sc: Scenario, seed: int) -> float:
    t0 = time.perf_counter()
    run = play(Drill(sc, seed=seed), STRONG)
    run.drill.log.to_jsonl()  # the log is recorded and serialised
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    text = BENCH_SCENARIO.read_bytes()
    sc = Scenario.from_yaml(text, str(BENCH_SCENARIO))
    topo = sc.topology
    n = len(topo.services) + len(topo.dependencies) + len(topo.databases) + len(topo.topics)
    engine_run(sc, 0)  # warm imports and caches
    base, eng = [], []
    for i in range(args.runs):  # alternate, so both see the same machine load
        base.append(bare(n, sc.duration, sc.tick))
        eng.append(engine_run(sc, i))
    b, e = statistics.median(base), statistics.median(eng)
    ticks = sc.duration / sc.tick
    print(
        f"scenario: {sc.id}, {n} components, {sc.duration / 60:.0f} simulated minutes, "
        f"{sc.tick:g} s ticks, {args.runs} runs (medians)"
    )
    print(f"  bare SimPy, {n} processes ticking : {b * 1000:7.1f} ms")
    print(
        f"  firedrill headless + log recorded : {e * 1000:7.1f} ms   ratio {e / b:.2f}x  "
        f"(goal <= 2.5x, <= 100 ms)"
    )
    print(
        f"  per simulated second              : {e / ticks * 1e6:7.1f} us "
        f"(bare: {b / ticks * 1e6:.1f} us; best runs {min(eng) * 1000:.1f} / "
        f"{min(base) * 1000:.1f} ms, ratio {min(eng) / min(base):.2f}x)"
    )
    print(f"  replays per second, one process   : {1 / e:7.1f}")
    print("  library strong scripts (median of 5, not graded):")
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        lib = Scenario.from_yaml(path.read_bytes(), str(path))
        ref = ROOT / "tests" / "reference" / path.stem / "strong.yaml"
        script = DecisionScript.from_yaml(ref.read_bytes(), str(ref)) if ref.exists() else None
        runs = []
        for seed in range(5):
            t0 = time.perf_counter()
            drill = Drill(lib, seed=seed)
            if script is not None:
                play(drill, script)
            else:
                drill.advance(lib.duration + lib.tick)
            drill.log.to_jsonl()
            runs.append(time.perf_counter() - t0)
        ms = statistics.median(runs) * 1000
        per_tick = statistics.median(runs) / (lib.duration / lib.tick) * 1e6
        print(f"    {path.stem:34} {ms:6.1f} ms  {per_tick:5.1f} us per simulated second")
    loads = []
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        data = path.read_bytes()
        t0 = time.perf_counter()
        for _ in range(20):
            Scenario.from_yaml(data, str(path))
        loads.append(((time.perf_counter() - t0) / 20, path.name, data.count(b"\n")))
    worst = max(loads)
    print(
        "  scenario load + validation         : "
        f"median {statistics.median(x[0] for x in loads) * 1000:.2f} ms, "
        f"worst {worst[0] * 1000:.2f} ms ({worst[1]}, {worst[2]} lines)  (goal <= 10 ms)"
    )


if __name__ == "__main__":
    main()
