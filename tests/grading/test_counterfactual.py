"""Harmful levers never earn points: the log is replayed without them, lower score kept."""

from __future__ import annotations

import dataclasses
from typing import Any

from engine.grading import grade
from engine.grading.counterfactual import replay_without
from tests.grading.helpers import graded, run, scenario

STEPS: list[dict[str, Any]] = [
    {"do": "rollback", "service": "rewards-api", "at": "page+1m", "as": "ben"},
    {"do": "scale", "service": "rewards-api", "pods": 6, "at": "page+2m", "as": "ana"},
]


def test_an_action_credited_only_because_of_a_harmful_one_earns_nothing() -> None:
    """The unsafe rollback cut the errors (and corrupts rows to the end, so nothing is
    mitigated); the scale-out after it earns no choice credit for the rollback's effect."""
    g = graded("mini", STEPS)
    c = g.check("mitigation.choice")
    assert c.points == 0.0
    assert c.detail == (
        "ana: scale rewards-api is unlisted and it helped; it was taken blind (no look at its "
        "signal first), half credit. Without ben: rollback rewards-api (replayed from this "
        "log): No mitigation tried was one the situation called for."
    )
    assert g.check("mitigation.effective").detail == (
        "Impact was still ongoing when the drill ended although ana: scale rewards-api "
        "reduced it for a while."
    )
    assert g.notes == (
        "scored without ben: rollback rewards-api as well, keeping the lower "
        "score: mitigation.choice, mitigation.verified",
    )


def test_the_replay_reproduces_the_log_up_to_the_dropped_input() -> None:
    """Dropping the last input replays every event before it byte for byte."""
    events = run("mini", STEPS)
    last = max(e.seq for e in events if e.type == "input")
    again = replay_without(scenario("mini"), events, {last})
    assert again is not None
    assert [e.to_json() for e in again if e.seq < last] == [
        e.to_json() for e in events if e.seq < last
    ]


def test_a_log_the_replay_cannot_reproduce_is_graded_as_it_is_with_a_note() -> None:
    """A log altered before the harmful input is not replayed; the grade says so."""
    events = list(run("mini", STEPS))
    i = next(i for i, e in enumerate(events) if e.type == "metrics" and e.t == 100.0)
    values = {**events[i].data["values"], "business.failed_rps": 1234.0}
    events[i] = dataclasses.replace(events[i], data={"values": values})
    g = grade(scenario("mini"), events)
    assert g.notes == (
        "could not replay this log without its harmful mitigations; the "
        "mitigation checks read this drill only",
    )
    assert g.check("mitigation.choice").points == 5.0  # this drill's own reading
