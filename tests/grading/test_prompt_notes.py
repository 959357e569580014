"""Prompt cards in the debrief: a used card is a note in the grade, never a score change."""

from __future__ import annotations

from typing import Any

from engine.drill import Drill
from engine.grading import grade
from engine.postmortem import postmortem
from engine.scenario import Scenario
from tests.engine.inline import tiny

FAULT = {"kind": "pod_failure", "service": "api", "pod": "all", "error_pct": 50, "at": 120}
CARD = {"id": "pods", "text": "ask", "say": "Pods?", "from": "Priya", "when": {"after": "1m"}}
PLAY: list[tuple[float, dict[str, Any]]] = [
    (200, {"type": "take_command"}),
    (230, {"type": "view_dashboard", "service": "api", "breakdown": "pod"}),
    (320, {"type": "restart", "target": "api"}),
]


def _play(sc: Scenario, use: dict[str, Any] | None = None) -> Drill:
    d = Drill(sc)
    for t, data in PLAY:
        d.advance(t)
        d.submit(data, actor="alice")
        if use is not None and t == 230:
            d.submit(use, "fac", "facilitator")
    d.advance(sc.duration + 5)
    return d


def test_a_card_that_fired_or_was_used_leaves_every_score_as_it_was() -> None:
    """Same play without cards, with a card that fired, and with it used and sent: same scores;
    only the used card adds a note naming it and when."""
    plain = grade(tiny(faults=[FAULT]), _play(tiny(faults=[FAULT])).log.events)
    sc = tiny(faults=[FAULT], prompts=[CARD])
    fired = grade(sc, _play(sc).log.events)
    used = grade(sc, _play(sc, {"type": "use_prompt", "id": "pods", "send": True}).log.events)
    assert plain.scores == fired.scores == used.scores
    assert fired.notes == plain.notes
    assert used.notes == (
        *plain.notes,
        "the facilitator used prompt cards: pods at page+1:30 (its line sent to the players) "
        "(noted, not scored)",
    )


def test_the_postmortem_timeline_says_when_a_card_was_ready_and_used() -> None:
    """The card's readiness and use are facilitator (hidden) entries; the sent line is a
    message the team saw."""
    sc = tiny(faults=[FAULT], prompts=[CARD])
    d = _play(sc, {"type": "use_prompt", "id": "pods", "send": True})
    pm = postmortem(sc, d.log.events, grade(sc, d.log.events))
    lines = [(e.t, e.text, e.hidden) for e in pm.timeline if e.t in (200.0, 230.0)]
    assert (
        200.0,
        "Prompt card 'pods' ready for the facilitator: page+01:00 has passed.",
        True,
    ) in lines
    assert (
        230.0,
        "Used the prompt card 'pods', its character saying its line to the team.",
        True,
    ) in lines
    assert (230.0, "Message on the chat channel: “Pods?”", False) in lines
