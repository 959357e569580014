"""Tool outages: the tools that share fate with the outage answer stale, nothing, or no."""

from __future__ import annotations

from typing import Any

import pytest

from engine.drill import Drill
from engine.errors import NotAllowed, ScenarioError
from engine.loader import scenario_from_dict
from engine.scenario import Scenario

from .conftest import series
from .inline import BASE, tiny

REASON = "metrics and deploys resolve through discovery"
DASH = {"type": "view_dashboard", "service": "api", "breakdown": "endpoint"}
LOGS = {"type": "read_logs", "service": "api"}
ROLLBACK = {"type": "rollback", "service": "api"}
GREEN = {"GET /": {"rps": 400.0, "err_5xx_pct": 0.0, "p50_ms": 120.0, "p99_ms": 320.0}}


def _sc(on_deploy: str = "refuse", **outage: Any) -> Scenario:
    """``discovery`` fails half the calls from 120 s to 600 s; the tools share its fate."""
    tools = {
        "id": "tools",
        "kind": "tool_outage",
        "tools": ["dashboards", "logs", "deploys"],
        "reason": REASON,
        "on_deploy": on_deploy,
        "when": {"started": "discovery-down"},
        "until": {"fault": "discovery-down"},
        **outage,
    }
    return tiny(
        api={"endpoints": [{"name": "GET /", "share": 1.0, "calls": ["discovery"]}]},
        topology={"dependencies": [{"name": "discovery"}]},
        faults=[
            tools,
            {
                "id": "discovery-down",
                "kind": "dependency",
                "dependency": "discovery",
                "error_pct": 50,
                "at": 120,
                "recover_at": 600,
            },
        ],
    )


def _ask(d: Drill, data: dict[str, Any]) -> dict[str, Any]:
    seq = d.submit(data, actor="alice").seq
    return next(e.data["result"] for e in d.log.events if e.data.get("for") == seq)


def _states(d: Drill) -> list[tuple[float, str, str]]:
    return [
        (e.t, e.data["component"], e.data["what"])
        for e in d.log.events
        if e.type in ("state", "effect") and e.data["component"] != "fault"
    ]


def test_a_dashboard_look_during_the_outage_shows_the_last_values_marked_stale() -> None:
    """Half the calls fail at T+03:20, but the panel shows T+02:00's green, and says so."""
    d = Drill(_sc(), seed=0)
    d.advance(200)
    assert _ask(d, DASH) == {
        "panel": "api/endpoint",
        "rows": GREEN,
        "stale": True,
        "as_of": 120.0,
        "note": f"STALE: no data since T+02:00, these are the last values ({REASON})",
    }
    assert d.revealed == []  # a frozen panel is not followed live
    assert series(d, "api.err_5xx_pct")[-1][1] == 50.0  # the logged truth is unchanged


def test_log_search_during_the_outage_answers_nothing_and_says_why() -> None:
    d = Drill(_sc(), seed=0)
    d.advance(200)
    assert _ask(d, LOGS) == {
        "service": "api",
        "lines": [],
        "unavailable": True,
        "note": f"log search unavailable since T+02:00 ({REASON})",
    }


def test_a_rollback_during_a_deploy_outage_is_refused_and_changes_nothing() -> None:
    d = Drill(_sc(), seed=0)
    d.advance(200)
    before = d.log.last_seq
    with pytest.raises(NotAllowed) as info:
        d.submit(ROLLBACK, actor="alice")
    assert str(info.value) == (
        f"rollback cannot go through: deploy system unavailable since T+02:00 ({REASON})"
    )
    assert d.log.last_seq == before
    assert d.world.services["api"].current_version == "v2"


def test_a_queued_rollback_waits_for_the_deploy_system_and_its_causes_wait_too() -> None:
    """Accepted and queued at T+03:20; it rolls, and ends the fault waiting on it, at T+10:00."""
    sc = _sc("queue")
    doc = sc.model_dump(mode="json", by_alias=True, exclude_none=True)
    doc["faults"].append(
        {
            "id": "bad-pods",
            "kind": "pod_failure",
            "service": "api",
            "pod": "all",
            "shared_cause": "image",
            "error_pct": 10,
            "at": 100,
            "until": {"action": "rollback", "target": "api"},
        }
    )
    d = Drill(scenario_from_dict(doc), seed=0)
    d.advance(200)
    d.submit(ROLLBACK, actor="alice")
    d.advance(700)
    assert _states(d) == [
        (120.0, "dashboards", "dashboards show stale data"),
        (120.0, "logs", "log search unavailable"),
        (120.0, "deploys", "deploy system unavailable"),
        (200.0, "deploys", "queued: waiting for the deploy system"),
        (600.0, "discovery", "dependency recovered"),
        (600.0, "dashboards", "tool restored"),
        (600.0, "logs", "tool restored"),
        (600.0, "deploys", "tool restored"),
        (600.0, "deploys", "queued deploy started: the deploy system is back"),
        (600.0, "api", "rollback started"),
        (660.0, "api", "rollback complete"),
    ]
    ended = [e.t for e in d.log.events if e.data.get("what") == "fault ended"]
    assert ended == [600.0, 600.0, 600.0]  # discovery-down, tools, then bad-pods (the rollback)


