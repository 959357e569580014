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

The same replay attributes the end of an incident (:func:`attribute`): the
postmortem credits the mitigation without which harm would have ended latest,
not simply the last one before it ended.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from math import inf

from ..drill import Drill
from ..errors import FiredrillError
from ..log import Event
from ..scenario import Scenario
from .model import Check, Evidence


def replay_without(
    scenario: Scenario, events: Sequence[Event], drop: set[int]
) -> list[Event] | None:
    """The log of the same drill without the inputs whose seqs are in ``drop``."""
    created = next((e for e in events if e.type == "drill.created"), None)
    if created is None or created.data.get("scenario") != scenario.id or not drop:
        return None
    drill = Drill(scenario, int(created.data.get("seed", 0)))
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
    scenario: Scenario, events: Sequence[Event], seqs: Sequence[int]
) -> list[Without] | None:
    """Replay the log once without each mitigation in ``seqs``; None when the log cannot
    be replayed. The move that changed impact is the one whose absence delays (or
    prevents) the end of harm the most: see :func:`decisive`."""
    from ..outcome import outcome

    real = outcome(scenario, events)
    if real.mitigated_at is None:
        return None
    out = []
    for seq in seqs:
        cf = replay_without(scenario, events, {seq})
        if cf is None:
            return None
        o = outcome(scenario, cf)
        delay = inf if o.mitigated_at is None else o.mitigated_at - real.mitigated_at
        out.append(Without(seq, o.mitigated_at, o.impact_minutes, delay))
    return out


def decisive(found: Sequence[Without], tolerance: float = 60.0) -> list[Without]:
    """The mitigations whose absence delays the end of harm most (by more than
    ``tolerance`` seconds); several when they tie (each alone was necessary)."""
    worst = max((w.delay for w in found), default=0.0)
    if worst <= tolerance:
        return []
    return [w for w in found if w.delay >= worst - (0.0 if worst == inf else tolerance)]
