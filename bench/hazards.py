"""How quickly hostile YAML is refused, against loading a real scenario in the same run.

Each hazard from tests/malformed (alias bomb, 10,000-deep nesting, duplicate
keys, non-UTF-8, tags, ...) plus some built here (a file just over the 1 MB
limit, a 90 KB flow list of 30,000 values that trips the value limit, and
three files just under 1 MB: a flow list, a block list, one long string) is fed
to ``load_scenario``; the figure is the median time to the error, as a
ratio of the median time to load and validate checkout-deploy-500s.

    python bench/hazards.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from engine.errors import ScenarioError
from engine.loader import load_scenario

ROOT = Path(__file__).resolve().parent.parent


def median_ms(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def refuse(source: bytes, name: str) -> Callable[[], str]:
    def run() -> str:
        try:
            load_scenario(source, name)
        except ScenarioError as exc:
            return str(exc.first)
        raise AssertionError(f"{name} was accepted")

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    real = (ROOT / "scenarios" / "checkout-deploy-500s.yaml").read_bytes()
    baseline = median_ms(lambda: load_scenario(real, "checkout-deploy-500s.yaml"), args.runs)
    hazards = {p.name: p.read_bytes() for p in sorted((ROOT / "tests" / "malformed").glob("*"))}
    hazards["over_1mb.yaml"] = b"# padding\n" * 110_000
    hazards["30k_values.yaml"] = b"id: x\nitems: [" + b"1, " * 30_000 + b"1]\n"
    # just under the 1 MB limit: the most a file can make the parser do before a limit trips
    hazards["990kb_flow_list.yaml"] = b"id: x\nitems: [" + b"1, " * 330_000 + b"1]\n"
    hazards["990kb_block_list.yaml"] = b"id: x\nitems:\n" + b"- 1\n" * 247_500
    hazards["990kb_one_string.yaml"] = b"id: x\nsummary: " + b"a" * 990_000 + b"\n"

    print(
        f"baseline: load + validate checkout-deploy-500s ({len(real):,} bytes): "
        f"{baseline:.2f} ms (median of {args.runs})"
    )
    print(f"{'hazard':<24} {'bytes':>10} {'ms':>8} {'x baseline':>11}  error")
    worst = 0.0
    for name, source in hazards.items():
        message = refuse(source, name)()
        ms = median_ms(refuse(source, name), args.runs)
        worst = max(worst, ms / baseline)
        print(f"{name:<24} {len(source):>10,} {ms:>8.2f} {ms / baseline:>11.2f}  {message[:70]}")
    print(f"slowest refusal: {worst:.2f}x the baseline load")


if __name__ == "__main__":
    main()
