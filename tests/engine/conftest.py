"""Shared helpers: load library scenarios, play timed inputs headless."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from engine.drill import Drill
from engine.loader import load_scenario
from engine.scenario import Scenario

ROOT = Path(__file__).resolve().parents[2]


def load(scenario_id: str) -> Scenario:
    path = ROOT / "scenarios" / f"{scenario_id}.yaml"
    return load_scenario(path.read_bytes(), str(path))


def play(
    sc: Scenario,
    inputs: Iterable[tuple[float, dict[str, Any]]],
    seed: int = 0,
    page_relative: bool = True,
) -> Drill:
    """Play ``inputs`` at times after the page (or absolute), then run to the end."""
    d = Drill(sc, seed=seed)
    for t, data in inputs:
        if page_relative:
            while d.page_at is None and not d.ended:
                d.advance(d.now + 1)
            t = (d.page_at or 0.0) + t
        d.advance(t)
        d.submit(data, actor="alice")
    d.advance(sc.duration + 5)
    return d


def series(d: Drill, metric: str) -> list[tuple[float, float]]:
    return [(e.t, e.data["values"][metric]) for e in d.log.events if e.type == "metrics"]


def at(d: Drill, metric: str, t: float) -> float:
    """The sampled value of ``metric`` at the last sample at or before ``t``."""
    return [v for (when, v) in series(d, metric) if when <= t][-1]


def window_mean(d: Drill, metric: str, start: float, end: float) -> float:
    vals = [v for (when, v) in series(d, metric) if start <= when <= end]
    return sum(vals) / len(vals)


@pytest.fixture(scope="session")
def library() -> dict[str, Scenario]:
    return {p.stem: load(p.stem) for p in sorted((ROOT / "scenarios").glob("*.yaml"))}
