"""Facilitator prompt cards: each situation kind fires once, for the facilitator only."""

from __future__ import annotations

from typing import Any

import pytest

from engine.drill import Drill
from engine.errors import InvalidInput, NotAllowed, ScenarioError
from engine.loader import load_scenario, scenario_from_dict
from engine.scenario import Scenario

from .inline import tiny

# 50% errors on every pod from t=120; the Errors alert (> 5% for 20 s) pages at t=140.
FAULT = {"kind": "pod_failure", "service": "api", "pod": "all", "error_pct": 50, "at": 120}


def _deck(when: dict[str, Any], **card: Any) -> Scenario:
    return tiny(faults=[FAULT], prompts=[{"id": "hint", "text": "ask them", "when": when, **card}])


def _run(sc: Scenario, inputs: list[tuple[float, dict[str, Any]]] = ()) -> Drill:  # type: ignore[assignment]
    d = Drill(sc)
    for t, data in inputs:
        d.advance(t)
        d.submit(data, actor="alice")
    d.advance(sc.duration + 5)
    return d


def _cards(d: Drill) -> list[tuple[float, str, dict[str, Any], str]]:
    kinds = ("prompt_ready", "prompt_used")
    return [(e.t, e.type, dict(e.data), e.vis) for e in d.log.events if e.type in kinds]


def _ready(t: float, why: str) -> tuple[float, str, dict[str, Any], str]:
    return (t, "prompt_ready", {"id": "hint", "text": "ask them", "why": why}, "facilitator")


def test_a_time_after_the_page_fires_the_card_once_at_that_time() -> None:
    """page+2m: the card is ready at 140 + 120 s, once, and only the facilitator sees it."""
    d = _run(_deck({"after": "2m"}))
    assert _cards(d) == [_ready(260.0, "page+02:00 has passed")]
    assert not [e for e in d.events_since(0, "player") if e.type.startswith("prompt")]
    assert "prompts" not in d.snapshot("player") and "prompts" not in d.snapshot("observer")


def test_a_time_after_the_start_does_not_wait_for_the_page() -> None:
    """from: start: t=60 is before the fault, and the card is ready then."""
    d = _run(_deck({"after": 60, "from": "start"}))
    assert _cards(d) == [_ready(60.0, "start+01:00 has passed")]


def test_nobody_looked_fires_only_if_nobody_looked_in_time() -> None:
    """Not looked at the per-pod dashboard by page+5m: ready at 440; looking first closes it,
    but another breakdown or a look after the time does not."""
    when = {
        "after": "5m",
        "not_looked": {"investigation": "view_dashboard", "target": "api", "breakdown": "pod"},
    }
    why = "nobody has run view_dashboard of api by pod by page+05:00"
    sc = _deck(when)
    endpoint = {"type": "view_dashboard", "service": "api", "breakdown": "endpoint"}
    pod = {"type": "view_dashboard", "service": "api", "breakdown": "pod"}
    assert _cards(_run(sc)) == [_ready(440.0, why)]
    assert _cards(_run(sc, [(200, endpoint)])) == [_ready(440.0, why)]
    assert _cards(_run(sc, [(500, pod)])) == [_ready(440.0, why)]
    assert _cards(_run(sc, [(200, pod)])) == []


def test_nobody_acted_fires_unless_that_action_on_that_target_came_first() -> None:
    """Nobody restarted api by page+3m: a restart of api closes the card, a scale does not."""
    sc = _deck({"after": "3m", "not_done": {"action": "restart", "target": "api"}})
    why = "nobody has sent restart on api by page+03:00"
    assert _cards(_run(sc, [(150, {"type": "scale", "service": "api", "pods": 5})])) == [
        _ready(320.0, why)
    ]
    assert _cards(_run(sc, [(150, {"type": "restart", "target": "api"})])) == []


def test_no_status_update_fires_unless_an_update_went_out() -> None:
    """No status update by page+10m: an internal update before then closes the card."""
    sc = _deck({"after": "10m", "no_status_update": True})
    update = {"type": "status_update", "audience": "internal", "state": "investigating"}
    assert _cards(_run(sc)) == [_ready(740.0, "no status update posted by page+10:00")]
    assert _cards(_run(sc, [(300, {**update, "impact": "half of requests fail"})])) == []


