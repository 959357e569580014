"""Machine-readable results of headless runs: JSON, JUnit XML, Markdown summary.

The JSON structure is documented in docs/ci.md and described by
docs/schemas/run-result.schema.json (a test validates against it).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

from engine.timeexpr import format_clock

from .run import RunResult
from .thresholds import Thresholds

RESULT_VERSION = 1


def result_dict(r: RunResult, th: Thresholds) -> dict[str, Any]:
    return {
        "version": RESULT_VERSION,
        "scenario": {"id": r.scenario.id, "title": r.scenario.title, "file": r.scenario_file},
        "script": {"name": r.script.name, "file": r.script_file},
        "seed": r.seed,
        "passed": r.passed,
        "failures": list(r.failures),
        "thresholds": th.to_dict(),
        "outcome": r.outcome.to_dict(),
        "grade": r.grade.to_dict(),
        "rejected_steps": [{"step": x.step, "t": x.t, "message": x.message} for x in r.rejected],
        "not_run_steps": [
            {"step": x.step, "do": x.do, "due": x.due, "message": x.message} for x in r.not_run
        ],
        "log": {"events": len(r.drill.log), "digest": r.drill.log.digest()},
    }


def lost_points(grade: Any, limit: int = 5) -> list[str]:
    """The checks that cost the most points, each with its evidence and the stronger move."""
    lost = []
    for d in grade.dimensions:
        for c in d.checks:
            missing = (c.max_points - c.points) if not c.penalty else -c.points
            if missing > 0 and c.stronger:
                cites = ", ".join(f"seq {e.seq} at {format_clock(e.t)}" for e in c.evidence[:3])
                lost.append(
                    (
                        missing,
                        f"{d.name}: {c.title} (-{missing:g}): {c.detail}"
                        + (f" [{cites}]" if cites else "")
                        + f" Stronger: {c.stronger}",
                    )
                )
    lost.sort(key=lambda x: (-x[0], x[1]))
    return [text for _, text in lost[:limit]]


def failure_text(r: RunResult) -> str:
    lines = [f"{r.label}: " + "; ".join(r.failures)]
    lines += ["  " + x for x in lost_points(r.grade)]
    return "\n".join(lines)


def junit_xml(results: Sequence[RunResult]) -> str:
    suite = ET.Element(
        "testsuite",
        {
            "name": "firedrill",
            "tests": str(len(results)),
            "failures": str(sum(1 for r in results if not r.passed)),
            "errors": "0",
            "skipped": "0",
        },
    )
    for r in results:
        case = ET.SubElement(
            suite,
            "testcase",
            {
                "classname": f"firedrill.{r.scenario.id}",
                "name": f"{r.script.name}[seed={r.seed}]",
                "time": "0",
            },
        )
        scores = ", ".join(f"{k} {v}" for k, v in r.grade.scores.items())
        ET.SubElement(case, "system-out").text = f"scores: {scores}\n"
        if not r.passed:
            fail = ET.SubElement(
                case, "failure", {"message": "; ".join(r.failures), "type": "ThresholdFailed"}
            )
            fail.text = failure_text(r)
    ET.indent(suite)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
    )


def step_summary(results: Sequence[RunResult]) -> str:
    """A Markdown table for GitHub's job summary."""
    lines = [
        "## firedrill",
        "",
        "| scenario | script | seed | overall | command | blast radius | mitigation | comms "
        "| mitigated | result |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        s = r.grade.scores
        mit = "-" if r.outcome.mitigated_at is None else format_clock(r.outcome.mitigated_at)
        lines.append(
            f"| {r.scenario.id} | {r.script.name} | {r.seed} | {s['overall']} | {s['command']} "
            f"| {s['blast_radius']} | {s['mitigation']} | {s['communication']} | {mit} "
            f"| {'pass' if r.passed else 'FAIL'} |"
        )
    for r in results:
        if not r.passed:
            lines += ["", f"**{r.label}** failed:", *[f"- {f}" for f in r.failures]]
    return "\n".join(lines) + "\n"
