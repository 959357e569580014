"""Sections and their sources: header, participants, beliefs, lessons, action items, templates."""

from __future__ import annotations

import orjson
import pytest

from engine.drill import Drill
from engine.mdtext import inert
from engine.postmortem import TEMPLATES, postmortem, postmortem_markdown
from engine.script import DecisionScript, play

from .runs import draft, events, grade, runs, scenario


def test_header_is_a_dated_draft_with_declared_severity() -> None:
    """Status is draft; the date is the caller's (never the clock); severity from the input."""
    pm = draft("checkout-deploy-500s", "strong")
    assert (pm.status, pm.date, pm.severity) == ("draft", "(drill)", "SEV2")
    dated = draft("checkout-deploy-500s", "strong", drill_date="2026-03-02")
    assert dated.date == "2026-03-02"
    assert [a.deadline for a in dated.action_items] == ["2026-03-16", "2026-03-09"]
    assert [a.deadline for a in pm.action_items] == [None, None]


def test_participants_by_role() -> None:
    """Participants carry their incident role history; simulated people are listed apart."""
    pm = draft("checkout-deploy-500s", "strong")
    assert [(p.actor, p.label, [r for _, r in p.roles]) for p in pm.participants] == [
        ("alex", "IC (alex)", ["IC"]),
        ("sam", "Comms (sam)", ["Comms"]),
        ("priya", "Ops (priya)", ["Ops"]),
    ]
    assert pm.facilitators == ()
    assert pm.simulated == ("Support lead (support)",)


def test_facilitator_inputs_are_labelled_and_notes_withheld() -> None:
    """A facilitator's message and private note appear once, under the facilitator role."""
    sc = scenario("checkout-deploy-500s")
    d = Drill(sc, seed=0)
    d.advance(400)
    d.submit({"type": "take_command"}, actor="alex")
    d.submit(
        {"type": "message", "sender": "VP Eng", "role": "executive", "text": "ETA?"},
        actor="fran",
        role="facilitator",
    )
    d.submit({"type": "note", "text": "alex hesitated"}, actor="fran", role="facilitator")
    d.submit({"type": "chat", "text": "rolling back"}, actor="alex", role="facilitator", by="fran")
    d.advance(sc.duration + 1)
    pm = postmortem(sc, d.log.events)
    rows = [(e.who, e.text) for e in pm.timeline if e.kind in ("input", "facilitator")]
    assert rows == [
        ("IC (alex)", "Took incident command."),
        ("Facilitator (fran)", "Sent a message as VP Eng (executive, chat): “ETA?”"),
        (
            "Facilitator (fran)",
            "Recorded a private facilitator note (text kept out of the postmortem).",
        ),
        (
            "IC (alex)",
            "Said in the incident channel: “rolling back” (entered by the facilitator, fran).",
        ),
    ]
    assert pm.facilitators == ("fran",)
    assert "hesitated" not in postmortem_markdown(pm)


def test_beliefs_compare_statements_with_the_simulation() -> None:
    """A wrong impact statement and a premature 'resolved' are marked inconsistent."""
    sc = scenario("checkout-deploy-500s")
    d = Drill(sc, seed=0)
    while d.page_at is None:
        d.advance(d.now + 1)
    d.advance(d.page_at + 60)
    d.submit(
        {"type": "state_impact", "users_pct": 60, "trend": "falling", "data": "corrupted"},
        actor="alex",
    )
    d.submit(
        {"type": "status_update", "audience": "public", "state": "resolved", "impact": "All good"},
        actor="alex",
    )
    d.submit({"type": "hypothesis", "text": "the payments dependency is slow"}, actor="alex")
    d.advance(sc.duration + 1)
    pm = postmortem(sc, d.log.events)
    assert [(b.kind, b.matches) for b in pm.beliefs] == [
        ("impact", False),
        ("status", False),
        ("hypothesis", None),
    ]
    assert pm.beliefs[0].truth == (
        "60% of users → true: 7.4% (users affected) — WRONG (+52.6 points (right within 3.0)); "
        "falling → true: rising — WRONG (said falling); data corrupted → true: data intact — "
        "WRONG (data was intact)"
    )
    assert pm.beliefs[1].truth is not None
    assert pm.beliefs[1].truth.startswith("resolved → true: 7.4% of users affected — WRONG")


def test_grade_findings_need_a_grade() -> None:
    """Without a grade, the lessons say so and come from the simulation alone."""
    sid = "loyalty-irreversible-migration"
    bare = postmortem(scenario(sid), events(sid, "harmful"))
    assert bare.grade is None
    assert bare.grade_note.startswith("No drill grade was passed")
    assert {f.source for f in bare.went_wrong} == {"simulation"}
    graded = draft(sid, "harmful")
    assert graded.grade is not None and graded.grade["overall"] == grade(sid, "harmful").overall
    assert any(f.source.startswith("grade:") for f in graded.went_wrong)
    odd = postmortem(scenario(sid), events(sid, "harmful"), {"unexpected": True})
    assert odd.grade_note.startswith("The grade passed in could not be read")


def test_action_items_have_owner_deadline_and_verification() -> None:
    """Scenario items first, then gaps this drill exposed, each with all three fields."""
    pm = draft("loyalty-irreversible-migration", "harmful")
    assert [a.source for a in pm.action_items][:2] == ["scenario", "scenario"]
    gaps = [a for a in pm.action_items if a.source.startswith("gap:")]
    assert gaps, "a harmful run must yield gap items"
    for a in pm.action_items:
        assert a.owner and a.due_days >= 1 and a.verification.startswith("Done when")
    titles = " ".join(a.title for a in pm.action_items).lower()
    assert titles.count("block rollbacks past") == 1  # the scenario's own item covers it


@pytest.mark.parametrize("template", list(TEMPLATES))
def test_templates_name_their_sections(template: str) -> None:
    """Each template renders its section names as level-2 headings, in order."""
    pm = draft("loyalty-irreversible-migration", "harmful", template)
    md = postmortem_markdown(pm)
    heads = [line[3:] for line in md.splitlines() if line.startswith("## ")]
    assert heads == pm.sections == pm.to_dict()["sections"]


@pytest.mark.parametrize(("scenario_id", "script"), runs()[:6])
def test_dict_and_markdown_carry_the_same_content(scenario_id: str, script: str) -> None:
    """Every timeline line, finding and action item of to_dict() is in the Markdown."""
    pm = draft(scenario_id, script)
    d = orjson.loads(orjson.dumps(pm.to_dict()))
    md = postmortem_markdown(pm).replace("\\|", "|")

    def shown(text: str) -> bool:  # the Markdown holds each value escaped (engine/mdtext.py)
        return inert(text) in md

    for e in d["timeline"]:
        assert e["clock"] in md and shown(e["text"])
    for f in d["went_well"] + d["went_wrong"] + d["lucky"]:
        assert shown(f["text"])
    for a in d["action_items"]:
        assert shown(a["title"]) and shown(a["verification"])
    for key in ("summary", "trigger", "root_cause", "resolution", "detection"):
        assert shown(d[key])
    assert shown(d["five_whys"]["systemic_cause"])


def test_scripted_runs_need_no_reference_scripts() -> None:
    """A no-response run drafts cleanly: nothing to credit, everything to learn."""
    sc = scenario("gateway-bad-pod")
    d = Drill(sc, seed=0)
    play(d, DecisionScript(name="none", steps=[]))
    pm = postmortem(sc, d.log.events)
    assert pm.participants == () and pm.went_well == ()
    assert pm.milestones[0].key == "trigger"
