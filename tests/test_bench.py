"""The benchmarks still run (no timing is asserted: bench/ prints ratios for people)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _bench(name: str, *args: str) -> str:
    r = subprocess.run(
        [sys.executable, str(ROOT / "bench" / name), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_the_replay_benchmark_runs_and_prints_its_ratios() -> None:
    out = _bench("replay.py", "--runs", "1")
    assert "ratio" in out and "per component per simulated second" in out
    assert "scenario load + validation" in out


def test_the_batch_benchmark_replays_the_whole_library() -> None:
    out = _bench("batch.py", "--seeds", "1", "--repeat", "1")
    n = len(list((ROOT / "scenarios").glob("*.yaml")))
    assert out.startswith(f"{n} replays (library strong scripts x 1 seeds, graded)"), out
    assert "replays/s" in out
