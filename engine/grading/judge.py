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

from dataclasses import dataclass

from ..log import Event
from ..scenario import MitigationRule
from . import rubric as R
from .model import MitigationVerdict
from .timeline import ROWS, USERS, Sample, Timeline, target


@dataclass(frozen=True, slots=True)
class Judged:
    event: Event
    action: str
    target: str | None
    rule: str  # correct | acceptable | harmful | unlisted | no-op
    why: str | None
    landed: Event | None
    before: float
    after: Sample | None
    verdict: str  # helped | no visible effect | made worse | pending
    corruption: Sample | None  # the first sample showing corruption it started
    checked: Event | None  # a check_migration of the same service before a rollback
    migration: Event | None  # an applied migration on the rolled-back service

    @property
    def actor(self) -> str:
        return self.event.actor

    @property
    def credible(self) -> bool:
        """May earn credit: not harmful by rule, not a no-op, did not make things worse."""
        return self.rule not in ("harmful", "no-op") and self.verdict != "made worse"

    @property
    def after_pct(self) -> float | None:
        return None if self.after is None else float(self.after.values.get(USERS, 0.0))

    def to_verdict(self) -> MitigationVerdict:
        notes = []
        if self.action == "rollback":
            notes.append("migrations checked first" if self.checked is not None
                         else "rolled back without checking migrations")
        if self.migration is not None:
            notes.append(f"irreversible migration {self.migration.data.get('migration')} "
                         "had been applied")
        if self.corruption is not None:
            notes.append("rows started being corrupted after it")
        return MitigationVerdict(
            seq=self.event.seq, t=self.event.t, actor=self.actor, action=self.action,
            target=self.target, rule=self.rule, why=self.why,
            landed_at=None if self.landed is None else self.landed.t, before_pct=self.before,
            after_pct=self.after_pct, verdict=self.verdict, notes=tuple(notes),
        )


def match(action: str, tgt: str | None, rules: dict[str, list[MitigationRule]]
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


def judge_all(tl: Timeline, rb: R.Rubric) -> list[Judged]:
    exp = tl.scenario.grading
    rules = {"correct": list(exp.correct), "acceptable": list(exp.acceptable),
             "harmful": list(exp.harmful)}
    flags = {f.name: f.enabled for f in tl.scenario.topology.flags}
    breakers = {d.name: False for d in tl.scenario.topology.dependencies}
    checks: dict[str, Event] = {}
    migrations: dict[str, Event] = {}
    out: list[Judged] = []
    for e in tl.events:
        d = e.data
        if e.type == "state" and d.get("what") == "migration applied":
            migrations[str(d.get("component"))] = e
        if e.type != "input" or d.get("type") not in R.MITIGATIONS:
            if e.type == "input" and d.get("type") == "check_migration":
                checks.setdefault(str(d.get("service")), e)
            continue
        action = str(d["type"])
        tgt = target(d)
        noop = False
        if action == "set_flag" and tgt is not None:
            noop = flags.get(tgt) == bool(d.get("enabled"))
            flags[tgt] = bool(d.get("enabled"))
        elif action == "set_breaker" and tgt is not None:
            want = d.get("state") == "open"
            noop = breakers.get(tgt) == want
            breakers[tgt] = want
        rule, why = ("no-op", None) if noop else match(action, tgt, rules)
        out.append(_judge(tl, rb, e, action, tgt, rule, why, checks.get(tgt or ""),
                          migrations.get(tgt or "") if action == "rollback" else None))
    return out


def _judge(tl: Timeline, rb: R.Rubric, e: Event, action: str, tgt: str | None, rule: str,
           why: str | None, checked: Event | None, migration: Event | None) -> Judged:
    t = e.t
    before = tl.users(t)
    landed = tl.landed(e)
    after = verdict = None
    if landed is None:
        verdict = "pending"
    else:
        after = tl.sample_after(landed.t + rb.w("settle"))
        assert after is not None
        level = float(after.values.get(USERS, 0.0))
        window = rb.w("trend")
        slope = max(0.0, (before - tl.users(t - window)) / window)
        expected = before + slope * max(0.0, after.t - t)
        if level > max(before, expected) + max(R.WORSE_ABS, R.WORSE_REL * before):
            verdict = "made worse"
        elif level < before - max(R.HELPED_ABS, R.HELPED_REL * before):
            verdict = "helped"
        else:
            verdict = "no visible effect"
    corruption = None
    grew_before = tl.value(ROWS, t) - tl.value(ROWS, t - rb.w("trend"))
    if grew_before <= 0.5:
        start = tl.value(ROWS, t)
        horizon = (landed.t if landed is not None else tl.end_t) + rb.w("settle")
        corruption = next((s for s in tl.samples_between(t, horizon)
                           if s.values.get(ROWS, 0.0) - start > 0.5), None)
    return Judged(e, action, tgt, rule, why, landed, before, after, verdict, corruption,
                  checked if action == "rollback" and checked is not None
                  and checked.seq < e.seq else None, migration)
