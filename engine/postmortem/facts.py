"""What the log says happened: one pass over the events, indexed for the postmortem.

:class:`Facts` reads the drill log once. Impact figures come from
:func:`engine.outcome.outcome` unchanged (the CLI prints the same numbers);
this module adds what the outcome does not keep: when each milestone
happened, who held which incident role at each moment, severity, and the
metric sample in force at any time (for "believed vs true").
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from ..inputs import CATEGORY
from ..log import Event
from ..outcome import Outcome, outcome
from ..scenario import Scenario

T = TypeVar("T")
FAULT_TARGETS = ("service", "dependency", "flag", "topic", "database", "version")
USERS = "business.users_affected_pct"
ROWS = "business.rows_corrupted"
ROLE_TITLES = {
    "ic": "IC",
    "deputy": "Deputy",
    "scribe": "Scribe",
    "comms": "Comms",
    "ops": "Ops",
    "sme": "SME",
}
TREND_WINDOWS = (180.0, 60.0)  # a stated trend is right if it matches either window
TREND_ABS, TREND_REL = 1.0, 0.10  # a change above 1 point (or 10%) is a trend
LAG_DELAYED = 1000.0  # consumer lag above this many messages: data is delayed


class Roles:
    """Incident roles over time, replayed from the inputs in log order."""

    def __init__(self) -> None:
        self.commander: str | None = None
        self.roles: dict[str, str] = {}

    def apply(self, actor: str, data: Mapping[str, Any]) -> None:
        kind = data.get("type")
        if kind == "take_command":
            self._command(actor)
        elif kind == "assign_role":
            person, role = str(data.get("person")), str(data.get("role"))
            if role == "ic":
                self._command(person)
            else:
                self.roles[person] = role

    def _command(self, person: str) -> None:
        if self.commander is not None and self.roles.get(self.commander) == "ic":
            del self.roles[self.commander]
        self.commander = person
        self.roles[person] = "ic"

    def title(self, actor: str) -> str:
        if actor == self.commander:
            return "IC"
        role = self.roles.get(actor)
        return ROLE_TITLES[role] if role and role != "ic" else "Responder"

    def label(self, actor: str) -> str:
        return f"{self.title(actor)} ({actor})"


@dataclass(frozen=True, slots=True)
class Sample:
    seq: int
    t: float
    values: Mapping[str, float]


def is_human(e: Event) -> bool:
    """A player's input (not a facilitator control, not the system)."""
    return e.type == "input" and CATEGORY.get(str(e.data.get("type"))) not in (None, "facilitate")


def first(items: Sequence[T], pred: Callable[[T], bool]) -> T | None:
    return next((x for x in items if pred(x)), None)


