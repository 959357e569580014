"""Explainable grading: a pure function of the scenario and the drill log.

``grade(scenario, events)`` scores four dimensions (command, blast radius,
mitigation, communication) from explicit checks, each citing the log events
behind it and saying what a stronger move would have been, plus an overall
score (weighted mean; equal weights unless the scenario overrides them) and
each player's share. Same log, same grade: ``Grade.to_json()`` is canonical.
docs/grading.md is the rubric.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from ..choices import as_played
from ..floats import total as fsum_lr
from ..inputs import CATEGORY
from ..log import Event
from ..scenario import Scenario
from . import rubric as R
from .checks_blast import blast_checks
from .checks_command import command_checks
from .checks_comms import comms_checks
from .checks_mitigation import candidates, credited, mitigation_checks
from .claims import Claim, read_claims
from .counterfactual import Attribution, Replays, lower, mitigators, replay_without
from .judge import Judged, judge_all
from .model import (
    DIMENSIONS,
    GRADE_VERSION,
    Anchor,
    Check,
    Dimension,
    Evidence,
    Grade,
    MitigationVerdict,
    Player,
)
from .report import grade_markdown
from .rubric import SPECS, WEIGHTS, WINDOWS, Rubric, resolve
from .timeline import ROWS, Timeline, describe

__all__ = [
    "DIMENSIONS",
    "GRADE_VERSION",
    "SPECS",
    "WEIGHTS",
    "WINDOWS",
    "Anchor",
    "Check",
    "Claim",
    "Dimension",
    "Evidence",
    "Grade",
    "MitigationVerdict",
    "Player",
    "grade",
    "grade_markdown",
]


def grade(scenario: Scenario, events: Sequence[Event]) -> Grade:
    """Grade a drill log against its scenario; never mutates either."""
    scenario = as_played(scenario, events)
    rb = resolve(scenario.grading)
    tl = Timeline(scenario, events)
    notes = list(rb.notes)
    memo: Replays = {}  # several checks replay the same log without the same moves
    judged = _confirm_worse(scenario, events, tl, judge_all(tl, rb), notes, memo)
    claims = read_claims(tl, rb)
    owed = _owed(scenario, events, tl, rb, judged, notes, memo)
    checks = {
        "command": command_checks(tl, rb),
        "blast_radius": blast_checks(tl, rb, claims),
        "mitigation": _mitigation(scenario, events, tl, rb, judged, claims, owed, notes, memo),
        "communication": comms_checks(tl, rb, claims),
    }
    dims = tuple(_dimension(name, checks[name], rb) for name in DIMENSIONS)
    total_w = fsum_lr(rb.weights[d.name] for d in dims)
    overall = round(fsum_lr(rb.weights[d.name] * d.score for d in dims) / total_w)
    effective = next(c for c in checks["mitigation"] if c.id == "mitigation.effective")
    if effective.points <= 0 and overall > R.UNMITIGATED_CAP:
        notes.append(
            f"overall capped at {R.UNMITIGATED_CAP} (from {overall}): no credible mitigation "
            "ended the impact, however well the rest went"
        )
        overall = R.UNMITIGATED_CAP
    created = next((e for e in tl.events if e.type == "drill.created"), None)
    seed = created.data.get("seed") if created is not None else None
    _, end = credited(tl, rb, judged, owed)
    if created is not None and created.data.get("scenario") != scenario.id:
        notes.append(
            f"the log is of scenario {created.data.get('scenario')!r}, "
            f"graded against {scenario.id!r}"
        )
    return Grade(
        scenario=scenario.id,
        seed=None if seed is None else int(seed),
        anchor=tl.anchor,
        overall=int(overall),
        dimensions=dims,
        players=_players(tl, dims),
        mitigations=tuple(j.to_verdict() for j in judged),
        claims=tuple(claims),
        mitigated_at=end,
        ended_at=tl.end_t,
        windows=tuple(sorted(rb.windows.items())),
        weights=tuple(sorted(rb.weights.items())),
        notes=tuple(notes),
    )


def _confirm_worse(
    scenario: Scenario,
    events: Sequence[Event],
    tl: Timeline,
    judged: list[Judged],
    notes: list[str],
    memo: Replays,
) -> list[Judged]:
    """Check each "made worse" read from the curves against a replay without that move:
    impact that was growing anyway (a feedback loop, a surge) is not the move's doing. A
    move judged worse by its own stall keeps that verdict; so does one the log cannot be
    replayed without."""
    out = []
    for j in judged:
        if j.verdict != "made worse" or j.stall >= R.STALL_S or j.after is None:
            out.append(j)
            continue
        without = replay_without(scenario, events, {j.event.seq}, memo)
        if without is None:
            out.append(j)
            continue
        a, b = j.after.t - R.AVERAGE_S, j.after.t
        alt = Timeline(scenario, without)
        actual, other = tl.mean_users(a, b)[0], alt.mean_users(a, b)[0]
        # stopping writes trades requests for data: fewer rows corrupted by the end is help
        saved = alt.value(ROWS, alt.end_t) - tl.value(ROWS, tl.end_t)
        if saved > 0.5:
            verdict = "helped"
            why = f"a replay without it corrupts {saved:,.0f} more rows"
        elif actual > other + max(R.WORSE_ABS, R.WORSE_REL * other):
            out.append(j)
            continue
        else:
            helped = actual < other - max(R.HELPED_ABS, R.HELPED_REL * other)
            verdict = "helped" if helped else "no visible effect"
            why = f"a replay without it is as bad ({other:.1f}% of users against {actual:.1f}%)"
        notes.append(
            f"{describe(j.event)} at {tl.at(j.event.t)}: impact rose after it, but {why}: "
            f"{verdict}, not made worse"
        )
        out.append(replace(j, verdict=verdict))
    return out


def _owed(
    scenario: Scenario,
    events: Sequence[Event],
    tl: Timeline,
    rb: Rubric,
    judged: list[Judged],
    notes: list[str] | None,
    memo: Replays | None = None,
) -> Attribution | None:
    """Which mitigations the end of harm is owed to, by replaying the log without them
    (counterfactual.mitigators); None, with a note, when the log cannot be replayed."""
    seqs = candidates(tl, rb, judged)
    if not seqs:
        return None
    owed = mitigators(scenario, events, seqs, memo=memo)
    if owed is None and notes is not None:
        notes.append(
            "could not replay this log without its mitigations; the end of impact is "
            "credited to the last credible mitigation that helped before it"
        )
    return owed


def _mitigation(
    scenario: Scenario,
    events: Sequence[Event],
    tl: Timeline,
    rb: Rubric,
    judged: list[Judged],
    claims: list[Claim],
    owed: Attribution | None,
    notes: list[str],
    memo: Replays,
) -> list[Check]:
    """Mitigation checks; with harmful mitigations, each check keeps the lower of its
    score in this drill and in a replay of it without them (see counterfactual.py)."""
    checks = mitigation_checks(tl, rb, judged, claims, owed)
    harmful = [j for j in judged if j.rule == "harmful"]
    if not harmful:
        return checks
    cf_events = replay_without(scenario, events, {j.event.seq for j in harmful}, memo)
    if cf_events is None:
        notes.append(
            "could not replay this log without its harmful mitigations; the "
            "mitigation checks read this drill only"
        )
        return checks
    cf_tl = Timeline(scenario, cf_events)
    cf_judged = judge_all(cf_tl, rb)
    cf_owed = _owed(scenario, cf_events, cf_tl, rb, cf_judged, None)
    other = {
        c.id: c for c in mitigation_checks(cf_tl, rb, cf_judged, read_claims(cf_tl, rb), cf_owed)
    }
    why = " and ".join(describe(j.event) for j in harmful)
    cited = tuple(tl.ev(j.event) for j in harmful)
    out = [lower(c, other[c.id], why, cited) for c in checks]
    capped = [c.id for c, o in zip(checks, out, strict=True) if o is not c]
    if capped:
        notes.append(f"scored without {why} as well, keeping the lower score: {', '.join(capped)}")
    return out


def _dimension(name: str, checks: list[Check], rb: Rubric) -> Dimension:
    possible = sum(c.max_points for c in checks)
    earned = sum(c.points for c in checks)
    score = 0 if possible <= 0 else round(min(100.0, max(0.0, 100.0 * earned / possible)))
    return Dimension(
        name, int(score), round(earned, 3), round(possible, 3), rb.weights[name], tuple(checks)
    )


def _players(tl: Timeline, dims: tuple[Dimension, ...]) -> tuple[Player, ...]:
    counts: dict[str, Counter[str]] = {}
    for e in tl.inputs:
        counts.setdefault(e.actor, Counter())[CATEGORY[str(e.data["type"])]] += 1
    won: dict[str, float] = {}
    lost: dict[str, float] = {}
    ids: dict[str, list[str]] = {}
    for d in dims:
        for c in d.checks:
            if not c.actors or c.points == 0:
                continue
            share = c.points / len(c.actors)
            for a in c.actors:
                book = won if share > 0 else lost
                book[a] = book.get(a, 0.0) + share
                ids.setdefault(a, []).append(c.id)
    actors = sorted(set(counts) | set(ids))
    return tuple(
        Player(
            a,
            sum(counts.get(a, Counter()).values()),
            tuple(sorted(counts.get(a, Counter()).items())),
            round(won.get(a, 0.0), 3),
            round(lost.get(a, 0.0), 3),
            tuple(ids.get(a, [])),
        )
        for a in actors
    )
