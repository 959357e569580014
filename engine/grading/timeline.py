"""The log, indexed for grading: inputs, consequences and ground truth by time.

A :class:`Timeline` is built once per grade from the events alone. Truth
lookups read the metric samples the drill logged (what the simulation really
did), never the scenario's prose: the share of users affected at a time, its
trend, whether data is intact, delayed or corrupted.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..floats import total as fsum_lr
from ..inputs import CATEGORY
from ..log import Event
from ..outcome import ROWS, USERS, harms
from ..scenario import Scenario
from . import rubric as R
from .model import Anchor, Evidence

AFFECTED_5XX_PCT = 2.0  # a service at or above this 5xx rate is affected


@dataclass(frozen=True, slots=True)
class Sample:
    seq: int
    t: float
    values: Mapping[str, float]


def clock(seconds: float) -> str:
    """``m:ss`` (or ``-m:ss``) for a duration relative to the anchor."""
    sign = "-" if seconds < 0 else ""
    s = round(abs(seconds))
    return f"{sign}{s // 60}:{s % 60:02d}"


class Timeline:
    def __init__(self, scenario: Scenario, events: Sequence[Event]) -> None:
        self.scenario = scenario
        self.events = list(events)
        self.by_seq = {e.seq: e for e in self.events}
        self.samples = [
            Sample(e.seq, e.t, e.data["values"]) for e in self.events if e.type == "metrics"
        ]
        self._times = [s.t for s in self.samples]
        self.inputs = [
            e
            for e in self.events
            if e.type == "input"
            and CATEGORY.get(str(e.data.get("type"))) not in (None, "facilitate")
        ]
        self.related: dict[int, list[Event]] = {}
        self.observations: dict[int, Event] = {}
        for e in self.events:
            cause = e.data.get("for", e.data.get("for_seq"))  # for_seq: older logs
            if e.type in ("effect", "state") and cause is not None:
                self.related.setdefault(int(cause), []).append(e)
            elif e.type == "observation":
                self.observations[int(e.data["for"])] = e
        # looks whose tool was down (engine.mechanics.tooling): a stale panel or no log
        # lines showed nothing, so they earn no credit as looks
        self.unanswered = {
            seq
            for seq, o in self.observations.items()
            if (o.data.get("result") or {}).get("stale")
            or (o.data.get("result") or {}).get("unavailable")
        }
        self.end_t = self.events[-1].t if self.events else 0.0
        self.end_event = self.events[-1] if self.events else None
        self.anchor = self._anchor()
        self.page_alerts = {a.name: a for a in scenario.alerts if a.severity == "page"}

    # ------------------------------------------------------------ anchoring
    def _anchor(self) -> Anchor:
        first: dict[str, Event] = {}
        for e in self.events:
            kind = (
                "page"
                if e.type == "page"
                else "alert"
                if e.type == "alert.fired"
                else "fault"
                if e.type == "state" and e.data.get("what") == "fault started"
                else None
            )
            if kind is not None and kind not in first:
                first[kind] = e
        for kind in ("page", "alert", "fault"):
            if kind in first:
                return Anchor(kind, first[kind].seq, first[kind].t)
        return Anchor("start", self.events[0].seq if self.events else 0, 0.0)

    def rel(self, t: float) -> float:
        return t - self.anchor.t

    def at(self, t: float) -> str:
        """``page+3:40`` (or ``alert+``/``fault+``) for an absolute time."""
        return f"{self.anchor.kind}{'+' if self.rel(t) >= 0 else ''}{clock(self.rel(t))}"

    # -------------------------------------------------------------- evidence
    def ev(self, e: Event, note: str | None = None) -> Evidence:
        if note is None:
            note = describe(e)
        return Evidence(e.seq, e.t, e.actor, e.type, f"{self.at(e.t)} {note}")

    def anchor_ev(self) -> Evidence:
        e = self.by_seq.get(self.anchor.seq)
        if e is None:
            return Evidence(0, 0.0, "system", "none", "no events")
        what = {
            "page": "page",
            "alert": "first alert",
            "fault": "first fault",
            "start": "drill start",
        }[self.anchor.kind]
        return self.ev(e, f"{what} (windows start here)")

    def end_ev(self) -> Evidence:
        if self.end_event is None:
            return Evidence(0, 0.0, "system", "none", "no events")
        return self.ev(self.end_event, "end of the log")

    def sample_ev(self, s: Sample, note: str) -> Evidence:
        return Evidence(s.seq, s.t, "system", "metrics", f"{self.at(s.t)} {note}")

    # ----------------------------------------------------------------- truth
    def sample_at(self, t: float) -> Sample | None:
        """The last sample at or before ``t`` (the first one if ``t`` precedes all)."""
        if not self.samples:
            return None
        i = bisect_right(self._times, t + 1e-9) - 1
        return self.samples[max(0, i)]

    def sample_after(self, t: float) -> Sample | None:
        """The first sample at or after ``t``; the last one if ``t`` is past the end."""
        if not self.samples:
            return None
        i = bisect_left(self._times, t - 1e-9)
        return self.samples[min(i, len(self.samples) - 1)]

    def value(self, metric: str, t: float) -> float:
        s = self.sample_at(t)
        return float(s.values.get(metric, 0.0)) if s is not None else 0.0

    def users(self, t: float) -> float:
        return self.value(USERS, t)

    def mean_users(self, a: float, b: float) -> tuple[float, Sample | None]:
        """Mean user impact over samples in [a, b] (the nearest sample if none), and the
        last sample used: one sample can catch the peak or trough of an oscillation."""
        used = [s for s in self.samples if a - 1e-9 <= s.t <= b + 1e-9]
        if not used:
            s = self.sample_at(b) if a < self.end_t else self.sample_at(self.end_t)
            used = [s] if s is not None else []
        if not used:
            return 0.0, None
        return fsum_lr(s.values.get(USERS, 0.0) for s in used) / len(used), used[-1]

    def samples_between(self, a: float, b: float) -> list[Sample]:
        return [s for s in self.samples if a < s.t <= b]

    def trend(
        self, metric: str, t: float, window: float, sign: float = 1.0, scale: float = 1.0
    ) -> str:
        """rising / stable / falling for ``metric`` over ``window`` seconds before ``t``;
        ``scale`` shrinks the change that counts, for windows shorter than the usual."""
        now, then = self.value(metric, t), self.value(metric, t - window)
        delta = sign * (now - then)
        limit = scale * max(R.TREND_ABS, R.TREND_REL * max(abs(now), abs(then)))
        return "rising" if delta > limit else "falling" if delta < -limit else "stable"

    def trends(self, t: float, w: float) -> list[str]:
        """Every trend a fair observer could state at ``t``: user impact over ``w``
        seconds and over the last minute, and the paging signal over ``w``."""
        found = [self.trend(USERS, t, w), self.trend(USERS, t, 60.0, scale=min(1.0, 60.0 / w))]
        for alert in self.page_alerts.values():
            if alert.metric == USERS:
                continue
            sign = 1.0 if alert.op in (">", ">=") else -1.0
            found.append(self.trend(alert.metric, t, w, sign))
        return sorted(set(found))

    def data_state(self, t: float) -> str:
        """corrupted (rows corrupted so far), delayed (consumer lag), or intact."""
        if self.value(ROWS, t) > 0.5:
            return "corrupted"
        s = self.sample_at(t)
        if s is not None:
            for k, v in s.values.items():
                if k.endswith(".consumer_lag") and v > R.LAG_DELAYED:
                    return "delayed"
        return "intact"

    def ongoing(self, t: float, threshold: float) -> bool:
        return self.users(t) >= threshold

    def harm_at(self, t: float, threshold: float) -> list[str]:
        """Harm figures ongoing at ``t`` (engine.outcome.harms): users affected at or
        above the threshold, losses (rows corrupted ...) still growing."""
        i = bisect_right(self._times, t + 1e-9) - 1
        if i < 0:
            return []
        prev = self.samples[i - 1].values if i > 0 else None
        return harms(dict(self.samples[i].values), None if prev is None else dict(prev), threshold)

    def harm_after(self, t: float, threshold: float) -> bool:
        """Whether any harm is ongoing at a sample after ``t``."""
        return any(self.harm_at(s.t, threshold) for s in self.samples if s.t > t + 1e-9)

    def affected_services(self, until: float | None = None) -> set[str]:
        """Services whose 5xx rate reached :data:`AFFECTED_5XX_PCT` at any sample (up to
        ``until``)."""
        out = set()
        for s in self.samples:
            if until is not None and s.t > until + 1e-9:
                break
            for k, v in s.values.items():
                if k.endswith(".err_5xx_pct") and v >= AFFECTED_5XX_PCT:
                    out.add(k[: -len(".err_5xx_pct")])
        return out

    def mitigated_at(self, threshold: float) -> tuple[float | None, bool]:
        """(first sample time after which no harm is ongoing, whether harm ever was):
        users affected under the threshold and no loss still growing, as
        engine.outcome. None if harm is still ongoing at the end."""
        last_bad = None
        prev: dict[str, float] | None = None
        for s in self.samples:
            v = dict(s.values)
            if harms(v, prev, threshold):
                last_bad = s.t
            prev = v
        if last_bad is None:
            return None, False
        later = [s.t for s in self.samples if s.t > last_bad]
        return (later[0] if later else None), True

    # ---------------------------------------------------------------- inputs
    def inputs_of(self, *types: str) -> list[Event]:
        return [e for e in self.inputs if e.data.get("type") in types]

    def looks_of(self, *types: str) -> list[Event]:
        """Inputs of ``types`` that got an answer (not a stale panel or a down tool)."""
        return [e for e in self.inputs_of(*types) if e.seq not in self.unanswered]

    def began(self, e: Event) -> float:
        """When a mitigation started to change the world: a forward fix only once
        the fix ships (its rollout starts), everything else when submitted."""
        if e.data.get("type") == "forward_fix":
            for r in self.related.get(e.seq, []):
                if str(r.data.get("what", "")).endswith("started"):
                    return r.t
        return e.t

    def landed(self, e: Event) -> Event | None:
        """The event at which a mitigation had fully taken effect, if it did."""
        related = self.related.get(e.seq, [])
        kind = e.data.get("type")
        if kind in ("rollback", "forward_fix"):
            done = [r for r in related if str(r.data.get("what", "")).endswith("complete")]
            return done[-1] if done else None
        return related[-1] if related else None


def target(data: Mapping[str, Any]) -> str | None:
    field = R.TARGET_FIELD.get(str(data.get("type")))
    return None if field is None else str(data.get(field))


def describe(e: Event) -> str:
    """A short human description of one event."""
    d = e.data
    if e.type == "input":
        kind = str(d.get("type"))
        if kind == "status_update":
            nxt = d.get("next_update_min")
            tail = f", next update in {nxt} min" if nxt else ", no next-update time"
            return f"{e.actor}: status_update {d.get('audience')} ({d.get('state')}{tail})"
        if kind == "state_impact":
            return (
                f"{e.actor}: state_impact users {d.get('users_pct')}%, "
                f"{d.get('trend')}, data {d.get('data')}"
            )
        if kind == "assign_role":
            return f"{e.actor}: assign_role {d.get('person')} as {d.get('role')}"
        if kind == "declare_incident":
            return f"{e.actor}: declare_incident {d.get('severity')}"
        if kind == "view_dashboard":
            return f"{e.actor}: view_dashboard {d.get('service')}/{d.get('breakdown')}"
        tgt = target(d)
        for key in ("service", "topic", "dependency", "database", "flag", "target"):
            if tgt is None and key in d:
                tgt = str(d[key])
        extra = ""
        if kind == "set_flag":
            extra = " on" if d.get("enabled") else " off"
        elif kind == "set_breaker":
            extra = f" {d.get('state')}"
        return f"{e.actor}: {kind}{' ' + tgt if tgt else ''}{extra}"
    if e.type == "state" or e.type == "effect":
        return f"{d.get('component')}: {d.get('what')}"
    if e.type in ("alert.fired", "alert.resolved"):
        return f"{e.type} {d.get('name')}"
    if e.type == "page":
        return f"page ({d.get('alert')})"
    return e.type
