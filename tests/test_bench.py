"""The benchmarks still run (no timing is asserted: bench/ prints ratios for people)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

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


def test_the_fanout_benchmark_compares_the_hub_with_a_bare_broadcast() -> None:
    """Real observers on both servers get every frame; each way prints its ratio to bare."""
    out = _bench("fanout.py", "--observers", "5", "--frames", "5", "--rounds", "1")
    assert "fan-out of one" in out and "to 5 observers" in out
    for way in ("firedrill ", "firedrill via ASGI", "bare websockets.broadcast"):
        assert any(line.strip().startswith(way) and "ratio" in line for line in out.splitlines())
    assert "ratio 1.00x" in out  # the bare broadcast is the baseline
    assert "FAIL" not in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--store", "mysql://db/x"], "--store must be a postgresql:// URL, got 'mysql://db/x'"),
        (["--bus", "redis://127.0.0.1:6379/0"], "--bus needs --store postgresql://..."),
        (["--store", "postgresql://u@h/x", "--bus", "amqp://h"], "must be a redis:// URL"),
        (["--workers", "2"], "more than 1 needs --store and --bus"),
        (["--workers", "0"], "--workers must be >= 1"),
        (["--workers", "two"], "argument --workers: invalid int value: 'two'"),
    ],
)
def test_the_load_benchmark_refuses_a_server_it_cannot_run(args: list[str], message: str) -> None:
    """Bad --store, --bus or --workers is a usage error naming the option, before any load."""
    r = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "load.py"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2 and message in r.stderr, r.stderr
