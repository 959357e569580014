"""Pass/fail rules for a headless run: scores, mitigation, impact limits.

``--expect mitigation>=70`` style expressions parse here, with errors that say
what was expected and what arrived.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from engine.timeexpr import format_clock

DIMENSIONS = ("overall", "command", "blast_radius", "mitigation", "communication")
_EXPECT = re.compile(r"^\s*([a-z_]+)\s*(>=|>|<=|<|==)\s*(-?\d+(?:\.\d+)?)\s*$")
OPS = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    "==": lambda a, b: a == b,
}


@dataclass(frozen=True)
class Expect:
    dimension: str
    op: str
    value: float

    def __str__(self) -> str:
        return f"{self.dimension}{self.op}{self.value:g}"


def parse_expect(text: str) -> Expect:
    """``mitigation>=70`` -> Expect; ValueError naming what was wrong."""
    m = _EXPECT.match(text)
    if not m:
        raise ValueError(f"expected DIMENSION>=NUMBER such as mitigation>=70 (got {text!r})")
    dim, op, value = m.group(1), m.group(2), float(m.group(3))
    if dim not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dim!r}; expected one of: {', '.join(DIMENSIONS)}")
    return Expect(dim, op, value)


@dataclass(frozen=True)
class Thresholds:
    min_score: float | None = None
    expect: tuple[Expect, ...] = ()
    max_impact_minutes: float | None = None
    max_money_lost: float | None = None
    max_rows_corrupted: float | None = None
    must_mitigate: bool = False
    within_par: bool = False
    allow_refused: bool = False
    allow_not_run: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "min_score": self.min_score,
            "expect": [str(e) for e in self.expect],
            "max_impact_minutes": self.max_impact_minutes,
            "max_money_lost": self.max_money_lost,
            "max_rows_corrupted": self.max_rows_corrupted,
            "must_mitigate": self.must_mitigate,
            "within_par": self.within_par,
            "allow_refused": self.allow_refused,
            "allow_not_run": self.allow_not_run,
        }


def unmitigated(out: Any) -> str:
    """What was still harming at the end, in words (every harm figure, not only users)."""
    parts = [f"{out.final_users_affected_pct:.1f}% of users affected at the end"]
    for name in out.harm_at_end:
        if name != "business.users_affected_pct":
            what = name.removeprefix("business.").replace("_", " ")
            parts.append(
                f"{what} still growing at the end ({out.rows_corrupted:,.0f} rows so far)"
                if name == "business.rows_corrupted"
                else f"{what} still growing at the end"
            )
    return "; ".join(parts)


def evaluate(result: Any, th: Thresholds) -> list[str]:
    """Every failed rule as one sentence (empty: passed)."""
    out = result.outcome
    scores = result.grade.scores
    failures: list[str] = []
    if th.min_score is not None and scores["overall"] < th.min_score:
        failures.append(f"overall score {scores['overall']} is below the minimum {th.min_score:g}")
    for e in th.expect:
        if not OPS[e.op](scores[e.dimension], e.value):
            failures.append(f"{e.dimension} score {scores[e.dimension]} does not satisfy {e}")
    if th.must_mitigate and out.mitigated_at is None and out.impact_started_at is not None:
        failures.append(f"impact was not mitigated: {unmitigated(out)}")
    par = result.scenario.grading.par_mitigate
    if th.within_par and par is not None and out.impact_started_at is not None:
        ttm = out.time_to_mitigate
        if ttm is None or ttm > par:
            got = "never" if ttm is None else format_clock(ttm)[2:]
            failures.append(f"time to mitigate {got} exceeds par {format_clock(par)[2:]}")
    if th.max_impact_minutes is not None and out.impact_minutes > th.max_impact_minutes:
        failures.append(
            f"impact {out.impact_minutes:.2f} impact-minutes exceeds {th.max_impact_minutes:g}"
        )
    if th.max_money_lost is not None and out.money_lost > th.max_money_lost:
        failures.append(f"money lost ${out.money_lost:,.0f} exceeds ${th.max_money_lost:,.0f}")
    if th.max_rows_corrupted is not None and out.rows_corrupted > th.max_rows_corrupted:
        failures.append(
            f"{out.rows_corrupted:,.0f} rows corrupted exceeds {th.max_rows_corrupted:g}"
        )
    if not th.allow_refused:
        for r in result.rejected:
            failures.append(f"script step {r.step} was refused at {format_clock(r.t)}: {r.message}")
    if not th.allow_not_run:
        for n in getattr(result, "not_run", []):
            failures.append(f"script step {n.step} ({n.do}, due {n.due}) never ran: {n.message}")
    return failures
