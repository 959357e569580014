"""Player inputs: validated against the scenario; a refused input leaves the drill unharmed."""

from __future__ import annotations

import pytest

from engine.drill import Drill
from engine.errors import DrillStateError, InvalidInput, NotAllowed, UnknownAction
from engine.inputs import INPUT_TYPES, PERMISSIONS

from .conftest import load

GARBAGE = [
    (
        {"type": "reboot_everything"},
        UnknownAction,
        "unknown action 'reboot_everything'; valid actions: declare_incident",
    ),
    ({"severity": "SEV1"}, UnknownAction, "unknown action None"),
    ({"type": ["chat"]}, UnknownAction, "unknown action ['chat']"),  # unhashable: no TypeError
    ({"type": {"a": 1}}, UnknownAction, "unknown action {'a': 1}"),
    ("rollback", InvalidInput, "an input must be an object with a `type` (got str)"),
    (
        {"type": "rollback"},
        InvalidInput,
        "rollback: `service` is required; rollback takes: service",
    ),
    (
        {"type": "rollback", "service": "checkout-apii"},
        InvalidInput,
        "unknown service 'checkout-apii'; valid: checkout-api, search-api",
    ),
    (
        {"type": "declare_incident", "severity": "SEV9"},
        InvalidInput,
        "declare_incident: `severity`",
    ),
    (
        {"type": "take_command", "force": True},
        InvalidInput,
        "take_command: `force` is not a parameter of take_command; take_command takes no parameters",
    ),
    (
        {"type": "drain_pod", "service": "checkout-api", "pod": "nope"},
        InvalidInput,
        "unknown pod 'nope'; valid: checkout-api-",
    ),
    ({"type": "set_flag", "flag": "x", "enabled": "maybe"}, InvalidInput, "set_flag: `enabled`"),
    ({"type": "scale", "service": "checkout-api", "pods": 10_000}, InvalidInput, "scale: `pods`"),
    (
        {"type": "restart", "target": "mainframe"},
        InvalidInput,
        "unknown restart target 'mainframe'; valid: checkout-api, search-api, orders-db",
    ),
    (
        {"type": "status_update", "audience": "public", "state": "fixed", "impact": "x"},
        InvalidInput,
        "status_update: `state`",
    ),
    ({"type": "chat", "text": "x" * 5000}, InvalidInput, "chat: `text`"),
    (
        {"type": "scale", "service": "checkout-api", "pods": 100},
        NotAllowed,
        "checkout-api can have at most 32 pods (quota)",
    ),
]


@pytest.mark.parametrize(("data", "error", "message"), GARBAGE)
def test_bad_input_is_refused_with_a_clear_error_and_changes_nothing(data, error, message) -> None:  # type: ignore[no-untyped-def]
    """Garbage gets the right error family and text; the log and world are untouched."""
    sc = load("checkout-deploy-500s")
    d = Drill(sc, seed=0)
    d.advance(300)
    before = (d.log.to_jsonl(), d.now)
    with pytest.raises(error) as info:
        d.submit(data, actor="alice")
    assert str(info.value).startswith(message)
    assert (d.log.to_jsonl(), d.now) == before
    d.advance(sc.duration + 1)
    clean = Drill(sc, seed=0)
    clean.advance(sc.duration + 1)
    assert d.log.digest() == clean.log.digest()


def test_observers_may_do_nothing_and_players_may_not_facilitate() -> None:
    """The permission table: facilitator all, player no facilitation, observer nothing."""
    assert PERMISSIONS["observer"] == frozenset()
    assert PERMISSIONS["facilitator"] == frozenset(INPUT_TYPES)
    d = Drill(load("checkout-deploy-500s"))
    with pytest.raises(NotAllowed, match="a player may not send inject"):
        d.submit({"type": "inject", "id": "vp-eta"}, actor="bob")
    with pytest.raises(NotAllowed, match="an observer may not send chat"):
        d.submit({"type": "chat", "text": "hi"}, actor="eve", role="observer")


def test_investigation_is_logged_with_what_was_seen() -> None:
    """Asking for a breakdown logs the question and the answer, and reveals the panel."""
    d = Drill(load("checkout-deploy-500s"))
    d.advance(100)
    ev = d.submit(
        {"type": "view_dashboard", "service": "checkout-api", "breakdown": "endpoint"},
        actor="alice",
    )
    obs = d.log.events[-1]
    assert (obs.type, obs.data["for"], obs.data["result"]["panel"]) == (
        "observation",
        ev.seq,
        "checkout-api/endpoint",
    )
    assert set(obs.data["result"]["rows"]) == {
        "POST /checkout",
        "GET /cart",
        "POST /cart/apply-coupon",
    }
    d.advance(120)
    sample = [e for e in d.log.events if e.type == "metrics"][-1]
    assert "checkout-api/endpoint" in sample.data["detail"]


def test_hidden_truth_and_faults_are_for_the_facilitator_only() -> None:
    """Players' event view omits facilitator-only events; their snapshot has no truth."""
    d = Drill(load("checkout-deploy-500s"))
    d.advance(600)
    hidden = [e for e in d.events_since(0, "facilitator") if e.vis == "facilitator"]
    assert any(e.data.get("what") == "fault started" for e in hidden)
    assert all(e.vis == "all" for e in d.events_since(0, "player"))
    assert "truth" not in d.snapshot("player") and "truth" in d.snapshot("facilitator")


def test_facilitator_note_is_private_and_message_reaches_everyone() -> None:
    """Notes are facilitator-only; an ad-hoc message is an inject everyone sees, sent by
    the character (the message input, which names the facilitator, is theirs alone)."""
    d = Drill(load("checkout-deploy-500s"))
    d.submit(
        {"type": "note", "text": "candidate skipped severity"}, actor="fac", role="facilitator"
    )
    d.submit(
        {
            "type": "message",
            "sender": "CEO",
            "role": "executive",
            "channel": "executive",
            "text": "ETA?",
        },
        actor="fac",
        role="facilitator",
    )
    types = [(e.type, e.vis) for e in d.log.events[-3:]]
    assert types == [("input", "facilitator"), ("input", "facilitator"), ("inject", "all")]
    assert d.log.events[-1].actor == "CEO"


def test_inputs_after_the_end_are_refused() -> None:
    """An ended drill accepts nothing more and advancing it is a no-op."""
    d = Drill(load("checkout-deploy-500s"))
    d.submit({"type": "end"}, actor="fac", role="facilitator")
    assert d.ended and d.log.events[-1].type == "drill.ended"
    with pytest.raises(DrillStateError):
        d.submit({"type": "chat", "text": "hello?"}, actor="alice")
    assert d.advance(600) == []
