"""A retry herd on a callee with a capacity: it outlives its trigger until load falls."""

from __future__ import annotations

from typing import Any

import pytest

from engine.drill import Drill
from engine.errors import NotAllowed
from engine.scenario import Scenario

from .conftest import play, series, values_at
from .inline import tiny

RETRIES_OFF = {"type": "set_retries", "service": "api", "dependency": "ledger", "retries": 0}
TIMES = (60.0, 240.0, 420.0, 1200.0)


def ledger_failover(call: dict[str, Any], ledger: dict[str, Any]) -> Scenario:
    """400 rps to api, whose one endpoint makes ``call`` to the ledger; the ledger fails
    over for a minute at 120 s (every call fails fast meanwhile)."""
    return tiny(
        api={
            "workers_per_pod": 5000,
            "endpoints": [{"name": "GET /", "share": 1.0, "calls": [{"to": "ledger", **call}]}],
        },
        topology={"dependencies": [{"name": "ledger", "latency_ms": 50, **ledger}]},
        faults=[
            {
                "id": "failover",
                "kind": "dependency",
                "dependency": "ledger",
                "at": 120,
                "error_pct": 100,
                "recover_at": 180,
            }
        ],
    )


def _sc(retries: int = 3, budget: float | None = None) -> Scenario:
    call: dict[str, Any] = {"retries": retries}
    if budget is not None:
        call["retry_budget_pct"] = budget
    return ledger_failover(call, {"timeout_ms": 1000, "capacity_rps": 500})


def _at(d: Drill, metric: str) -> list[float]:
    return values_at(d, metric, TIMES)


def test_without_retries_the_blip_ends_when_the_failover_does() -> None:
    """400 rps against a 500 rps capacity: no queue builds, errors stop at recovery."""
    d = play(_sc(retries=0), [])
    assert _at(d, "api.err_5xx_pct") == [0.0, 0.0, 0.0, 0.0]
    assert dict(series(d, "api.err_5xx_pct"))[150.0] == 100.0


def test_doing_nothing_leaves_a_retry_herd_after_the_failover_ends() -> None:
    """Three retries quadruple the load; the full queue times every call out, for good."""
    d = play(_sc(), [])
    assert _at(d, "api.err_5xx_pct") == [0.0, 100.0, 100.0, 100.0]
    assert _at(d, "ledger.queue_depth") == [0.0, 15000.0, 15000.0, 15000.0]
    assert _at(d, "ledger.calls_per_s") == [400.0, 1600.0, 1600.0, 1600.0]


def test_turning_retries_off_lets_the_queue_drain_and_the_herd_end() -> None:
    """With retries off the ledger sees 400 rps, drains 100/s, and calls succeed again."""
    d = play(_sc(), [(60, RETRIES_OFF)])
    effects = [(e.t, e.data["what"]) for e in d.log.events if e.type == "effect"]
    assert effects == [(230.0, "retry policy changed")]
    assert _at(d, "api.err_5xx_pct") == [0.0, 100.0, 0.0, 0.0]
    assert _at(d, "ledger.queue_depth") == [0.0, 14350.0, 0.0, 0.0]  # draining from 230 s


def test_shedding_load_relieves_the_herd_and_counts_apart_from_failures() -> None:
    """Shedding 80% brings retried load under capacity; shed requests are not failures."""
    d = play(_sc(), [(60, {"type": "shed_load", "service": "api", "pct": 80})])
    assert _at(d, "api.err_5xx_pct") == [0.0, 20.0, 0.0, 0.0]  # the admitted 20% until drained
    assert _at(d, "business.shed_rps") == [0.0, 320.0, 320.0, 320.0]
    assert _at(d, "business.failed_rps") == [0.0, 80.0, 0.0, 0.0]
    nothing = play(_sc(), [])
    assert series(d, "business.users_affected_pct")[-1][1] == 40.0  # 80% shed x weight 0.5
    assert series(nothing, "business.users_affected_pct")[-1][1] == 100.0


@pytest.mark.parametrize(
    "move",
    [
        {"type": "restart", "target": "api", "mode": "all"},
        {"type": "scale", "service": "api", "pods": 8},
    ],
)
def test_restarting_or_scaling_the_caller_does_not_end_the_herd(move: dict[str, Any]) -> None:
    """The callee's queue is the problem; new or restarted callers retry just the same."""
    d = play(_sc(), [(60, move)])
    assert _at(d, "api.err_5xx_pct")[2:] == [100.0, 100.0]


def test_a_retry_budget_caps_the_amplification() -> None:
    """A 10% retry budget adds at most 10% load: 440 rps is under capacity, so it recovers."""
    d = play(_sc(budget=10), [])
    assert _at(d, "api.err_5xx_pct") == [0.0, 0.0, 0.0, 0.0]
    during = dict(series(d, "ledger.calls_per_s"))[150.0], dict(series(d, "api.err_5xx_pct"))[150.0]
    assert during == (440.0, 100.0)


def test_set_retries_on_a_dependency_the_service_does_not_call_is_refused() -> None:
    """The error names what the service does call; the log is unchanged."""
    d = Drill(_sc(), seed=0)
    before = d.log.last_seq
    with pytest.raises(NotAllowed, match=r"api does not call 'db' \(it calls: ledger\)"):
        d.submit({**RETRIES_OFF, "dependency": "db"}, actor="alice")
    assert d.log.last_seq == before
