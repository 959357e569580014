"""What went well, what went wrong, where we got lucky.

Two sources. The drill grade, read only through its documented JSON
(``grade.to_dict()``, docs/grading.md): every scored check that was met goes
to *went well*, every check missed or partly met and every penalty to *went
wrong* with the grade's "what would have been stronger". And the simulation
itself: corruption, impact still ongoing, par, irreversible migrations, a
dependency that recovered on its own. ``truth.lucky`` adds the scenario's luck.

Blameless by construction: *went well* credits people by role and name;
*went wrong* names roles only, never a person.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..inputs import CATEGORY
from ..scenario import ReleaseFault
from .actions import target_of
from .facts import USERS, Facts
from .model import Finding
from .phrases import clock, describe_input, mmss

GAP_OUTCOMES = ("missed", "partial", "penalty")
_REL = re.compile(r"\b(page|alert|fault|start)([+-])(\d+):(\d{2})\b")


def read_grade(grade: Any) -> dict[str, Any] | None:
    """The grade's JSON: from an object with ``to_dict()``, a mapping, or None."""
    if grade is None:
        return None
    fn = getattr(grade, "to_dict", None)
    data = fn() if callable(fn) else grade
    if not isinstance(data, Mapping):
        raise TypeError(
            f"grade must be a Grade, its to_dict() or None (got {type(grade).__name__})"
        )
    return dict(data)


def checks(grade: Mapping[str, Any] | None) -> list[tuple[str, Mapping[str, Any]]]:
    """(dimension title, check) pairs from the documented JSON; empty if unreadable."""
    if not grade:
        return []
    out = []
    for dim in grade.get("dimensions") or []:
        if not isinstance(dim, Mapping):
            continue
        title = str(dim.get("title") or dim.get("name") or "")
        for c in dim.get("checks") or []:
            if isinstance(c, Mapping) and c.get("id"):
                out.append((title, c))
    return out


def gaps(grade: Mapping[str, Any] | None) -> set[str]:
    """Check ids the grade scored below full marks or penalised."""
    return {str(c["id"]) for _, c in checks(grade) if c.get("outcome") in GAP_OUTCOMES}


def _anchor(grade: Mapping[str, Any]) -> Mapping[str, Any]:
    anchor = grade.get("anchor")
    return anchor if isinstance(anchor, Mapping) else {}


class Rewriter:
    """Grade prose in postmortem terms: drill clocks, and people named by role."""

    def __init__(self, f: Facts, grade: Mapping[str, Any]) -> None:
        anchor = _anchor(grade)
        self.kind = str(anchor.get("kind", "page"))
        self.t = float(anchor.get("t", f.anchor_t or 0.0))
        people = sorted(f.role_history, key=lambda p: (-len(p), p))
        self.people = [(p, f.final.label(p), f.final.title(p)) for p in people if p != "system"]

    def clocks(self, text: str) -> str:
        def sub(m: re.Match[str]) -> str:
            if m.group(1) != self.kind:
                return m.group(0)
            s = int(m.group(3)) * 60 + int(m.group(4))
            return clock(self.t + (s if m.group(2) == "+" else -s))

        return _REL.sub(sub, text)

    def names(self, text: str, credit: bool) -> str:
        for person, label, title in self.people:
            pat = re.compile(rf"(?<![\w(]){re.escape(person)}(?![\w)])")
            text = pat.sub(label if credit else title, text)
        return text

    def __call__(self, text: str, credit: bool) -> str:
        return self.names(self.clocks(text), credit)


