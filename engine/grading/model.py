"""The grade as frozen values: evidence, checks, dimensions, players.

Everything here is plain data with a canonical ``to_dict`` (rounded numbers,
no sets, fixed key order irrelevant because :meth:`Grade.to_json` sorts keys),
so the same log always serialises to the same bytes. ``GRADE_VERSION`` is
bumped whenever the JSON structure or the rubric's meaning changes;
docs/grading.md describes both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

GRADE_VERSION = 2
DIMENSIONS: tuple[str, ...] = ("command", "blast_radius", "mitigation", "communication")
TITLES: dict[str, str] = {
    "command": "Command",
    "blast_radius": "Blast radius",
    "mitigation": "Mitigation",
    "communication": "Communication",
}


def r1(x: float) -> float:
    """Points and percentages: one decimal, and never ``-0.0``."""
    return round(x, 1) + 0.0


def r3(x: float) -> float:
    return round(x, 3) + 0.0


@dataclass(frozen=True, slots=True)
class Evidence:
    """One log event behind a check: where it is (seq, t) and what it shows."""

    seq: int
    t: float
    actor: str
    type: str
    note: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "t": r3(self.t),
            "actor": self.actor,
            "type": self.type,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class Check:
    """One scored observation. Penalties have ``max_points == 0`` and points <= 0.

    ``outcome`` is ``met`` / ``partial`` / ``missed`` for scored checks and
    ``penalty`` / ``clear`` for penalties. ``stronger`` is None exactly when
    nothing was lost. ``concerns`` lists the input types that can move it.
    """

    id: str
    dimension: str
    title: str
    points: float
    max_points: float
    outcome: str
    detail: str
    stronger: str | None
    evidence: tuple[Evidence, ...]
    actors: tuple[str, ...]
    concerns: tuple[str, ...]

    @property
    def penalty(self) -> bool:
        return self.max_points == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "dimension": self.dimension,
            "title": self.title,
            "points": r1(self.points),
            "max_points": r1(self.max_points),
            "outcome": self.outcome,
            "detail": self.detail,
            "stronger": self.stronger,
            "evidence": [e.to_dict() for e in self.evidence],
            "actors": list(self.actors),
            "concerns": list(self.concerns),
        }


@dataclass(frozen=True, slots=True)
class Dimension:
    name: str
    score: int
    earned: float
    possible: float
    weight: float
    checks: tuple[Check, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": TITLES[self.name],
            "score": self.score,
            "earned": r1(self.earned),
            "possible": r1(self.possible),
            "weight": r3(self.weight),
            "checks": [c.to_dict() for c in self.checks],
        }


@dataclass(frozen=True, slots=True)
class MitigationVerdict:
    """What one mitigation input did, judged from the metrics and hidden state."""

    seq: int
    t: float
    actor: str
    action: str
    target: str | None
    rule: str  # correct | acceptable | harmful | unlisted | no-op
    why: str | None
    landed_at: float | None
    before_pct: float
    after_pct: float | None
    verdict: str  # helped | no visible effect | made worse | pending
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "t": r3(self.t),
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "rule": self.rule,
            "why": self.why,
            "landed_at": None if self.landed_at is None else r3(self.landed_at),
            "before_pct": r1(self.before_pct),
            "after_pct": None if self.after_pct is None else r1(self.after_pct),
            "verdict": self.verdict,
            "notes": list(self.notes),
        }


@dataclass(frozen=True, slots=True)
class Player:
    """One actor's share: inputs by category and the points their inputs moved."""

    actor: str
    inputs: int
    categories: tuple[tuple[str, int], ...]
    won: float
    lost: float
    checks: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "actor": self.actor,
            "inputs": self.inputs,
            "categories": dict(self.categories),
            "points_won": r1(self.won),
            "points_lost": r1(self.lost),
            "checks": list(self.checks),
        }


@dataclass(frozen=True, slots=True)
class Anchor:
    """What the windows are measured from: the page, else the first alert or fault."""

    kind: str  # page | alert | fault | start
    seq: int
    t: float

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "seq": self.seq, "t": r3(self.t)}


@dataclass(frozen=True, slots=True)
class Claim:
    """One checkable statement and what the simulation had at that moment."""

    seq: int
    t: float
    actor: str
    source: str  # state_impact | status_update (public) | status_update (executive) ...
    kind: str  # users | trend | data | over | scope | action
    said: str
    truth: str
    score: float  # 1 true ... 0 false (a share by the size of its error)
    off_by: str | None  # how wrong, in words, when not fully true
    structured: bool  # read from a field (True) or from free text (False)
    value: float | None = None  # a share: the stated percentage

    @property
    def true(self) -> bool:
        return self.score >= 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "t": r3(self.t),
            "actor": self.actor,
            "source": self.source,
            "kind": self.kind,
            "said": self.said,
            "truth": self.truth,
            "score": r3(self.score),
            "off_by": self.off_by,
            "read_from": "field" if self.structured else "text",
        }


@dataclass(frozen=True, slots=True)
class Grade:
    scenario: str
    seed: int | None
    anchor: Anchor
    overall: int
    dimensions: tuple[Dimension, ...]
    players: tuple[Player, ...]
    mitigations: tuple[MitigationVerdict, ...]
    mitigated_at: float | None
    ended_at: float
    windows: tuple[tuple[str, float], ...]
    weights: tuple[tuple[str, float], ...]
    notes: tuple[str, ...] = ()
    claims: tuple[Claim, ...] = ()
    version: int = GRADE_VERSION

    def dimension(self, name: str) -> Dimension:
        return next(d for d in self.dimensions if d.name == name)

    def check(self, check_id: str) -> Check:
        for d in self.dimensions:
            for c in d.checks:
                if c.id == check_id:
                    return c
        raise KeyError(check_id)

    @property
    def scores(self) -> dict[str, int]:
        return {"overall": self.overall, **{d.name: d.score for d in self.dimensions}}

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "scenario": self.scenario,
            "seed": self.seed,
            "anchor": self.anchor.to_dict(),
            "overall": self.overall,
            "scores": {d.name: d.score for d in self.dimensions},
            "dimensions": [d.to_dict() for d in self.dimensions],
            "players": [p.to_dict() for p in self.players],
            "mitigations": [m.to_dict() for m in self.mitigations],
            "claims": [c.to_dict() for c in self.claims],
            "mitigated_at": None if self.mitigated_at is None else r3(self.mitigated_at),
            "ended_at": r3(self.ended_at),
            "windows": {k: r3(v) for k, v in self.windows},
            "weights": {k: r3(v) for k, v in self.weights},
            "notes": list(self.notes),
        }

    def to_json(self) -> bytes:
        """Canonical bytes: sorted keys, compact; equal grades are equal bytes."""
        return orjson.dumps(self.to_dict(), option=orjson.OPT_SORT_KEYS)
