"""Simulated teammates: paging, roles, delegated tasks, busy and wrong, replay, grading."""

from __future__ import annotations

from typing import Any

import pytest

from engine.drill import Drill
from engine.errors import InvalidInput, NotAllowed
from engine.grading import grade
from engine.responders import Busy, Mistake, Responder
from engine.scenario import Scenario
from server.ci.replay import replay
from tests.engine.conftest import load

PODS = {"type": "view_dashboard", "service": "api-gateway", "breakdown": "pod"}


@pytest.fixture(scope="module")
def tiny() -> Scenario:
    """gateway-bad-pod with one scripted teammate, Kim."""
    kim = Responder(
        name="Kim",
        title="SRE",
        joins_after=30,
        busy=[Busy(start=200, until=300, says="In a meeting until T+05:00.")],
        wrong=[Mistake(action="read_logs", says="Logs look clean to me.")],
    )
    return load("gateway-bad-pod").model_copy(update={"responders": [kim]})


def said(d: Drill) -> list[tuple[float, str, str]]:
    return [(e.t, e.actor, e.data["text"]) for e in d.log.events if e.type == "inject"]


def acted(d: Drill) -> list[tuple[float, str, dict[str, Any]]]:
    return [(e.t, e.actor, e.data) for e in d.log.events if e.type == "input"]


def run(sc: Scenario, steps: list[tuple[float, dict[str, Any]]], until: float = 600) -> Drill:
    d = Drill(sc, seed=7)
    for t, data in steps:
        d.advance(t)
        d.submit(data, actor="alice")
    d.advance(until)
    return d


def test_page_assign_delegate_exact_events(tiny: Scenario) -> None:
    """Kim joins after the page, acks the role, does the task later and reports its gist."""
    d = run(
        tiny,
        [
            (10, {"type": "page_team", "team": "kim"}),
            (60, {"type": "assign_role", "person": "Kim", "role": "ops"}),
            (60, {"type": "delegate", "person": "Kim", "task": PODS}),
        ],
        until=200,
    )
    assert said(d) == [
        (44.779, "Kim", "Kim here (SRE). What do you need?"),
        (60.0, "Kim", "Got it, I'm on ops."),
        (60.0, "Kim", "On it: the pod breakdown of api-gateway."),
        (
            120.21,
            "Kim",
            "Looked at the pod breakdown of api-gateway: nothing stands out "
            "(worst is api-gateway-52e6-7 at 0.0% 5xx).",
        ),
    ]
    assert [a for a in acted(d) if a[1] == "Kim"] == [(120.21, "Kim", {**PODS, "via": 12})]
    assert "api-gateway/pod" in d.revealed


def test_refusals_name_the_fix(tiny: Scenario) -> None:
    """Tasks for strangers, the unpaged, the not-yet-joined or chat are refused, logging nothing."""
    d = Drill(tiny, seed=7)
    d.advance(5)
    with pytest.raises(InvalidInput, match="no teammate called 'Bob'; teammates: Kim"):
        d.submit({"type": "delegate", "person": "Bob", "task": PODS}, actor="alice")
    with pytest.raises(NotAllowed, match=r"Kim is not in the channel; page them first"):
        d.submit({"type": "delegate", "person": "kim", "task": PODS}, actor="alice")
    d.submit({"type": "page_team", "team": "Kim"}, actor="alice")
    with pytest.raises(NotAllowed, match="Kim was paged and has not joined the channel yet"):
        d.submit({"type": "delegate", "person": "Kim", "task": PODS}, actor="alice")
    d.advance(60)
    with pytest.raises(InvalidInput, match="cannot be given 'chat' as a task"):
        task = {"type": "chat", "text": "hi"}
        d.submit({"type": "delegate", "person": "Kim", "task": task}, actor="alice")
    with pytest.raises(InvalidInput, match="`breakdown` is required"):
        bad = {"type": "view_dashboard", "service": "api-gateway"}
        d.submit({"type": "delegate", "person": "Kim", "task": bad}, actor="alice")
    assert [a[2]["type"] for a in acted(d)] == ["page_team"]


def test_busy_and_wrong_as_the_scenario_says(tiny: Scenario) -> None:
    """Busy: Kim says so and starts at the end of the stretch; wrong: reports the scenario's line."""
    logs = {"type": "read_logs", "service": "api-gateway"}
    d = run(
        tiny,
        [
            (0, {"type": "page_team", "team": "Kim"}),
            (250, {"type": "delegate", "person": "Kim", "task": logs}),
        ],
    )
    talk = said(d)
    assert talk[1] == (250.0, "Kim", "In a meeting until T+05:00.")
    (t, _, text) = talk[2]
    assert text == "Logs look clean to me." and 300 + 40 <= t <= 300 + 90
    assert [a[0] for a in acted(d) if a[1] == "Kim"] == [t]


def test_refused_at_the_time_is_reported(tiny: Scenario) -> None:
    """A task that fails when carried out (unknown service) is reported back, not logged."""
    bad = {"type": "rollback", "service": "no-such-service"}
    d = run(
        tiny,
        [
            (0, {"type": "page_team", "team": "Kim"}),
            (60, {"type": "delegate", "person": "Kim", "task": bad}),
        ],
    )
    assert said(d)[2][2].startswith("I couldn't rollback no-such-service: unknown service")
    assert [a[1] for a in acted(d)] == ["alice", "alice"]


def test_replay_is_byte_identical(tiny: Scenario) -> None:
    """Replaying the log's inputs (teammates' actions are redone by the replayed delegate)."""
    d = run(
        tiny,
        [
            (0, {"type": "page_team", "team": "Kim"}),
            (60, {"type": "delegate", "person": "Kim", "task": PODS}),
            (61, {"type": "take_command"}),
        ],
    )
    again = replay(tiny, list(d.log.events))
    assert again.divergence is None
    assert [e.to_json() for e in again.drill.log.events[: len(d.log)]] == [
        e.to_json() for e in d.log.events
    ]


def test_default_roster_and_grading_credit() -> None:
    """Library scenarios get Priya, Sam and Alex; roles given to them earn command.roles."""
    sc = load("gateway-bad-pod")
    d = Drill(sc, seed=3)
    assert [r["name"] for r in d.snapshot()["scenario"]["responders"]] == ["Priya", "Sam", "Alex"]
    for t, data in [
        (0, {"type": "page_team", "team": "Priya"}),
        (0, {"type": "page_team", "team": "Alex"}),
        (150, {"type": "take_command"}),
        (150, {"type": "assign_role", "person": "Priya", "role": "ops"}),
        (150, {"type": "assign_role", "person": "Alex", "role": "comms"}),
    ]:
        d.advance(t)
        d.submit(data, actor="alice")
    d.advance(sc.duration + 5)
    roles = next(
        c
        for dim in grade(sc, d.log.events).dimensions
        for c in dim.checks
        if c.id == "command.roles"
    )
    assert roles.outcome == "met", roles