class Facts:
    """The log, indexed: inputs, samples, milestones, roles, and the outcome."""

    def __init__(self, scenario: Scenario, events: Sequence[Event]) -> None:
        self.scenario = scenario
        self.events = list(events)
        self.outcome: Outcome = outcome(scenario, self.events)
        self.threshold = scenario.grading.impact_threshold_pct
        self.by_seq = {e.seq: e for e in self.events}
        self.samples = [
            Sample(e.seq, e.t, e.data.get("values", {})) for e in self.events if e.type == "metrics"
        ]
        self._times = [s.t for s in self.samples]
        self.inputs = [e for e in self.events if e.type == "input"]
        self.human = [e for e in self.inputs if is_human(e)]
        self.observations = {
            int(e.data["for"]): e
            for e in self.events
            if e.type == "observation" and e.data.get("for") is not None
        }
        created = first(self.events, lambda e: e.type == "drill.created")
        self.created = created
        self.seed: int | None = None if created is None else created.data.get("seed")
        self.end_t = self.events[-1].t if self.events else 0.0
        self.ended = first(self.events, lambda e: e.type == "drill.ended")
        self.labels: dict[int, str] = {}
        self.final = Roles()
        self.role_history: dict[str, list[tuple[float, str]]] = {}
        self._replay_roles()
        self.facilitators = _unique(
            [e.actor for e in self.inputs if not is_human(e)]
            + [str(e.data["by"]) for e in self.inputs if e.data.get("by")]
        )
        self._milestones()

    # ---------------------------------------------------------------- roles
    def _replay_roles(self) -> None:
        roles = self.final
        known: list[str] = []
        for e in self.inputs:
            if not is_human(e):
                self.labels[e.seq] = f"Facilitator ({e.actor})"
                continue
            roles.apply(e.actor, e.data)
            self.labels[e.seq] = roles.label(e.actor)
            people = [e.actor]
            if e.data.get("type") == "assign_role":
                people.append(str(e.data.get("person")))
            known += [p for p in people if p not in known]
            for person in known:
                hist = self.role_history.setdefault(person, [])
                title = roles.title(person)
                if not hist or hist[-1][1] != title:
                    hist.append((e.t, title))

    def label(self, e: Event) -> str:
        return self.labels.get(e.seq, e.actor)

    # ----------------------------------------------------------- milestones
    def _milestones(self) -> None:
        ev = self.events
        self.faults = [e for e in ev if e.type == "state" and e.data.get("what") == "fault started"]
        self.fault = self._trigger()
        after = self.fault.t if self.fault is not None else float("-inf")
        self.first_alert = first(ev, lambda e: e.type == "alert.fired" and e.t >= after)
        self.page = first(ev, lambda e: e.type == "page")
        self.first_response = self.human[0] if self.human else None
        self.command = first(
            self.human,
            lambda e: (
                e.data.get("type") == "take_command"
                or (e.data.get("type") == "assign_role" and e.data.get("role") == "ic")
            ),
        )
        self.first_mitigation = first(
            self.human, lambda e: CATEGORY.get(str(e.data.get("type"))) == "mitigate"
        )
        updates = [e for e in self.human if e.data.get("type") == "status_update"]
        self.updates = updates
        self.first_update = updates[0] if updates else None
        self.first_public = first(updates, lambda e: e.data.get("audience") == "public")
        self.declared = [e for e in self.human if e.data.get("type") == "declare_incident"]
        mit = self.outcome.mitigated_at
        self.mitigated_sample = (
            first(self.samples, lambda s: s.t == mit) if mit is not None else None
        )
        self.impact_sample = (
            None
            if self.outcome.impact_started_at is None
            else first(self.samples, lambda s: s.t == self.outcome.impact_started_at)
        )
        self.resolved_status = (
            None
            if mit is None
            else first(
                updates,
                lambda e: (
                    e.data.get("audience") == "public"
                    and e.data.get("state") == "resolved"
                    and e.t >= mit
                ),
            )
        )
        self.anchor = self.page or self.first_alert

    def _trigger(self) -> Event | None:
        """The fault that is the trigger: one whose target or version the truth names;
        else the last to start before impact began; else the first."""
        truth = f"{self.scenario.truth.trigger} {self.scenario.truth.root_cause}"
        by_id = {(x.id or x.kind): x for x in self.scenario.faults}
        for e in self.faults:
            spec = by_id.get(str(e.data.get("fault")))
            names = [getattr(spec, k, None) for k in FAULT_TARGETS]
            if any(
                isinstance(n, str) and re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", truth)
                for n in names
            ):
                return e
        start = self.outcome.impact_started_at
        # a tool outage blinds the responders; it hurts no user, so it triggers nothing
        hurt = [e for e in self.faults if e.data.get("kind") != "tool_outage"] or self.faults
        before = [e for e in hurt if start is not None and e.t <= start]
        return before[-1] if before else (hurt[0] if hurt else None)

    @property
    def anchor_t(self) -> float | None:
        return None if self.anchor is None else self.anchor.t

    @property
    def anchor_name(self) -> str:
        return "the page" if self.page is not None else "the first alert"

    @property
    def resolved_at(self) -> float | None:
        """A resolved public status after mitigation; else the end, if mitigated."""
        if self.outcome.mitigated_at is None:
            return None
        return self.resolved_status.t if self.resolved_status is not None else self.end_t

    @property
    def severity(self) -> str:
        return str(self.declared[-1].data["severity"]) if self.declared else "undeclared"

    # ---------------------------------------------------------------- truth
    def sample_at(self, t: float) -> Sample | None:
        """The last sample at or before ``t`` (the first one if ``t`` precedes all)."""
        if not self.samples:
            return None
        i = bisect_right(self._times, t + 1e-9) - 1
        return self.samples[max(0, i)]

    def value(self, metric: str, t: float) -> float:
        s = self.sample_at(t)
        return float(s.values.get(metric, 0.0)) if s is not None else 0.0

    def users(self, t: float) -> float:
        return self.value(USERS, t)

    def trend(self, t: float, window: float) -> str:
        now, then = self.users(t), self.users(t - window)
        limit = max(TREND_ABS, TREND_REL * max(abs(now), abs(then)))
        delta = now - then
        return "rising" if delta > limit else "falling" if delta < -limit else "stable"

    def data_state(self, t: float) -> str:
        """corrupted (rows corrupted so far), delayed (consumer lag), or intact."""
        if self.value(ROWS, t) > 0.5:
            return "corrupted"
        s = self.sample_at(t)
        if s is not None and any(
            k.endswith(".consumer_lag") and v > LAG_DELAYED for k, v in s.values.items()
        ):
            return "delayed"
        return "intact"

    def peak(self, suffix: str) -> tuple[float, str | None, float | None]:
        """(peak value, metric name, first time) over metrics ending in ``suffix``."""
        best: tuple[float, str | None, float | None] = (0.0, None, None)
        for s in self.samples:
            for k, v in s.values.items():
                if k.endswith(suffix) and v > best[0]:
                    best = (v, k, s.t)
        return best

    def first_corruption(self) -> Sample | None:
        return first(self.samples, lambda s: s.values.get(ROWS, 0.0) > 0.5)


def _unique(items: Sequence[str]) -> list[str]:
    out: list[str] = []
    for x in items:
        if x not in out:
            out.append(x)
    return out
