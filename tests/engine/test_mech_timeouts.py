"""Timeouts changed at run time: failing fast on a hung callee frees the caller's workers."""

from __future__ import annotations

from typing import Any

import pytest

from engine.drill import Drill
from engine.errors import InvalidInput, NotAllowed

from .conftest import play, series
from .inline import tiny

TIMES = (100.0, 150.0, 300.0, 1200.0)


def _sc(latency_ms: float, timeout_ms: float) -> Any:
    """Half of api's requests call search; at 120 s search answers after ``latency_ms``."""
    return tiny(
        api={
            "endpoints": [
                {"name": "GET /search", "share": 0.5, "calls": ["search"]},
                {"name": "GET /", "share": 0.5},
            ]
        },
        topology={"dependencies": [{"name": "search", "latency_ms": 50, "timeout_ms": timeout_ms}]},
        faults=[
            {"kind": "dependency", "dependency": "search", "latency_ms": latency_ms, "at": 120}
        ],
    )


def _timeout(ms: float) -> dict[str, Any]:
    return {"type": "set_timeout", "service": "api", "dependency": "search", "timeout_ms": ms}


def _errors(d: Drill) -> list[float]:
    values = dict(series(d, "api.err_5xx_pct"))
    return [values[t] for t in TIMES]


HUNG = (60_000.0, 30_000.0)  # search hangs; callers wait up to a 30 s default timeout


def test_a_hung_callee_with_a_long_timeout_starves_every_endpoint() -> None:
    """Every worker waits on search: GET /, which never calls it, fails too."""
    d = play(_sc(*HUNG), [])
    assert _errors(d) == [0.0, 97.872, 97.872, 97.872]
    assert dict(series(d, "api.worker_busy_pct"))[300.0] == 100.0


def test_lowering_the_timeout_fails_fast_and_saves_the_rest() -> None:
    """At 500 ms search calls fail at once; workers are free and GET / serves again."""
    d = play(_sc(*HUNG), [(60, _timeout(500))])
    assert [
        (e.t, e.data["what"], e.data["timeout_ms"]) for e in d.log.events if e.type == "effect"
    ] == [(230.0, "call timeout changed", 500.0)]
    assert _errors(d) == [0.0, 97.872, 50.0, 50.0]
    assert dict(series(d, "api.worker_busy_pct"))[300.0] == 45.312


@pytest.mark.parametrize(
    ("move", "errors"),
    [
        (_timeout(60_000), [0.0, 97.872, 98.402, 98.402]),
        ({"type": "scale", "service": "api", "pods": 8}, [0.0, 97.872, 95.745, 95.745]),
    ],
)
def test_raising_the_timeout_or_scaling_out_does_not_help(
    move: dict[str, Any], errors: list[float]
) -> None:
    """Waiting longer holds workers longer; twice the workers still all wait 30 s."""
    assert _errors(play(_sc(*HUNG), [(60, move)])) == errors


def test_a_timeout_below_a_slow_but_working_callee_fails_all_its_calls() -> None:
    """search answers in 1.5 s (2 s timeout): cutting to 300 ms fails what was succeeding."""
    slow = _sc(1500, 2000)
    assert _errors(play(slow, [])) == [0.0, 22.363, 22.363, 22.363]
    assert _errors(play(slow, [(60, _timeout(300))])) == [0.0, 22.363, 50.0, 50.0]


def test_set_timeout_on_a_callee_the_service_does_not_call_is_refused() -> None:
    """The error names what it calls; a zero timeout is a parameter error; nothing logged."""
    d = Drill(_sc(*HUNG), seed=0)
    before = d.log.last_seq
    with pytest.raises(NotAllowed, match=r"api does not call 'db' \(it calls: search\)"):
        d.submit({**_timeout(500), "dependency": "db"}, actor="alice")
    with pytest.raises(InvalidInput, match="timeout_ms"):
        d.submit(_timeout(0), actor="alice")
    assert d.log.last_seq == before
