"""What would have happened without the harmful mitigations: a replay of the log.

A drill is a function of (scenario, seed, inputs with their times), so the
log itself says how to rebuild the world without some of its inputs. When a
team pulls a lever the scenario marks harmful, the mitigation checks are
scored on both worlds and each keeps the lower score: a harmful action can
cost points but never earn them, even when in the simulation it happened to
help (a database failover that also cleared a blocking query, say).

The replay is checked against the log: up to the first dropped input it must
reproduce the log byte for byte, or it is not used (a log from another
engine version, say) and the grade says so in its notes.

The same replay attributes the end of an incident (:func:`attribute`,
:func:`mitigators`): the grade's ``mitigation.effective`` and the postmortem
credit a mitigation without which harm would have ended later (or never), not
simply the last one before it ended. Removing an input removes what depends on
it (:func:`with_dependents`: a teammate's action and the task that asked for it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from math import inf

from ..drill import Drill
from ..errors import FiredrillError
from ..log import Event
from ..outcome import Outcome, outcome
from ..scenario import Scenario
from .model import Check, Evidence


def with_dependents(events: Sequence[Event], drop: set[int]) -> set[int]:
    """``drop`` with what stands or falls with it: a teammate's action (an input with
    ``via``) is the delegated task's doing, so removing it removes the ``delegate`` that
    asked for it (else the replayed teammate would redo it); removing a ``delegate``
    removes the action it led to (the replay never asks for it)."""
    out = set(drop)
    for e in events:
        if e.type != "input" or "via" not in e.data:
            continue
        via = int(e.data["via"])
        if e.seq in drop:
            out.add(via)
        if via in drop:
            out.add(e.seq)
    return out


Replays = dict[frozenset[int], "list[Event] | None"]  # one log's replays, by dropped seqs


def replay_without(
    scenario: Scenario, events: Sequence[Event], drop: set[int], memo: Replays | None = None
) -> list[Event] | None:
    """The log of the same drill without the inputs whose seqs are in ``drop`` and what
    depends on them (:func:`with_dependents`); None when the log cannot be replayed.
    ``memo`` keeps the replays of this one log, so grading replays each set once."""
    created = next((e for e in events if e.type == "drill.created"), None)
    if created is None or created.data.get("scenario") != scenario.id or not drop:
        return None
    drop = with_dependents(events, drop)
    key = frozenset(drop)
    if memo is not None and key in memo:
        return memo[key]
    found = _replay(scenario, events, drop, int(created.data.get("seed", 0)))
    if memo is not None:
        memo[key] = found
    return found


def _replay(
    scenario: Scenario, events: Sequence[Event], drop: set[int], seed: int
) -> list[Event] | None:
    drill = Drill(scenario, seed)
    for e in events:
        if e.type != "input" or e.seq in drop:
            continue
        if drill.ended:
            break
        try:
            drill.reapply(e)
        except FiredrillError:
            continue  # refused in this world: it changes nothing, as a refusal does
    last = events[-1]
    drill.advance(last.t + (scenario.tick if last.type == "drill.ended" else 0.0))
    first = min(drop)
    same = [e.to_json() for e in events if e.seq < first]
    if [e.to_json() for e in drill.log.events[: len(same)]] != same:
        return None
    return list(drill.log.events)


def lower(actual: Check, other: Check, why: str, cited: tuple[Evidence, ...]) -> Check:
    """``actual`` scored as ``other`` when the world without the harmful actions scores
    it lower; the detail says so and the harmful inputs join the evidence."""
    if other.points >= actual.points:
        return actual
    outcome = "penalty" if actual.penalty else "partial" if other.points > 0 else "missed"
    evidence = tuple(sorted(set(actual.evidence) | set(cited), key=lambda e: (e.seq, e.note)))
    return replace(
        actual,
        points=other.points,
        outcome=outcome,
        evidence=evidence,
        detail=f"{actual.detail} Without {why} (replayed from this log): {other.detail}",
        stronger=other.stronger or actual.stronger,
        actors=other.actors if actual.penalty else actual.actors if other.points > 0 else (),
    )


@dataclass(frozen=True, slots=True)
class Without:
    """What the drill's outcome would have been without one mitigation (a replay)."""

    seq: int
    mitigated_at: float | None  # None: harm still ongoing at the end
    impact_minutes: float
    delay: float  # how much later harm ended without it (inf: it never did)


