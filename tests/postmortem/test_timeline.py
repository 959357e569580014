"""The timeline is complete and ordered: every input and state change exactly once."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from engine.inputs import CATEGORY
from engine.postmortem import postmortem_markdown

from .runs import draft, events, runs

COVERED = (
    "input",
    "state",
    "effect",
    "alert.fired",
    "alert.resolved",
    "page",
    "inject",
    "observation",
    "drill.created",
    "drill.ended",
)


@pytest.mark.parametrize(("scenario_id", "script"), runs())
def test_every_event_appears_once_in_order(scenario_id: str, script: str) -> None:
    """Inputs, state changes, effects, alerts, pages and messages each appear in one entry."""
    evs = events(scenario_id, script)
    tl = draft(scenario_id, script).timeline
    seen = Counter(s for e in tl for s in e.seqs)
    want = [e.seq for e in evs if e.type in COVERED]
    assert [s for s in want if seen[s] != 1] == []
    inputs = [e.seq for e in evs if e.type == "input"]
    order = [s for e in tl for s in e.seqs if s in set(inputs)]
    assert order == inputs
    firsts = [e.seqs[0] for e in tl]
    assert firsts == sorted(firsts)
    assert [e.t for e in tl] == sorted(e.t for e in tl)


@pytest.mark.parametrize(("scenario_id", "script"), runs())
def test_key_moments_marked_once(scenario_id: str, script: str) -> None:
    """Page, command, first mitigation, first update and mitigated are each marked once."""
    evs = events(scenario_id, script)
    pm = draft(scenario_id, script)
    marks = Counter(k for e in pm.timeline for k in e.key)
    assert all(n == 1 for n in marks.values()), marks
    human = [e for e in evs if e.type == "input" and CATEGORY[e.data["type"]] != "facilitate"]
    assert ("page" in marks) == any(e.type == "page" for e in evs)
    assert ("first mitigation" in marks) == any(
        CATEGORY[e.data["type"]] == "mitigate" for e in human
    )
    assert ("first status update" in marks) == any(e.data["type"] == "status_update" for e in human)
    assert ("mitigated" in marks) == (pm.impact.mitigated_at is not None)
    md = postmortem_markdown(pm)
    for key in marks:
        assert md.count(f"**[{key}") + md.count(f", {key}") >= 1


@pytest.mark.parametrize(("scenario_id", "script"), runs())
def test_people_appear_by_role(scenario_id: str, script: str) -> None:
    """Every human line names its author as 'Role (name)'."""
    pm = draft(scenario_id, script)
    for e in pm.timeline:
        if e.kind == "input":
            assert re.fullmatch(r"(IC|Deputy|Scribe|Comms|Ops|SME|Responder) \(.+\)", e.who), e


def test_roles_follow_assignments() -> None:
    """Before and after an assignment the same person carries the role they held then."""
    tl = draft("checkout-deploy-500s", "strong").timeline
    who = {e.who for e in tl if e.kind == "input"}
    assert who == {"IC (alex)", "Comms (sam)", "Ops (priya)"}
    first = next(e for e in tl if e.kind == "input")
    assert (first.who, first.key, first.text) == (
        "IC (alex)",
        ("command",),
        "Took incident command.",
    )


def test_crash_loop_collapses_into_counted_lines() -> None:
    """Consecutive identical rebalances fold into one line that keeps every event."""
    evs = events("orders-consumer-lag", "no-response")
    rebalances = [e.seq for e in evs if e.type == "state" and e.data["what"] == "rebalance"]
    tl = draft("orders-consumer-lag", "no-response").timeline
    lines = [e for e in tl if e.text.startswith("Consumer group of orders rebalanced")]
    assert len(lines) < len(rebalances)
    assert sorted(s for e in lines for s in e.seqs) == rebalances
    assert any(re.search(r"\(\d+ times, T\+\d\d:\d\d to T\+\d\d:\d\d\)\.$", e.text) for e in lines)


def test_investigation_answers_fold_into_the_question() -> None:
    """A check_migration line shows what the asker saw, from its observation."""
    tl = draft("loyalty-irreversible-migration", "strong").timeline
    line = next(e for e in tl if e.text.startswith("Checked the migrations"))
    assert line.text.endswith(
        "→ rolling back code below v88 is unsafe: migration "
        "0142_split_points_balance cannot be reversed."
    )
    assert len(line.seqs) == 2
