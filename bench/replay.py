"""Headless replay speed against a bare SimPy baseline measured in the same run.

Plays a 45-minute scenario with ten components (3 services, 3 dependencies,
2 databases, 2 topics; 1 s ticks, metrics recorded every 10 s) and a 45-minute
service graph of 40 services calling each other (4 edge services, 12 and 24
behind them, with retries, over 4 dependencies with a capacity), once calm and
once after a dependency failover sets off a retry herd (every cache misses
every tick: the worst case), and prints each one's time next to bare
SimPy scheduling the same ticks: one process per component, each waking every
simulated second, doing nothing; and the cost per component per simulated
second. The two are timed alternately, so a busy machine slows both alike.
Also times each library scenario's strong reference script, and scenario load
+ validation of every library file.

    python bench/replay.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import simpy

from engine.drill import Drill
from engine.loader import load_scenario, scenario_from_dict
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


def graph_scenario(edge: int = 4, mid: int = 12, leaf: int = 24, herd: bool = True) -> Scenario:
    """A service graph: edge services call three mid-tier ones, which call two leaves,
    which call capacity-limited dependencies with retries. ``edge + mid + leaf`` services.
    ``herd``: a one-minute failover of one store sets off a retry herd that lasts."""
    deps = [
        {"name": f"store-{i}", "latency_ms": 8, "timeout_ms": 500, "capacity_rps": 5000}
        for i in range(4)
    ]

    def svc(name: str, share: float, calls: list[dict[str, object]]) -> dict[str, object]:
        return {
            "name": name,
            "pods": 4,
            "rps_share": share,
            "capacity_rps_per_pod": 400,
            "workers_per_pod": 2000,
            "latency_ms": {"p50": 10, "p99": 60},
            "version": "v1",
            "versions": [{"name": "v1"}],
            "endpoints": [
                {"name": "GET", "share": 0.7, "calls": calls},
                {"name": "POST", "share": 0.3, "calls": calls[:1], "business": "orders"},
            ],
        }

    services = [
        svc(
            f"edge-{i}",
            1.0 / edge,
            [
                {"to": f"mid-{(3 * i + k) % mid}", "retries": 1, "timeout_ms": 1500}
                for k in (0, 1, 2)
            ],
        )
        for i in range(edge)
    ]
    services += [
        svc(
            f"mid-{i}",
            0.0,
            [
                {"to": f"leaf-{(2 * i + k) % leaf}", "retries": 1, "timeout_ms": 1000}
                for k in (0, 1)
            ],
        )
        for i in range(mid)
    ]
    services += [
        svc(f"leaf-{i}", 0.0, [{"to": f"store-{i % 4}", "retries": 2}]) for i in range(leaf)
    ]
    return scenario_from_dict(
        {
            "id": "graph-40-herd" if herd else "graph-40-calm",
            "title": "A 40-service graph",
            "summary": "Edge, mid-tier and leaf services over shared stores; a store failover.",
            "class": "real-incident",
            "duration": "45m",
            "traffic": {"base_rps": 2400},
            "topology": {"services": services, "dependencies": deps},
            "faults": [
                {
                    "kind": "dependency",
                    "dependency": "store-0",
                    "at": "5m",
                    "error_pct": 100,
                    "recover_at": "6m",
                }
            ]
            if herd
            else [],
            "alerts": [{"name": "Edge", "metric": "edge-0.err_5xx_pct", "threshold": 5}],
            "truth": {"trigger": "t", "root_cause": "r", "causal_chain": ["c"]},
        },
        "bench:graph-40",
    )


def measure(sc: Scenario, runs: int, script: DecisionScript | None) -> None:
    """Time ``sc`` against bare SimPy (alternately) and print the figures."""
    topo = sc.topology
    n = len(topo.services) + len(topo.dependencies) + len(topo.databases) + len(topo.topics)

    def run(seed: int) -> float:
        if script is not None:
            return engine_run(sc, seed)
        t0 = time.perf_counter()
        drill = Drill(sc, seed=seed)
        drill.advance(sc.duration + sc.tick)
        drill.log.to_jsonl()
        return time.perf_counter() - t0

    run(0)  # warm imports and caches
    base, eng = [], []
    for i in range(runs):  # alternate, so both see the same machine load
        base.append(bare(n, sc.duration, sc.tick))
        eng.append(run(i))
    b, e = statistics.median(base), statistics.median(eng)
    ticks = sc.duration / sc.tick
    print(
        f"scenario: {sc.id}, {n} components, {sc.duration / 60:.0f} simulated minutes, "
        f"{sc.tick:g} s ticks, {runs} runs (medians)"
    )
    print(f"  bare SimPy, {n} processes ticking : {b * 1000:7.1f} ms")
    print(
        f"  firedrill headless + log recorded : {e * 1000:7.1f} ms   ratio {e / b:.2f}x  "
        f"(goal <= 2.5x)"
    )
    print(
        f"  per simulated second              : {e / ticks * 1e6:7.1f} us "
        f"(bare: {b / ticks * 1e6:.1f} us; best runs {min(eng) * 1000:.1f} / "
        f"{min(base) * 1000:.1f} ms, ratio {min(eng) / min(base):.2f}x)"
    )
    print(
        f"  per component per simulated second: {e / ticks / n * 1e6:7.2f} us "
        f"(bare: {b / ticks / n * 1e6:.2f} us)"
    )
    print(f"  replays per second, one process   : {1 / e:7.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    text = BENCH_SCENARIO.read_bytes()
    measure(load_scenario(text, str(BENCH_SCENARIO)), args.runs, STRONG)
    measure(graph_scenario(herd=False), args.runs, None)
    measure(graph_scenario(herd=True), max(1, args.runs // 3), None)
    print("  library strong scripts (median of 5, not graded):")
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        lib = load_scenario(path.read_bytes(), str(path))
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
            load_scenario(data, str(path))
        loads.append(((time.perf_counter() - t0) / 20, path.name, data.count(b"\n")))
    worst = max(loads)
    print(
        "  scenario load + validation         : "
        f"median {statistics.median(x[0] for x in loads) * 1000:.2f} ms, "
        f"worst {worst[0] * 1000:.2f} ms ({worst[1]}, {worst[2]} lines)  (goal <= 10 ms)"
    )


if __name__ == "__main__":
    main()