def attribute(
    scenario: Scenario, events: Sequence[Event], seqs: Sequence[int], memo: Replays | None = None
) -> list[Without] | None:
    """Replay the log once without each mitigation in ``seqs``; None when the log cannot
    be replayed or harm was still ongoing at its end. The move that changed impact is
    the one whose absence delays (or prevents) the end of harm the most: see
    :func:`decisive`. When harm never began, ``delay`` is how long harm lasts without
    the move (it kept the incident from ever reaching the threshold)."""
    real = outcome(scenario, events)
    if real.mitigated_at is None and real.impact_started_at is not None:
        return None
    out = []
    for seq in seqs:
        w = _without(scenario, events, real, {seq}, seq, memo)
        if w is None:
            return None
        out.append(w)
    return out


def _without(
    scenario: Scenario,
    events: Sequence[Event],
    real: Outcome,
    drop: set[int],
    seq: int,
    memo: Replays | None = None,
) -> Without | None:
    """The outcome without the inputs in ``drop`` (recorded under ``seq``), beside the real one."""
    cf = replay_without(scenario, events, drop, memo)
    if cf is None:
        return None
    o = outcome(scenario, cf)
    if real.impact_started_at is None:  # harm never began: how long it lasts without
        started = o.impact_started_at
        delay = (
            0.0 if started is None else inf if o.mitigated_at is None else o.mitigated_at - started
        )
    else:
        assert real.mitigated_at is not None
        delay = inf if o.mitigated_at is None else o.mitigated_at - real.mitigated_at
    return Without(seq, o.mitigated_at, o.impact_minutes, delay)


def decisive(found: Sequence[Without], tolerance: float = 60.0) -> list[Without]:
    """The mitigations whose absence delays the end of harm most (by more than
    ``tolerance`` seconds); several when they tie (each alone was necessary)."""
    worst = max((w.delay for w in found), default=0.0)
    if worst <= tolerance:
        return []
    return [w for w in found if w.delay >= worst - (0.0 if worst == inf else tolerance)]


@dataclass(frozen=True, slots=True)
class Attribution:
    """Which mitigations the end of harm is owed to, by replay (see :func:`mitigators`).

    ``seqs`` empty: harm ended as early without every one of them (it ended on its
    own). ``each``: every move in ``seqs`` was necessary alone; otherwise only all of
    them together were (redundant moves, any one enough). ``delay``: how much later
    harm ended without them (inf: it never did)."""

    seqs: frozenset[int]
    each: bool
    delay: float


def mitigators(
    scenario: Scenario,
    events: Sequence[Event],
    seqs: Sequence[int],
    tolerance: float = 60.0,
    memo: Replays | None = None,
) -> Attribution | None:
    """The mitigations among ``seqs`` whose removal, by deterministic replay, makes the
    outcome worse (harm ends more than ``tolerance`` seconds later, or never): those
    :func:`decisive` names, else all of them together when only their joint removal
    does; None when the log cannot be replayed (or harm never ended)."""
    if not seqs:
        return Attribution(frozenset(), False, 0.0)
    found = attribute(scenario, events, seqs, memo)
    if found is None:
        return None
    key = decisive(found, tolerance)
    if key:
        return Attribution(frozenset(w.seq for w in key), True, min(w.delay for w in key))
    if len(seqs) == 1:
        return Attribution(frozenset(), False, found[0].delay)
    joint = _without(scenario, events, outcome(scenario, events), set(seqs), max(seqs), memo)
    if joint is None:
        return None
    if joint.delay <= tolerance:
        return Attribution(frozenset(), False, joint.delay)
    return Attribution(frozenset(seqs), False, joint.delay)
