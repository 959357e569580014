"""Many headless runs across processes: scenarios x scripts x seeds.

Each task loads its own scenario and script in the worker (pickling parsed
models is slower than re-reading small YAML files) and returns a small summary.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .run import run_files


@dataclass(frozen=True)
class Task:
    scenario: str
    script: str | None
    seed: int


@dataclass(frozen=True)
class Summary:
    scenario: str
    script: str
    seed: int
    scores: dict[str, int]
    mitigated_at: float | None
    time_to_mitigate: float | None
    impact_minutes: float
    within_par: bool | None
    refused: int
    digest: str


def run_task(task: Task) -> Summary:
    r = run_files(task.scenario, task.script, task.seed)
    par = r.scenario.grading.par_mitigate
    ttm = r.outcome.time_to_mitigate
    within = None if par is None else (ttm is not None and ttm <= par)
    return Summary(
        scenario=r.scenario.id,
        script=Path(task.script).stem if task.script else "no-response",
        seed=task.seed,
        scores=dict(r.grade.scores),
        mitigated_at=r.outcome.mitigated_at,
        time_to_mitigate=ttm,
        impact_minutes=round(r.outcome.impact_minutes, 3),
        within_par=within,
        refused=len(r.rejected),
        digest=r.drill.log.digest(),
    )


def run_batch(
    tasks: list[Task], jobs: int | None = None, on_done: Callable[[Summary], None] | None = None
) -> list[Summary]:
    """Run every task; ``jobs`` processes (default: all cores); results in task order."""
    jobs = jobs or os.cpu_count() or 1
    if jobs == 1:
        out = []
        for t in tasks:
            s = run_task(t)
            if on_done:
                on_done(s)
            out.append(s)
        return out
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        results = []
        for s in pool.map(run_task, tasks, chunksize=max(1, len(tasks) // (jobs * 8))):
            if on_done:
                on_done(s)
            results.append(s)
        return results


def distribution(summaries: Iterable[Summary]) -> dict[tuple[str, str], dict[str, Any]]:
    groups: dict[tuple[str, str], list[Summary]] = {}
    for s in summaries:
        groups.setdefault((s.scenario, s.script), []).append(s)
    out = {}
    for key, runs in groups.items():
        overall = [r.scores["overall"] for r in runs]
        out[key] = {
            "runs": len(runs),
            "overall": {
                "min": min(overall),
                "median": statistics.median(overall),
                "max": max(overall),
            },
            "mitigated": sum(1 for r in runs if r.mitigated_at is not None),
            "within_par": sum(1 for r in runs if r.within_par),
        }
    return out


def summaries_json(summaries: list[Summary]) -> list[dict[str, Any]]:
    return [asdict(s) for s in summaries]


def reference_scripts(root: Path, scenario_id: str) -> list[Path]:
    return sorted((root / scenario_id).glob("*.yaml"))
