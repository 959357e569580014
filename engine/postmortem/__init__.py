"""The postmortem draft: a pure function of the scenario, the drill log and the grade.

``postmortem(scenario, events, grade=None, template="default")`` returns a
:class:`Postmortem` whose ``to_dict()`` and ``postmortem_markdown()`` carry the same
content: header (date, status "draft", severity, participants by role),
summary and impact computed from the simulation, a minute-by-minute
timeline of facts, trigger and root cause from the hidden truth, what
responders believed beside what was true, five whys that stop at a systemic
cause, what went well / wrong / where we got lucky, and action items with
owner, deadline and verification. docs/postmortem.md documents every number's
source, the templates and the refusals.

Refusals are author errors in the scenario's truth (:class:`HumanRootCause`,
:class:`WishfulActionItem`, both :class:`~engine.errors.ScenarioError`).
Nothing here reads the wall clock: pass ``drill_date`` to date the document
and its deadlines.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from ..choices import as_played
from ..log import Event
from ..scenario import Scenario
from ..yamldoc import Document
from . import analysis as A
from .actions import action_items
from .facts import Facts
from .language import (
    BLAME,
    HUMAN_CAUSE,
    WISHES,
    HumanRootCause,
    PostmortemError,
    WishfulActionItem,
    action_item_problems,
    check_action_item,
    check_causal_chain,
    check_truth_text,
    find_blame,
)
from .lessons import gaps, grade_note, grade_summary, lessons, read_grade
from .model import (
    POSTMORTEM_VERSION,
    ActionItem,
    Belief,
    Entry,
    Finding,
    Impact,
    Milestone,
    Participant,
    Postmortem,
)
from .render import markdown as postmortem_markdown
from .templates import TEMPLATES
from .timeline import timeline

__all__ = [
    "BLAME",
    "HUMAN_CAUSE",
    "POSTMORTEM_VERSION",
    "TEMPLATES",
    "WISHES",
    "ActionItem",
    "Belief",
    "Entry",
    "Finding",
    "HumanRootCause",
    "Impact",
    "Milestone",
    "Participant",
    "Postmortem",
    "PostmortemError",
    "WishfulActionItem",
    "action_item_problems",
    "check_action_item",
    "check_causal_chain",
    "check_truth",
    "find_blame",
    "postmortem",
    "postmortem_markdown",
]


def check_truth(scenario: Scenario, doc: Document | None = None) -> None:
    """Refuse a scenario whose truth cannot make a blameless postmortem.

    A validator hook: pass the YAML ``doc`` the scenario came from (see
    :func:`engine.yamldoc.load_yaml`) and every problem names file and line.
    """
    where: str | Document = doc if doc is not None else scenario.id
    t = scenario.truth
    check_causal_chain(t.causal_chain, where)
    texts: list[tuple[tuple[str | int, ...], str]] = [
        (("truth", "trigger"), t.trigger),
        (("truth", "root_cause"), t.root_cause),
    ]
    texts += [
        (("truth", "contributing_factors", i), x) for i, x in enumerate(t.contributing_factors)
    ]
    texts += [(("truth", "lucky", i), x) for i, x in enumerate(t.lucky)]
    check_truth_text(texts, where)
    for i, a in enumerate(t.action_items):
        check_action_item(a.title, a.verification, ("truth", "action_items", i), where)


def _date(drill_date: date | str | None) -> tuple[str, date | None]:
    if drill_date is None:
        return "(drill)", None
    if isinstance(drill_date, str):
        try:
            d = date.fromisoformat(drill_date)
        except ValueError:
            raise ValueError(
                f"drill_date must be an ISO date such as 2025-06-01 (got {drill_date!r})"
            ) from None
    else:
        d = drill_date
    return d.isoformat(), d


def postmortem(
    scenario: Scenario,
    events: Sequence[Event],
    grade: Any = None,
    template: str = "default",
    drill_date: date | str | None = None,
) -> Postmortem:
    """Draft the postmortem of one drill. Same inputs, same document.

    ``grade`` is an :class:`engine.grading.Grade`, its ``to_dict()``, or None
    (the grade-dependent lessons then say they are missing). ``template`` is
    one of ``default``, ``pagerduty``, ``google-sre``.
    """
    if template not in TEMPLATES:
        raise ValueError(f"unknown postmortem template {template!r}; valid: {', '.join(TEMPLATES)}")
    scenario = as_played(scenario, events)
    check_truth(scenario)
    when, day = _date(drill_date)
    g = read_grade(grade)
    f = Facts(scenario, events)
    imp = A.impact(f)
    entries, messaging = timeline(f)
    well, wrong, lucky = lessons(f, g)
    t = scenario.truth
    notes = []
    if f.created is not None and f.created.data.get("scenario") not in (None, scenario.id):
        notes.append(
            f"the log is of scenario {f.created.data.get('scenario')!r}, "
            f"drafted against {scenario.id!r}"
        )
    if f.ended is None:
        notes.append("the drill had not ended when this draft was made")
    return Postmortem(
        template=template,
        title=f"Postmortem: {scenario.title}",
        scenario={
            "id": scenario.id,
            "title": scenario.title,
            "class": scenario.scenario_class,
            "difficulty": scenario.difficulty,
            "source": scenario.source.model_dump(mode="json", exclude_none=True)
            if scenario.source
            else None,
        },
        seed=f.seed,
        date=when,
        status="draft",
        severity=f.severity,
        severity_note=A.severity_note(f),
        participants=tuple(A.participants(f)),
        facilitators=tuple(f.facilitators),
        simulated=tuple(A.simulated(f)),
        summary=A.summary(f, imp),
        impact=imp,
        milestones=tuple(A.milestones(f)),
        timeline=tuple(entries),
        trigger=t.trigger,
        root_cause=t.root_cause,
        contributing_factors=tuple(t.contributing_factors),
        resolution=A.resolution(f),
        detection=A.detection(f),
        beliefs=tuple(A.beliefs(f)),
        problem=A.problem(imp),
        whys=tuple(t.causal_chain),
        went_well=tuple(well),
        went_wrong=tuple(wrong),
        lucky=tuple(lucky),
        grade=grade_summary(g),
        grade_note=grade_note(scenario.id, g),
        action_items=tuple(action_items(f, gaps(g), day)),
        messaging=tuple(messaging),
        events=len(f.events),
        notes=tuple(notes),
    )