def test_a_metric_condition_fires_when_it_has_held_from_the_card_time_on() -> None:
    """api errors > 40% for 30 s, watched from start+0: errors rise at 120, ready 30 s on."""
    sc = _deck({"from": "start", "metric": "api.err_5xx_pct", "threshold": 40, "for": 30})
    (ready,) = _cards(_run(sc))
    assert ready[1:] == _ready(0, "api.err_5xx_pct > 40 for 00:30, from start+00:00")[1:]
    assert 150.0 <= ready[0] <= 152.0  # the first tick with errors above 40%, plus 30 s


def test_an_alert_condition_fires_at_the_first_tick_after_it_has_fired() -> None:
    """The Errors alert fires at 140 (the page): a card on it is ready in that tick."""
    d = _run(_deck({"from": "start", "alert": "Errors"}))
    assert _cards(d) == [_ready(140.0, "alert Errors has fired, from start+00:00")]


def test_using_a_card_sends_its_line_in_character_and_is_logged_once() -> None:
    """use_prompt with send: players get Priya's words (not the card), the facilitator
    gets prompt_used; a second use is refused and a player may not use one."""
    sc = _deck({"after": "1m"}, say="Anyone checked the pods?", **{"from": "Priya", "role": "sme"})
    d = Drill(sc)
    d.advance(300)
    with pytest.raises(NotAllowed):
        d.submit({"type": "use_prompt", "id": "hint"}, actor="alice", role="player")
    seq = d.log.last_seq
    d.submit({"type": "use_prompt", "id": "hint", "send": True}, "fac", "facilitator")
    got = [(e.type, e.actor, dict(e.data), e.vis) for e in d.log.since(seq)]
    assert got == [
        ("input", "fac", {"type": "use_prompt", "id": "hint", "send": True}, "facilitator"),
        (
            "inject",
            "Priya",
            {
                "id": None,
                "from": "Priya",
                "role": "sme",
                "channel": "chat",
                "text": "Anyone checked the pods?",
                "asks": None,
            },
            "all",
        ),
        ("prompt_used", "fac", {"id": "hint", "ready": True, "sent": True}, "facilitator"),
    ]
    assert [e.type for e in d.events_since(seq, "player")] == ["inject"]
    with pytest.raises(InvalidInput, match="already used at t=300s"):
        d.submit({"type": "use_prompt", "id": "hint"}, "fac", "facilitator")
    card = d.snapshot("facilitator")["prompts"][0]
    assert (card["ready_at"], card["used_at"], card["sent"]) == (200.0, 300.0, True)


def test_a_card_used_before_it_is_ready_is_logged_as_not_ready_and_never_fires() -> None:
    """The facilitator may play a card early: prompt_used says ready false, no prompt_ready."""
    d = Drill(_deck({"after": "10m"}))
    d.advance(100)
    d.submit({"type": "use_prompt", "id": "hint"}, "fac", "facilitator")
    d.advance(1205)
    assert _cards(d) == [
        (100.0, "prompt_used", {"id": "hint", "ready": False, "sent": False}, "facilitator")
    ]


def test_using_an_unknown_card_or_sending_one_without_a_line_is_refused() -> None:
    """Unknown ids are refused with the valid ones; send needs a `say` line; nothing is logged."""
    d = Drill(_deck({"after": "1m"}))
    d.advance(10)
    seq = d.log.last_seq
    with pytest.raises(InvalidInput, match="unknown prompt card 'nope'; valid: hint"):
        d.submit({"type": "use_prompt", "id": "nope"}, "fac", "facilitator")
    with pytest.raises(InvalidInput, match="has no `say` line to send"):
        d.submit({"type": "use_prompt", "id": "hint", "send": True}, "fac", "facilitator")
    with pytest.raises(InvalidInput, match="`send`"):
        d.submit({"type": "use_prompt", "id": "hint", "send": "yes"}, "fac", "facilitator")
    assert d.log.last_seq == seq


