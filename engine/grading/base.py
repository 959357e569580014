"""Building checks: scored fractions, penalties with hits, timing credit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..floats import total as fsum_lr
from .model import Check, Evidence
from .rubric import SPECS, Rubric


def timing(rel: float, full: float, late: float) -> float:
    """Full credit by ``full`` seconds after the anchor, half by ``late``, else none."""
    return 1.0 if rel <= full else 0.5 if rel <= late else 0.0


def dedupe(items: Iterable[str]) -> tuple[str, ...]:
    out: list[str] = []
    for x in items:
        if x not in out:
            out.append(x)
    return tuple(out)


def scored(
    rb: Rubric,
    cid: str,
    frac: float,
    detail: str,
    stronger: str,
    evidence: Sequence[Evidence],
    actors: Iterable[str] = (),
) -> Check:
    """A check worth ``frac`` of its points; ``stronger`` is dropped at full marks."""
    spec = SPECS[cid]
    frac = min(1.0, max(0.0, frac))
    full = rb.points(cid)
    outcome = "met" if frac >= 1.0 else "partial" if frac > 0 else "missed"
    return Check(
        id=cid,
        dimension=spec.dimension,
        title=spec.title,
        points=round(full * frac, 3),
        max_points=full,
        outcome=outcome,
        detail=detail,
        stronger=None if frac >= 1.0 else stronger,
        evidence=tuple(sorted(set(evidence), key=lambda e: (e.seq, e.note))),
        actors=dedupe(actors) if frac > 0 else (),
        concerns=spec.concerns,
    )


@dataclass(frozen=True, slots=True)
class Hit:
    """One occurrence of a penalty; ``scale`` multiplies the spec's points."""

    detail: str
    stronger: str
    evidence: tuple[Evidence, ...]
    actors: tuple[str, ...] = ()
    points: float | None = None  # overrides the spec's points for this hit


def penalty(rb: Rubric, cid: str, hits: Sequence[Hit], clear: str) -> Check:
    """A penalty check: the sum of its hits, capped; ``clear`` describes no hits."""
    spec = SPECS[cid]
    if not hits:
        return Check(
            cid, spec.dimension, spec.title, 0.0, 0.0, "clear", clear, None, (), (), spec.concerns
        )
    mult = rb.multipliers.get(cid, 1.0)
    total = fsum_lr((h.points if h.points is not None else spec.points) * mult for h in hits)
    total = max(rb.cap(cid), total) if spec.cap else total
    evidence = sorted({e for h in hits for e in h.evidence}, key=lambda e: (e.seq, e.note))
    return Check(
        id=cid,
        dimension=spec.dimension,
        title=spec.title,
        points=round(total, 3),
        max_points=0.0,
        outcome="penalty",
        detail=" ".join(dedupe(h.detail for h in hits)),
        stronger=" ".join(dedupe(h.stronger for h in hits)),
        evidence=tuple(evidence),
        actors=dedupe(a for h in hits for a in h.actors),
        concerns=spec.concerns,
    )