def test_after_the_outage_ends_the_tools_answer_normally() -> None:
    d = Drill(_sc(), seed=0)
    d.advance(700)
    assert _ask(d, DASH) == {"panel": "api/endpoint", "rows": GREEN}
    assert d.revealed == ["api/endpoint"]
    assert _ask(d, LOGS)["lines"] == []  # a healthy service writes no fault lines
    assert "unavailable" not in _ask(d, LOGS)
    d.submit(ROLLBACK, actor="alice")
    d.advance(800)
    assert d.world.services["api"].current_version == "v1"


def test_recover_at_brings_the_tools_back_at_that_time() -> None:
    d = Drill(_sc(until=None, recover_at=300), seed=0)
    d.advance(400)
    assert [s for s in _states(d) if s[2] == "tool restored"] == [
        (300.0, "dashboards", "tool restored"),
        (300.0, "logs", "tool restored"),
        (300.0, "deploys", "tool restored"),
    ]
    assert "stale" not in _ask(d, DASH)


def test_a_tool_outage_is_deterministic() -> None:
    def run() -> bytes:
        d = Drill(_sc("queue"), seed=3)
        d.advance(200)
        d.submit(DASH, actor="alice")
        d.submit(ROLLBACK, actor="alice")
        d.advance(1205)
        return d.log.to_jsonl()

    assert run() == run()


def test_a_tool_outage_naming_an_unknown_fault_or_a_tool_twice_is_a_located_error() -> None:
    doc: dict[str, Any] = {**BASE}
    doc["faults"] = [
        {
            "kind": "tool_outage",
            "tools": ["logs", "logs"],
            "reason": "r",
            "when": {"started": "ghost"},
        }
    ]
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(doc)
    assert [str(p) for p in info.value.problems] == [
        "<scenario>: `faults[0].when.started` names an unknown fault id 'ghost' (known: none)",
        "<scenario>: `faults[0].tools` names a tool twice (got logs, logs)",
    ]


def test_a_stale_panel_or_an_empty_log_search_earns_no_credit_as_a_look() -> None:
    """Grading counts only looks that showed something: the stale ones are unanswered."""
    from engine.grading.timeline import Timeline

    d = Drill(_sc(), seed=0)
    d.advance(200)
    stale = d.submit(DASH, actor="alice").seq
    empty = d.submit(LOGS, actor="alice").seq
    d.advance(700)
    live = d.submit(DASH, actor="alice").seq
    tl = Timeline(d.scenario, d.log.events)
    assert tl.unanswered == {stale, empty}
    assert [e.seq for e in tl.looks_of("view_dashboard", "read_logs")] == [live]


def _alerts(d: Drill) -> list[tuple[float, str, str]]:
    return [
        (e.t, e.type, e.data.get("name") or e.data.get("alert", ""))
        for e in d.log.events
        if e.type in ("alert.fired", "alert.resolved", "page")
    ]


def _blind(recover_at: float | None = 400) -> Scenario:
    """``discovery`` fails half the calls from 120 s to 600 s; alerting goes blind with it."""
    return _sc(tools=["alerting"], until=None, recover_at=recover_at)


def test_alerting_down_delays_the_page_until_data_returns_and_the_rule_holds_again() -> None:
    """Errors start at T+02:00, but no rule has data until T+06:40: the page comes at T+07:00
    (the rule's 20 s held again), not at T+02:20 as it does with alerting up."""
    seeing = Drill(_sc(tools=["dashboards"]), seed=0)
    seeing.advance(700)
    assert _alerts(seeing) == [
        (140.0, "alert.fired", "Errors"),
        (140.0, "page", "Errors"),
        (600.0, "alert.resolved", "Errors"),
    ]
    blind = Drill(_blind(), seed=0)
    blind.advance(700)
    assert _states(blind)[:2] == [
        (120.0, "alerting", "alerting has no data"),
        (400.0, "alerting", "tool restored"),
    ]
    assert _alerts(blind) == [
        (420.0, "alert.fired", "Errors"),
        (420.0, "page", "Errors"),
        (600.0, "alert.resolved", "Errors"),
    ]
    assert blind.page_at == 420.0


def test_alerting_that_never_comes_back_never_pages() -> None:
    """Half the requests fail for eight minutes and nobody is paged: the rules had no data."""
    d = Drill(_blind(recover_at=None), seed=0)
    d.advance(1000)
    assert _alerts(d) == []
    assert d.page_at is None
    assert max(v for _, v in series(d, "api.err_5xx_pct")) == 50.0  # the harm was real


def test_a_firing_alert_neither_resolves_nor_refires_while_alerting_is_down() -> None:
    """The alert fired before alerting went blind; the errors end meanwhile, and it resolves
    only once alerting is back (T+11:40), the first tick with data."""
    # alerting goes blind at T+05:00, after the alert fired, until T+11:40
    sc = _sc(tools=["alerting"], when=None, until=None, at=300, recover_at=700)
    d = Drill(sc, seed=0)
    d.advance(800)
    assert _alerts(d) == [
        (140.0, "alert.fired", "Errors"),
        (140.0, "page", "Errors"),
        (700.0, "alert.resolved", "Errors"),
    ]
