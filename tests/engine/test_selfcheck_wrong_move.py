"""`firedrill check`: the wrong-move reference play (the plausible move that would not work
in reality) must not end the harm."""

from __future__ import annotations

from typing import Any

from engine.script import DecisionScript
from engine.selfcheck import check

from .inline import tiny


def _wrong(step: str) -> DecisionScript:
    return DecisionScript.from_yaml(f"name: w\nsteps:\n  - {{at: page+1m, {step}}}\n")


def _fault(**extra: Any) -> dict[str, Any]:
    return {
        "kind": "pod_failure",
        "service": "api",
        "pod": "all",
        "error_pct": 50,
        "at": 60,
        **extra,
    }


def _findings(fault: dict[str, Any], step: str) -> list[str]:
    sc = tiny(faults=[fault])
    return [str(f) for f in check(sc, None, (0,), wrong_move=_wrong(step)) if "wrong" in f.code]


def test_a_restart_does_not_clear_a_cause_every_pod_shares() -> None:
    """A bad config ships with every pod, restarted or new: the restart is a wrong move
    that rightly does not work, so the check has nothing to say."""
    assert _findings(_fault(shared_cause="config"), "do: restart, target: api, mode: rolling") == []
    assert _findings(_fault(shared_cause="image"), "do: scale, service: api, pods: 8") == []


def test_a_wrong_move_that_ends_the_harm_fails_the_check() -> None:
    """A fault a restart clears (a wedged process) goes away with the pods: a scenario that
    calls the restart the wrong move is mis-modelled, and the check says so."""
    fault = _fault(fixed_by_restart=True)
    assert _findings(fault, "do: restart, target: api, mode: rolling") == [
        "error: [wrong_move.mitigates] seed 0: w ends the harm at T+03:30: a move that "
        "would not work in reality must not work in the simulation"
    ]


def test_a_refused_wrong_move_is_an_error() -> None:
    """A wrong move the drill refuses proves nothing about the model: it is reported."""
    assert _findings(_fault(shared_cause="config"), "do: restart, target: nope") == [
        "error: [wrong_move.refused] seed 0: w step 0 refused at T+02:20: unknown restart target "
        "'nope'; valid: api"
    ]
