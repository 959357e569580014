"""Scenario replays per second: one process vs all cores, in the same run.

Replays the library's strong reference scripts over seeds (grade included),
in one process and across every core, alternately (so a busy machine slows
both alike) and ``--repeat`` times, and prints the median rates and the
speed-up. Goal (the README's Performance table): >= 20 replays/s on 2 cores.

    python bench/batch.py [--seeds N] [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from server.assets import REFERENCE
from server.ci.batch import Task, run_batch
from server.files import library


def tasks(seeds: int) -> list[Task]:
    out = []
    for path in library():
        script = REFERENCE / path.stem / "strong.yaml"
        out += [Task(str(path), str(script) if script.exists() else None, s) for s in range(seeds)]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    work = tasks(args.seeds)
    run_batch(work[:2], jobs=1)  # warm imports (forked workers inherit them)
    cores = os.cpu_count() or 1
    ones, manys = [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        run_batch(work, jobs=1)
        ones.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        run_batch(work, jobs=cores)
        manys.append(time.perf_counter() - t0)
    one, many = statistics.median(ones), statistics.median(manys)
    print(
        f"{len(work)} replays (library strong scripts x {args.seeds} seeds, graded), "
        f"median of {args.repeat}"
    )
    print(
        f"  1 process   : {len(work) / one:6.1f} replays/s  ({one * 1000 / len(work):.0f} ms each)"
    )
    print(
        f"  {cores} processes : {len(work) / many:6.1f} replays/s  speed-up {one / many:.2f}x "
        f"(goal >= 20 replays/s)"
    )


if __name__ == "__main__":
    main()
