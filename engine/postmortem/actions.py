"""Action items: the scenario's own, plus the gaps this drill exposed, each checked.

Every item has an owner (a role, not a person), a deadline in days after the
drill (a date when the caller gave the drill date) and a verification
criterion. Gap items come from a fixed table keyed by grade check ids (and by
simulation facts when there is no grade); each is phrased as a change to a
system, tool or runbook with a test that proves it. An item that repeats one
of the scenario's (most of its significant words already there) is dropped.
Every item, the scenario's included, passes :func:`.language.check_action_item`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ..inputs import CATEGORY
from .facts import Facts
from .language import check_action_item
from .model import ActionItem
from .phrases import mmss

TARGET_FIELDS = ("service", "flag", "dependency", "topic", "database", "target")
STOP = {
    "with",
    "that",
    "from",
    "into",
    "when",
    "than",
    "this",
    "their",
    "every",
    "after",
    "before",
    "done",
    "make",
    "add",
    "each",
    "them",
    "over",
    "past",
}


def target_of(d: Mapping[str, Any]) -> str | None:
    for key in TARGET_FIELDS:
        if d.get(key) is not None:
            return str(d[key])
    return None


@dataclass(frozen=True, slots=True)
class Context:
    scenario: str
    alert: str
    service: str
    par: str
    move: str
    migration: str


def context(f: Facts) -> Context:
    sc = f.scenario
    page = f.page.data.get("alert") if f.page is not None else None
    first = f.first_alert.data.get("name") if f.first_alert is not None else None
    pages = [a.name for a in sc.alerts if a.severity == "page"]
    alert = str(page or first or (pages[0] if pages else "paging"))
    _, metric, _ = f.peak(".err_5xx_pct")
    service = metric.rsplit(".", 1)[0] if metric else sc.topology.services[0].name
    rules = sc.grading.correct
    move = (
        f"{rules[0].action} {rules[0].target or ''}".strip()
        if rules
        else "the reversible mitigation"
    )
    migs = [
        str(e.data.get("migration"))
        for e in f.events
        if e.type == "state" and e.data.get("what") == "migration applied"
    ]
    return Context(
        sc.id,
        alert,
        service,
        mmss(sc.grading.par_mitigate or 600.0),
        move,
        migs[-1] if migs else "the irreversible migration",
    )


Template = Callable[[Context], tuple[str, str, int, str]]

GAP_ITEMS: tuple[tuple[str, tuple[str, ...], Template], ...] = (
    (
        "incident-command",
        (
            "command.ic",
            "command.no_ic",
            "command.severity",
            "command.roles",
            "command.single_ic",
            "command.conflicting_mitigations",
            "mitigation.long_debate",
        ),
        lambda c: (
            f"Make the {c.alert} page open an incident record with IC, comms and ops slots "
            "and a required severity",
            "Incident process owner",
            30,
            f"Done when a replay of the {c.scenario} drill records an IC, a severity and two "
            "named roles within 5 minutes of the page",
        ),
    ),
    (
        "impact-panel",
        (
            "blast_radius.breakdown",
            "blast_radius.breadth",
            "blast_radius.impact_stated",
            "blast_radius.users",
            "blast_radius.trend",
            "blast_radius.data",
            "blast_radius.root_cause_first",
        ),
        lambda c: (
            f"Link the {c.alert} alert to an impact panel for {c.service}: users affected %, "
            "its 3-minute trend, 5xx by endpoint and rows corrupted",
            f"{c.service} on-call lead",
            21,
            f"Done when the {c.alert} page links the panel and a replay of the {c.scenario} "
            "drill states users affected within 3 points by 15 minutes after the page",
        ),
    ),
    (
        "rollback-guard",
        ("mitigation.unsafe_rollback", "sim:corrupted-after-rollback"),
        lambda c: (
            "Block rollbacks past irreversible migrations in the deploy tool",
            "Release engineering lead",
            21,
            f"Done when a staging rollback of {c.service} across {c.migration} is refused "
            "with a message naming the migration",
        ),
    ),
    (
        "runbook",
        (
            "mitigation.choice",
            "mitigation.effective",
            "mitigation.timely",
            "mitigation.safe",
            "mitigation.verified",
            "mitigation.harmful",
            "mitigation.made_worse",
            "sim:not-mitigated",
            "sim:past-par",
        ),
        lambda c: (
            f"Write the {c.alert} runbook as a decision script: {c.move} first, then verify "
            f"on the {c.service} dashboard",
            f"{c.service} on-call lead",
            14,
            f"Done when `firedrill run {c.scenario} --script <runbook>` in CI ends the impact "
            f"within {c.par} of the page",
        ),
    ),
    (
        "status-template",
        (
            "communication.public_update",
            "communication.content",
            "communication.cadence",
            "communication.no_next_update",
            "communication.promise_broken",
            "communication.internal",
            "communication.state_accurate",
            "communication.false_resolved",
        ),
        lambda c: (
            f"Add a status-page template for {c.service} incidents that requires the share "
            "of users affected, the current action and a next-update time, with a reminder "
            "when that time comes",
            "Communications lead",
            14,
            "Done when the template refuses an update without a next-update time and the "
            "reminder fires at the promised time in a test incident",
        ),
    ),
)


def sim_gaps(f: Facts) -> set[str]:
    """Gap keys read from the simulation alone (used with or without a grade)."""
    o = f.outcome
    out = set()
    par = f.scenario.grading.par_mitigate
    if o.impact_started_at is not None and o.mitigated_at is None:
        out.add("sim:not-mitigated")
    elif par and o.time_to_mitigate is not None and o.time_to_mitigate > par:
        out.add("sim:past-par")
    c = f.first_corruption()
    if c is not None and any(
        e.data.get("type") == "rollback" and e.t <= c.t
        for e in f.human
        if CATEGORY.get(str(e.data.get("type"))) == "mitigate"
    ):
        out.add("sim:corrupted-after-rollback")
    return out


def _words(text: str) -> set[str]:
    return {
        w.rstrip("s")
        for w in re.findall(r"[a-z0-9]+", text.lower())
        if len(w) >= 4 and w not in STOP
    }


def _repeats(title: str, existing: list[str]) -> bool:
    words = _words(title)
    return any(words and len(words & _words(t)) / len(words) >= 0.6 for t in existing)


def deadline(drill_date: date | None, days: int) -> str | None:
    return None if drill_date is None else (drill_date + timedelta(days=days)).isoformat()


def action_items(f: Facts, gap_ids: set[str], drill_date: date | None) -> list[ActionItem]:
    sc = f.scenario
    items: list[ActionItem] = []
    for i, a in enumerate(sc.truth.action_items):
        check_action_item(a.title, a.verification, ("truth", "action_items", i), sc.id)
        items.append(
            ActionItem(
                a.title,
                a.owner,
                a.due_days,
                deadline(drill_date, a.due_days),
                a.verification,
                "scenario",
            )
        )
    found = gap_ids | sim_gaps(f)
    ctx = context(f)
    for name, triggers, make in GAP_ITEMS:
        hits = [t for t in triggers if t in found]
        if not hits:
            continue
        title, owner, days, verification = make(ctx)
        if _repeats(title, [i.title for i in items]):
            continue
        check_action_item(title, verification, f"gap:{name}", sc.id)
        items.append(
            ActionItem(
                title,
                owner,
                days,
                deadline(drill_date, days),
                verification,
                "gap:" + ", ".join(hits),
            )
        )
    return items