def test_cards_are_deterministic_and_replay_byte_for_byte() -> None:
    """Same scenario, seed and inputs (a card used and sent): the same log bytes on replay."""
    sc = _deck({"after": "1m"}, say="Pods?", **{"from": "Priya"})
    d = _run(sc, [(300, {"type": "read_logs", "service": "api"})])
    again = Drill(sc)
    for e in d.log.events:
        if e.type == "input":
            again.reapply(e)
    again.advance(sc.duration + 5)
    assert again.log.digest() == d.log.digest()
    d2 = Drill(sc)
    d2.advance(400)
    d2.submit({"type": "use_prompt", "id": "hint", "send": True}, "fac", "facilitator")
    d2.advance(1300)
    d3 = Drill(sc)
    for e in d2.log.events:
        if e.type == "input":
            d3.reapply(e)
    d3.advance(1300)
    assert d3.log.digest() == d2.log.digest()


BAD: list[tuple[dict[str, Any], str, str]] = [
    (
        {"not_looked": {"investigation": "inspect_dependency", "target": "payments"}},
        "prompts[0].when.not_looked.target",
        "names no dependency 'payments' for inspect_dependency (known: none)",
    ),
    (
        {"not_looked": {"investigation": "view_dashboard", "target": "apii"}},
        "prompts[0].when.not_looked.target",
        "names no service 'apii' for view_dashboard (known: api)",
    ),
    (
        {"not_looked": {"investigation": "read_logs", "breakdown": "pod"}},
        "prompts[0].when.not_looked",
        "`breakdown` goes with `investigation: view_dashboard`",
    ),
    (
        {"not_looked": {"investigation": "peek"}},
        "prompts[0].when.not_looked.investigation",
        "view_dashboard",
    ),
    (
        {"not_done": {"action": "reboot", "target": "api"}},
        "prompts[0].when.not_done.action",
        "must be a player action, one of:",
    ),
    (
        {"not_done": {"action": "rollback", "target": "db"}},
        "prompts[0].when.not_done.target",
        "names no service 'db' for rollback (known: api)",
    ),
    (
        {"metric": "api.err_pct", "threshold": 5},
        "prompts[0].when.metric",
        "names an unknown metric 'api.err_pct' (did you mean:",
    ),
    ({"alert": "Erors"}, "prompts[0].when.alert", "unknown alert 'Erors' (known: Errors)"),
    ({"alert": "Errors", "no_status_update": True}, "prompts[0].when", "at most one of"),
    ({"metric": "api.err_5xx_pct"}, "prompts[0].when", "`metric` needs a `threshold`"),
    ({"after": "3 days"}, "prompts[0].when.after", "must be a duration"),
    ({"after": "2h"}, "prompts[0].when.after", "must be within the drill, <= 1200s"),
    ({"from": "deploy"}, "prompts[0].when.from", "must be one of 'page', 'start'"),
    ({"nobody": True}, "prompts[0].when.nobody", ""),
]


@pytest.mark.parametrize(("when", "path", "message"), BAD)
def test_a_bad_situation_is_refused_naming_file_line_and_field(
    when: dict[str, Any], path: str, message: str
) -> None:
    """Unknown targets, actions, metrics and alerts name the valid ones, at the right line."""
    import yaml

    doc = {**_doc(), "prompts": [{"id": "hint", "text": "ask", "when": when}]}
    text = yaml.safe_dump(doc, sort_keys=False)
    with pytest.raises(ScenarioError) as err:
        load_scenario(text, "cards.yaml")
    shown = str(err.value)
    assert f"`{path}`" in shown and message in shown and "cards.yaml line " in shown, shown


def test_duplicate_ids_and_a_line_without_a_speaker_are_refused() -> None:
    """Two cards with one id, and `say` without `from`, are author errors with their paths."""
    card = {"id": "hint", "text": "ask", "when": {"after": 60}}
    with pytest.raises(ScenarioError, match=r"`prompts\[1\]\.id` duplicate prompt id 'hint'"):
        scenario_from_dict({**_doc(), "prompts": [card, card]})
    with pytest.raises(ScenarioError, match="`say` and `from` go together"):
        scenario_from_dict({**_doc(), "prompts": [{**card, "say": "hi"}]})


def _doc() -> dict[str, Any]:
    from .inline import BASE

    return {**BASE, "faults": [FAULT]}
