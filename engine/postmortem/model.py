"""The postmortem draft as frozen values; ``to_dict`` and ``render.markdown`` say the same.

Times are simulated seconds since the drill started (``t``) with their
``T+mm:ss`` clock alongside; durations are seconds. Nothing here reads the
wall clock: the document's date is whatever the caller passed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..timeexpr import format_clock
from .templates import section_titles

POSTMORTEM_VERSION = 1


def _clock(t: float | None) -> str | None:
    return None if t is None else format_clock(t)


@dataclass(frozen=True, slots=True)
class Participant:
    actor: str
    label: str  # final role label, e.g. "IC (alex)"
    roles: tuple[tuple[float, str], ...]  # (since, role title) transitions
    inputs: int
    first_input_at: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "actor": self.actor,
            "label": self.label,
            "roles": [{"since": t, "role": r} for t, r in self.roles],
            "inputs": self.inputs,
            "first_input_at": self.first_input_at,
        }


@dataclass(frozen=True, slots=True)
class Milestone:
    key: str  # trigger | detected | paged | acknowledged | command | first_mitigation | ...
    title: str
    t: float | None
    since: float | None  # seconds after ``since_what``
    since_what: str | None  # "the trigger" | "the page" | "the first alert"
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "t": self.t,
            "clock": _clock(self.t),
            "since": self.since,
            "since_what": self.since_what,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class Entry:
    """One timeline line: a fact, who (by role) or what produced it, and the events behind it."""

    t: float
    who: str
    text: str
    kind: str  # input | facilitator | system | alert | page | message | trigger | impact
    key: tuple[str, ...]  # key-moment marks: page, command, first mitigation, ...
    seqs: tuple[int, ...]
    hidden: bool = False  # not visible to responders during the drill

    def to_dict(self) -> dict[str, Any]:
        return {
            "t": self.t,
            "clock": _clock(self.t),
            "who": self.who,
            "text": self.text,
            "kind": self.kind,
            "key": list(self.key),
            "seqs": list(self.seqs),
            "hidden": self.hidden,
        }


@dataclass(frozen=True, slots=True)
class Belief:
    """What someone said was true, beside what the simulation had at that moment."""

    seq: int
    t: float
    who: str
    kind: str  # impact | status | hypothesis | decision | chat
    said: str
    truth: str | None
    matches: bool | None  # None when it cannot be checked mechanically

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "t": self.t,
            "clock": _clock(self.t),
            "who": self.who,
            "kind": self.kind,
            "said": self.said,
            "truth": self.truth,
            "matches": self.matches,
        }


@dataclass(frozen=True, slots=True)
class Finding:
    """One lesson: what went well or wrong, or where we got lucky."""

    text: str
    source: str  # "grade:<check id>" | "simulation" | "scenario"
    dimension: str | None = None
    stronger: str | None = None  # what would have helped (from the grade)
    refs: tuple[int, ...] = ()  # log seqs behind it

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "source": self.source,
            "dimension": self.dimension,
            "stronger": self.stronger,
            "refs": list(self.refs),
        }


@dataclass(frozen=True, slots=True)
class ActionItem:
    title: str
    owner: str
    due_days: int
    deadline: str | None  # ISO date when the caller gave a drill date
    verification: str
    source: str  # "scenario" | "gap:<check id or simulation fact>"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Impact:
    """Impact figures; every value comes from the log (see docs/postmortem.md)."""

    threshold_pct: float
    impact_started_at: float | None
    mitigated_at: float | None
    impact_duration: float | None
    ongoing_at_end: bool
    peak_users_affected_pct: float
    peak_users_at: float | None
    users_total: int
    approx_users_affected: int
    final_users_affected_pct: float
    peak_err_5xx_pct: float
    peak_err_5xx_metric: str | None
    failed_requests: float
    money_lost: float
    rows_corrupted: float
    max_consumer_lag: float
    has_topics: bool
    impact_minutes: float
    error_budget_used_pct: float
    slo_availability_pct: float
    slo_window_days: int
    alerts_fired: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["alerts_fired"] = list(self.alerts_fired)
        return d


@dataclass(frozen=True)
class Postmortem:
    template: str
    title: str
    scenario: dict[str, Any]
    seed: int | None
    date: str
    status: str
    severity: str
    severity_note: str
    participants: tuple[Participant, ...]
    facilitators: tuple[str, ...]
    simulated: tuple[str, ...]
    summary: str
    impact: Impact
    milestones: tuple[Milestone, ...]
    timeline: tuple[Entry, ...]
    trigger: str
    root_cause: str
    contributing_factors: tuple[str, ...]
    resolution: str
    detection: str
    beliefs: tuple[Belief, ...]
    problem: str
    whys: tuple[str, ...]
    went_well: tuple[Finding, ...]
    went_wrong: tuple[Finding, ...]
    lucky: tuple[Finding, ...]
    grade: dict[str, Any] | None
    grade_note: str
    action_items: tuple[ActionItem, ...]
    messaging: tuple[Entry, ...]
    events: int
    notes: tuple[str, ...] = field(default=())
    version: int = POSTMORTEM_VERSION

    @property
    def sections(self) -> list[str]:
        return section_titles(self.template)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "template": self.template,
            "sections": self.sections,
            "title": self.title,
            "scenario": self.scenario,
            "seed": self.seed,
            "date": self.date,
            "status": self.status,
            "severity": self.severity,
            "severity_note": self.severity_note,
            "participants": [p.to_dict() for p in self.participants],
            "facilitators": list(self.facilitators),
            "simulated": list(self.simulated),
            "summary": self.summary,
            "impact": self.impact.to_dict(),
            "milestones": [m.to_dict() for m in self.milestones],
            "timeline": [e.to_dict() for e in self.timeline],
            "trigger": self.trigger,
            "root_cause": self.root_cause,
            "contributing_factors": list(self.contributing_factors),
            "resolution": self.resolution,
            "detection": self.detection,
            "beliefs": [b.to_dict() for b in self.beliefs],
            "five_whys": {
                "problem": self.problem,
                "whys": list(self.whys),
                "systemic_cause": self.whys[-1] if self.whys else None,
            },
            "went_well": [f.to_dict() for f in self.went_well],
            "went_wrong": [f.to_dict() for f in self.went_wrong],
            "lucky": [f.to_dict() for f in self.lucky],
            "grade": self.grade,
            "grade_note": self.grade_note,
            "action_items": [a.to_dict() for a in self.action_items],
            "messaging": [e.to_dict() for e in self.messaging],
            "events": self.events,
            "notes": list(self.notes),
        }
