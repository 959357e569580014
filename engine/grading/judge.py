"""Judging each mitigation: by the scenario's rules, by the metrics, by hidden state.

A mitigation is matched against the scenario's correct / acceptable / harmful
rules (action and target), then judged by what the simulation did: user
impact when it was submitted against user impact ``settle`` seconds after it
took effect, allowing for the trend it was submitted into; whether rows
started being corrupted after it; and, for a rollback, whether anyone had
checked the service's migrations first and whether an irreversible migration
had been applied to it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import pairwise

from ..log import Event
from ..scenario import Migration, MitigationRule, ReleaseFault, Scenario
from . import rubric as R
from .model import MitigationVerdict
from .timeline import ROWS, Sample, Timeline, target


@dataclass(frozen=True, slots=True)
class Judged:
    event: Event
    action: str
    target: str | None
    rule: str  # correct | acceptable | harmful | unlisted | no-op
    why: str | None
    landed: Event | None
    before: float  # mean user impact over the minute before it was submitted
    after_pct: float | None  # ... over the minute from ``settle`` after it landed
    after: Sample | None  # the last sample of that minute
    verdict: str  # helped | no visible effect | made worse | pending
    corruption: Sample | None  # the first sample showing corruption it started
    checked: Event | None  # a check_migration of the same service before a rollback
    migration: Event | None  # an applied migration on the rolled-back service
    justified: Event | None = None  # the look at its signal before it (rubric.JUSTIFY)
    stall: float = 0.0  # seconds its own rebalances stopped a consumer group

    @property
    def actor(self) -> str:
        return self.event.actor

    @property
    def credible(self) -> bool:
        """May earn credit: not harmful by rule, not a no-op, made nothing worse."""
        return self.discredit is None

    @property
    def discredit(self) -> str | None:
        """Why this mitigation can earn no credit, if it cannot."""
        if self.rule == "harmful":
            return "the scenario marks it harmful"
        if self.rule == "no-op":
            return "it changed nothing (already in that state)"
        if self.corruption is not None:
            return "rows started being corrupted after it"
        if self.verdict == "made worse":
            return "impact got worse after it"
        return None

    def to_verdict(self) -> MitigationVerdict:
        notes = []
        if self.action == "rollback":
            notes.append(
                "migrations checked first"
                if self.checked is not None
                else "rolled back without checking migrations"
            )
        if self.migration is not None:
            notes.append(
                f"irreversible migration {self.migration.data.get('migration')} had been applied"
            )
        if self.corruption is not None:
            notes.append("rows started being corrupted after it")
        if self.stall >= R.STALL_S:
            notes.append(f"its rebalances stopped consumption for {self.stall:.0f} s")
        notes.append(
            f"looked first: {self.justified.data.get('type')}"
            if self.justified is not None
            else "taken blind: no look at its signal before it"
        )
        return MitigationVerdict(
            seq=self.event.seq,
            t=self.event.t,
            actor=self.actor,
            action=self.action,
            target=self.target,
            rule=self.rule,
            why=self.why,
            landed_at=None if self.landed is None else self.landed.t,
            before_pct=self.before,
            after_pct=self.after_pct,
            verdict=self.verdict,
            notes=tuple(notes),
        )


def match(
    action: str, tgt: str | None, rules: dict[str, list[MitigationRule]]
) -> tuple[str, str | None]:
    """(class, why) of the most specific matching rule; exact targets beat wildcards."""
    for exact in (True, False):
        for cls in ("correct", "acceptable", "harmful"):
            for rule in rules[cls]:
                if rule.action != action:
                    continue
                if (rule.target == tgt) if exact else rule.target is None:
                    return cls, rule.why
    return "unlisted", None


def _set_flag(flags: dict[str, bool], name: str, on: bool, region: object) -> None:
    """Record a flip: everywhere (forgetting regional ones) or as ``name@region``."""
    if region is None:
        for key in [k for k in flags if k.startswith(f"{name}@")]:
            del flags[key]
        flags[name] = on
    else:
        flags[f"{name}@{region}"] = on


def _flag_is(flags: dict[str, bool], name: str, region: object, on: bool) -> bool:
    """Whether the flag already is ``on`` where a set_flag would set it (a no-op then)."""
    if region is not None:
        return flags.get(f"{name}@{region}", flags.get(name)) == on
    regional = [v for k, v in flags.items() if k.startswith(f"{name}@")]
    return flags.get(name) == on and all(v == on for v in regional)


def judge_all(tl: Timeline, rb: R.Rubric) -> list[Judged]:
    exp = tl.scenario.grading
    rules = {
        "correct": list(exp.correct),
        "acceptable": list(exp.acceptable),
        "harmful": list(exp.harmful),
    }
    flags = {f.name: f.enabled for f in tl.scenario.topology.flags}
    breakers = {d.name: False for d in tl.scenario.topology.dependencies}
    checks: dict[str, Event] = {}
    migrations: dict[str, Event] = {}  # the last irreversible migration applied, by service
    reversible = {m.id for m in _migrations(tl.scenario) if m.reversible}
    out: list[Judged] = []
    mits = [e for e in tl.inputs if e.data.get("type") in R.MITIGATIONS]
    # Mitigations within a minute of each other are one move, judged together; a later
    # one cuts off the window in which an earlier one is judged.
    following = {a.seq: next((b.t for b in mits if b.t > a.t + R.BATCH_S), None) for a in mits}
    for e in tl.events:
        d = e.data
        if (
            e.type == "state"
            and d.get("what") == "migration applied"
            and str(d.get("migration")) not in reversible
        ):
            migrations[str(d.get("component"))] = e
        elif e.type in ("state", "effect") and "enabled" in d and d.get("component") in flags:
            # A flip by a fault or an action, everywhere or in one region.
            _set_flag(flags, str(d["component"]), bool(d["enabled"]), d.get("region"))
        if e.type != "input" or d.get("type") not in R.MITIGATIONS:
            if e.type == "input" and d.get("type") == "check_migration":
                checks.setdefault(str(d.get("service")), e)
            continue
        action = str(d["type"])
        tgt = target(d)
        noop = False
        if action == "set_flag" and tgt is not None:
            want, region = bool(d.get("enabled")), d.get("region")
            noop = _flag_is(flags, tgt, region, want)
            _set_flag(flags, tgt, want, region)
        elif action == "set_breaker" and tgt is not None:
            want = d.get("state") == "open"
            noop = breakers.get(tgt) == want
            breakers[tgt] = want
        rule, why = ("no-op", None) if noop else match(action, tgt, rules)
        j = _judge(
            tl,
            rb,
            e,
            action,
            tgt,
            rule,
            why,
            checks.get(tgt or ""),
            migrations.get(tgt or "") if action == "rollback" else None,
            following.get(e.seq),
        )
        stall = stalled(tl, e)
        if stall >= R.STALL_S and j.landed is not None and j.verdict != "made worse":
            j = replace(j, verdict="made worse")
        out.append(replace(j, justified=justification(tl, e), stall=stall))
    return _blame_corruption(tl, rb, out)


def justification(tl: Timeline, e: Event) -> Event | None:
    """The first look before mitigation ``e`` at the signal that justifies it."""
    wants = R.JUSTIFY.get(str(e.data.get("type")), ())
    tgt = target(e.data)
    for look in tl.inputs:
        if look.seq >= e.seq:
            break
        if look.seq in tl.unanswered:  # a stale panel justifies nothing
            continue
        kind = str(look.data.get("type"))
        for want, same in wants:
            if kind != want:
                continue
            field = R.LOOK_TARGET.get(kind)
            if not same or field is None or str(look.data.get(field)) == tgt:
                return look
    return None


def stalled(tl: Timeline, e: Event) -> float:
    """Seconds the consumer groups stood still because of ``e``'s own rebalances: the
    union of one rebalance pause after each join, leave or restart it caused."""
    pause = {t.name: float(t.group.rebalance) for t in tl.scenario.topology.topics}
    spans: list[tuple[float, float]] = []
    for r in tl.related.get(e.seq, []):
        name = str(r.data.get("component"))
        if name in pause and "rebalanc" in str(r.data.get("what", "")):
            spans.append((r.t, r.t + pause[name]))
    total, end = 0.0, float("-inf")
    for a, b in sorted(spans):
        total += max(0.0, b - max(a, end))
        end = max(end, b)
    return total


def _migrations(sc: Scenario) -> list[Migration]:
    found = [c.migration for c in sc.changes if c.migration is not None]
    found += [
        f.migration for f in sc.faults if isinstance(f, ReleaseFault) and f.migration is not None
    ]
    return found


def corruption_onsets(tl: Timeline, window: float) -> list[Sample]:
    """Samples where ``business.rows_corrupted`` starts growing after being flat."""
    out = []
    for prev, s in pairwise(tl.samples):
        if (
            s.values.get(ROWS, 0.0) - prev.values.get(ROWS, 0.0) > 0.5
            and prev.values.get(ROWS, 0.0) - tl.value(ROWS, prev.t - window) <= 0.5
        ):
            out.append(s)
    return out


def _blame_corruption(tl: Timeline, rb: R.Rubric, judged: list[Judged]) -> list[Judged]:
    """Each onset of corruption goes to one mitigation that was taking effect: a
    rollback over an applied migration if there is one, else the latest."""
    blamed: dict[int, Sample] = {}
    for onset in corruption_onsets(tl, rb.w("trend")):
        live = [
            j
            for j in judged
            if j.event.t
            < onset.t
            <= (j.landed.t if j.landed is not None else tl.end_t) + rb.w("settle")
        ]
        if not live:
            continue
        pick = ([j for j in live if j.migration is not None] or live)[-1]
        blamed.setdefault(pick.event.seq, onset)
    return [replace(j, corruption=blamed.get(j.event.seq)) for j in judged]


def _judge(
    tl: Timeline,
    rb: R.Rubric,
    e: Event,
    action: str,
    tgt: str | None,
    rule: str,
    why: str | None,
    checked: Event | None,
    migration: Event | None,
    cutoff: float | None,
) -> Judged:
    """Judge one mitigation by the metrics. Its effect is read no later than the next
    mitigation's submission (``cutoff``): what follows that is the next one's doing."""
    span = R.AVERAGE_S
    landed = tl.landed(e)
    t = tl.began(e)
    before, _ = tl.mean_users(t - span, t)
    after = verdict = None
    level = None
    if landed is None:
        verdict = "pending"
    else:
        start = landed.t + rb.w("settle")
        if cutoff is not None and cutoff > e.t:
            start = min(start, max(t, cutoff - span))
        level, after = tl.mean_users(start, start + span)
        window = rb.w("trend")
        slope = max(0.0, (before - tl.mean_users(t - window - span, t - window)[0]) / window)
        expected = before + slope * max(0.0, start - t)
        limit = max(before, expected) + max(R.WORSE_ABS, R.WORSE_REL * before)
        # The worst minute while it took effect counts too: a restart of the whole
        # fleet fails every request for a while, then looks harmless afterwards.
        worst = max(
            ((tl.mean_users(s.t - span, s.t)[0], s) for s in tl.samples_between(t, start)),
            default=(0.0, None),
            key=lambda x: x[0],
        )
        if worst[1] is not None and worst[0] > limit and worst[0] > level:
            level, after = worst
        if level > limit:
            verdict = "made worse"
        elif level < before - max(R.HELPED_ABS, R.HELPED_REL * before):
            verdict = "helped"
        else:
            verdict = "no visible effect"
    return Judged(
        e,
        action,
        tgt,
        rule,
        why,
        landed,
        before,
        level,
        after,
        verdict,
        None,
        checked if action == "rollback" and checked is not None and checked.seq < e.seq else None,
        migration,
    )
