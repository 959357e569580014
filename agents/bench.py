"""``firedrill eval``: agents x library scenarios x seeds x runs, in parallel, to a leaderboard.

Every run is a headless session (agents.session) played by one agent, then
played out to the scenario's end and graded. The leaderboard (JSON and
Markdown) holds, per agent, per scenario and overall: mean scores per
dimension, runs mitigated and mean time to mitigate, actions used, refused
actions, and over the k runs of each (scenario, seed): pass@k (some run
passed) and pass^k (every run passed). It records the scenario files' and
the engine's content digests. It holds no wall-clock time, so the same
inputs give the same bytes. docs/agents.md documents the fields.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

import orjson

from engine import __version__
from engine.grading import GRADE_VERSION

from .baselines import RunContext
from .library import engine_digest, load, scenario_digest
from .mcphost import play_command
from .session import HeadlessSession
from .specs import AgentSpec, resolve

PASS_SCORE = 70


@dataclass(frozen=True)
class Task:
    agent: AgentSpec
    scenario: str
    seed: int
    run: int
    think: float
    timeout: float


@dataclass(frozen=True)
class RunRecord:
    """One graded run."""

    agent: str
    scenario: str
    seed: int
    run: int
    scores: dict[str, int]
    mitigated: bool
    time_to_mitigate: float | None
    actions: int
    refused: int
    error: str | None
    log_sha256: str


def run_task(task: Task) -> RunRecord:
    """Play one run in this process and grade it. An agent that raises is graded as it left it."""
    error = None
    argv = task.agent.command
    if argv is not None:
        hosted = play_command(argv, task.scenario, task.seed, task.run, task.think, task.timeout)
        session, error = hosted.session, hosted.error
    else:
        agent = resolve(task.agent)
        session = HeadlessSession(
            load(task.scenario), seed=task.seed, agent=task.agent.label, think=task.think
        )
        try:
            agent(session, RunContext(task.scenario, task.seed, task.run))
        except Exception as exc:  # the agent's failure is part of its result
            error = f"{type(exc).__name__}: {exc}"
    done = session.finish()
    ttm = done.outcome.time_to_mitigate
    return RunRecord(
        agent=task.agent.label,
        scenario=task.scenario,
        seed=task.seed,
        run=task.run,
        scores=dict(done.grade.scores),
        mitigated=done.outcome.mitigated_at is not None,
        time_to_mitigate=None if ttm is None else round(ttm, 3),
        actions=done.actions,
        refused=len(done.refused),
        error=error,
        log_sha256=done.digest,
    )


def run_all(
    tasks: Sequence[Task], jobs: int, on_done: Callable[[RunRecord], None] | None = None
) -> list[RunRecord]:
    """Every task, in ``jobs`` processes; records in task order whatever order they finish in."""
    if jobs <= 1:
        out = []
        for t in tasks:
            out.append(run_task(t))
            if on_done:
                on_done(out[-1])
        return out
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        out = []
        for rec in pool.map(run_task, tasks):
            out.append(rec)
            if on_done:
                on_done(rec)
        return out


def tasks_for(
    agents: Sequence[AgentSpec],
    scenarios: Sequence[str],
    seeds: Sequence[int],
    runs: int,
    think: float,
    timeout: float,
) -> list[Task]:
    return [
        Task(a, sc, seed, r, think, timeout)
        for a in agents
        for sc in scenarios
        for seed in seeds
        for r in range(runs)
    ]


def _mean(values: Sequence[float]) -> float | None:
    return round(statistics.fmean(values), 1) if values else None


def aggregate(records: Sequence[RunRecord], pass_score: int) -> dict[str, Any]:
    """Means and pass rates over ``records`` (one agent; one scenario or all)."""
    dims = list(records[0].scores)
    groups: dict[tuple[str, int], list[RunRecord]] = {}
    for r in records:
        groups.setdefault((r.scenario, r.seed), []).append(r)
    passed = [[r.scores["overall"] >= pass_score for r in g] for g in groups.values()]
    ttm = [r.time_to_mitigate for r in records if r.time_to_mitigate is not None]
    return {
        "runs": len(records),
        "scores": {d: _mean([r.scores[d] for r in records]) for d in dims},
        "mitigated": sum(r.mitigated for r in records),
        "time_to_mitigate": _mean(ttm),
        "actions": _mean([r.actions for r in records]),
        "refused": _mean([r.refused for r in records]),
        "errors": sum(r.error is not None for r in records),
        "pass_at_k": round(statistics.fmean(any(p) for p in passed), 3),
        "pass_all_k": round(statistics.fmean(all(p) for p in passed), 3),
    }


def leaderboard(
    records: Sequence[RunRecord],
    scenarios: Sequence[str],
    seeds: Sequence[int],
    runs: int,
    think: float,
    pass_score: int,
) -> dict[str, Any]:
    """The leaderboard document (see the module docstring)."""
    by_agent: dict[str, list[RunRecord]] = {}
    for r in records:
        by_agent.setdefault(r.agent, []).append(r)
    agents: list[dict[str, Any]] = []
    for name, recs in by_agent.items():
        agents.append(
            {
                "agent": name,
                "overall": aggregate(recs, pass_score),
                "scenarios": {
                    sc: aggregate([r for r in recs if r.scenario == sc], pass_score)
                    for sc in scenarios
                },
            }
        )
    agents.sort(key=lambda a: (-(a["overall"]["scores"]["overall"] or 0), a["agent"]))
    return {
        "benchmark": {
            "engine": __version__,
            "engine_sha256": engine_digest(),
            "grade_version": GRADE_VERSION,
            "seeds": list(seeds),
            "runs_per_seed": runs,
            "think_seconds": think,
            "pass_score": pass_score,
        },
        "scenarios": {sc: {"sha256": scenario_digest(sc)} for sc in scenarios},
        "agents": agents,
        "runs": [asdict(r) for r in records],
    }


def to_json(board: dict[str, Any]) -> bytes:
    return orjson.dumps(board, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def _num(v: float | None, unit: str = "") -> str:
    return "–" if v is None else f"{v:g}{unit}"


def to_markdown(board: dict[str, Any]) -> str:
    """The leaderboard as Markdown tables: overall, then per scenario."""
    b = board["benchmark"]
    k = b["runs_per_seed"]
    dims = list(board["agents"][0]["overall"]["scores"]) if board["agents"] else []
    cols = ["mitigated", "time to mitigate", "actions", "refused", "errors"]
    head = ["agent", *dims, *cols, f"pass@{k}", f"pass^{k}"]

    def row(first: list[str], a: dict[str, Any]) -> str:
        cells = [
            *first,
            *(_num(a["scores"][d]) for d in dims),
            f"{a['mitigated']}/{a['runs']}",
            _num(a["time_to_mitigate"], " s"),
            _num(a["actions"]),
            _num(a["refused"]),
            str(a["errors"]),
            f"{a['pass_at_k']:.2f}",
            f"{a['pass_all_k']:.2f}",
        ]
        return "| " + " | ".join(cells) + " |"

    def table(cols: list[str]) -> list[str]:
        return ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]

    lines = [
        f"engine {b['engine']} (sources sha256 {b['engine_sha256']}), grade v{b['grade_version']}; "
        f"seeds {', '.join(map(str, b['seeds']))}; {k} run(s) per seed; "
        f"think {b['think_seconds']:g} s; pass = overall >= {b['pass_score']}",
        "",
        "Overall:",
        "",
        *table(head),
        *(row([a["agent"]], a["overall"]) for a in board["agents"]),
        "",
        "Per scenario:",
        "",
        *table(["scenario", *head]),
    ]
    for sc, meta in board["scenarios"].items():
        for a in board["agents"]:
            lines.append(row([f"{sc} ({meta['sha256'][:8]})", a["agent"]], a["scenarios"][sc]))
    return "\n".join(lines) + "\n"


def default_jobs() -> int:
    return max(1, min(2, os.cpu_count() or 1))