def from_grade(f: Facts, grade: Mapping[str, Any] | None) -> tuple[list[Finding], list[Finding]]:
    """Met checks to *went well*; gaps to *went wrong*. Checks that found nothing at all
    (missed, evidence only the anchor and the end of the log) fold into one line per
    dimension; a "stronger" already given is not repeated."""
    well: list[Finding] = []
    wrong: list[Finding] = []
    if not grade:
        return well, wrong
    rw = Rewriter(f, grade)
    anchor = _anchor(grade)
    bare = {anchor.get("seq"), f.events[-1].seq if f.events else None}
    absent: dict[str, list[Mapping[str, Any]]] = {}
    said: set[str] = set()
    for dim, c in checks(grade):
        outcome = c.get("outcome")
        refs = tuple(
            int(e["seq"])
            for e in c.get("evidence") or []
            if isinstance(e, Mapping) and isinstance(e.get("seq"), int)
        )
        detail = str(c.get("detail") or "").strip()
        title = str(c.get("title") or c["id"])
        src = f"grade:{c['id']}"
        if outcome == "met":
            well.append(Finding(f"{title}: {rw(detail, True)}", src, dim, None, refs))
        elif outcome == "missed" and set(refs) <= bare:
            if dim not in absent:
                wrong.append(Finding("", f"absent:{dim}", dim))
            absent.setdefault(dim, []).append(c)
        elif outcome in GAP_OUTCOMES:
            part = " (partly)" if outcome == "partial" else ""
            stronger = rw(str(c["stronger"]), False) if c.get("stronger") else None
            wrong.append(
                Finding(
                    f"{title}{part}: {rw(detail, False)}",
                    src,
                    dim,
                    None if stronger in said else stronger,
                    refs,
                )
            )
            said.add(stronger or "")
    out = []
    for x in wrong:
        if not x.source.startswith("absent:"):
            out.append(x)
            continue
        group = absent[x.dimension or ""]
        titles = "; ".join(_lower_first(str(c.get("title") or c["id"])) for c in group)
        strongers = [rw(str(c["stronger"]), False) for c in group if c.get("stronger")]
        fresh = [s for s in dict.fromkeys(strongers) if s not in said][:3]
        said.update(fresh)
        out.append(
            Finding(
                f"Not seen in this drill: {titles}.",
                "grade:" + ",".join(str(c["id"]) for c in group),
                x.dimension,
                " ".join(fresh) or None,
            )
        )
    return well, out


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def irreversible(f: Facts) -> list[str]:
    """Irreversible migrations applied during the drill or recorded before it."""
    ids = [c.migration.id for c in f.scenario.changes if c.migration and not c.migration.reversible]
    ids += [
        x.migration.id
        for x in f.scenario.faults
        if isinstance(x, ReleaseFault) and x.migration is not None and not x.migration.reversible
    ]
    return list(dict.fromkeys(ids))


def from_simulation(f: Facts, graded: bool) -> tuple[list[Finding], list[Finding], list[Finding]]:
    o = f.outcome
    well: list[Finding] = []
    wrong: list[Finding] = []
    lucky: list[Finding] = []
    par = f.scenario.grading.par_mitigate
    ttm = o.time_to_mitigate
    if not graded and o.impact_started_at is not None:
        if o.mitigated_at is None:
            wrong.append(
                Finding(
                    "Impact was still ongoing when the drill ended: "
                    f"{o.final_users_affected_pct:.1f}% of users affected at {clock(f.end_t)}.",
                    "simulation",
                )
            )
        elif par and ttm is not None:
            (well if ttm <= par else wrong).append(
                Finding(
                    f"Impact ended {mmss(ttm)} after the page, "
                    f"{'within' if ttm <= par else 'past'} the {mmss(par)} par.",
                    "simulation",
                )
            )
    c = f.first_corruption()
    if c is not None:
        mits = [
            e for e in f.human if CATEGORY.get(str(e.data.get("type"))) == "mitigate" and e.t <= c.t
        ]
        after = (
            (
                f"; the last mitigation before it: {describe_input(mits[-1].data)} "
                f"at {clock(mits[-1].t)}"
            )
            if mits
            else ""
        )
        wrong.append(
            Finding(
                f"{o.rows_corrupted:,.0f} rows were corrupted, starting at {clock(c.t)}{after}.",
                "simulation",
                refs=(c.seq,),
            )
        )
    elif irreversible(f) and o.impact_started_at is not None:
        well.append(
            Finding(
                f"No data was corrupted, although migration "
                f"{', '.join(irreversible(f))} cannot be reversed.",
                "simulation",
            )
        )
    wrong += worsened(f)
    if not graded:
        for e in f.human:
            rule = _harmful(f, e.data)
            if rule is not None:
                wrong.append(
                    Finding(
                        f"A mitigation this scenario lists as harmful was used: "
                        f"{describe_input(e.data)} at {clock(e.t)} ({rule}).",
                        "simulation",
                        refs=(e.seq,),
                    )
                )
    for line in f.scenario.truth.lucky:
        lucky.append(Finding(line, "scenario"))
    end = o.mitigated_at
    for e in f.events:
        if (
            e.type == "state"
            and e.data.get("what") == "dependency recovered"
            and end is not None
            and e.t <= end
        ):
            lucky.append(
                Finding(
                    f"{e.data.get('component')} recovered on its own at "
                    f"{clock(e.t)}; impact fell below the threshold at "
                    f"{clock(end)}.",
                    "simulation",
                    refs=(e.seq,),
                )
            )
    return well, wrong, lucky


WORSE_WINDOW = 300.0  # look this long after a mitigation for a rise in users affected
WORSE_ABS, WORSE_REL = 5.0, 0.5  # a rise of 5 points and half the level it started from
TREND_WINDOW = 180.0  # ... beyond the rise the 3 minutes before would have predicted


def worsened(f: Facts) -> list[Finding]:
    """Mitigations after which users affected rose markedly within five minutes (before the
    next mitigation) beyond where the previous 3 minutes' trend was heading: a fact about
    the sequence, with its numbers; the grade judges causation."""
    out = []
    mits = [e for e in f.human if CATEGORY.get(str(e.data.get("type"))) == "mitigate"]
    for e, nxt in zip(mits, [*mits[1:], None], strict=False):
        before = f.users(e.t)
        until = e.t + WORSE_WINDOW if nxt is None else min(e.t + WORSE_WINDOW, nxt.t)
        after = [s for s in f.samples if e.t < s.t <= until]
        if not after:
            continue
        top = max(after, key=lambda s: s.values.get(USERS, 0.0))
        peak = float(top.values.get(USERS, 0.0))
        slope = max(0.0, before - f.users(e.t - TREND_WINDOW)) / TREND_WINDOW
        expected = before + slope * (top.t - e.t)  # where the trend was heading anyway
        if peak - expected >= max(WORSE_ABS, WORSE_REL * before):
            out.append(
                Finding(
                    f"Users affected rose from {before:.1f}% to {peak:.1f}% by {clock(top.t)}, "
                    f"within {mmss(top.t - e.t)} after {describe_input(e.data)} at {clock(e.t)}.",
                    "simulation",
                    refs=(e.seq, top.seq),
                )
            )
    return out


def _harmful(f: Facts, d: Mapping[str, Any]) -> str | None:
    for rule in f.scenario.grading.harmful:
        if rule.action == d.get("type") and rule.target in (None, target_of(d)):
            return rule.why
    return None


def lessons(
    f: Facts, grade: Mapping[str, Any] | None
) -> tuple[list[Finding], list[Finding], list[Finding]]:
    """(went well, went wrong, lucky): simulation facts first, then the grade's checks."""
    s_well, s_wrong, lucky = from_simulation(f, graded=bool(checks(grade)))
    g_well, g_wrong = from_grade(f, grade)
    return s_well + g_well, s_wrong + g_wrong, lucky


def grade_summary(grade: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not checks(grade):
        return None
    assert grade is not None
    dims = [d for d in grade.get("dimensions") or [] if isinstance(d, Mapping)]
    return {
        "overall": grade.get("overall"),
        "scores": {str(d.get("title") or d.get("name")): d.get("score") for d in dims},
        "version": grade.get("version"),
    }


def grade_note(scenario_id: str, grade: Mapping[str, Any] | None) -> str:
    if grade is None:
        return (
            "No drill grade was passed, so the grade's findings are not included; the "
            "lessons below come from the simulation alone. Pass "
            "grade=engine.grading.grade(scenario, events) to include them."
        )
    if not checks(grade):
        return (
            "The grade passed in could not be read (expected the JSON documented in "
            "docs/grading.md); the lessons below come from the simulation alone."
        )
    if grade.get("scenario") not in (None, scenario_id):
        return f"Note: the grade is of scenario {grade.get('scenario')!r}, not {scenario_id!r}."
    return ""
