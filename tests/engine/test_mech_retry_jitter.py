"""Retries without jitter come back in waves that keep a recovered callee failing."""

from __future__ import annotations

from typing import Any

import pytest

from engine.drill import Drill
from engine.errors import InvalidInput, ScenarioError
from engine.grading.claims import actions_named
from engine.scenario import Scenario

from .conftest import play, values_at
from .inline import tiny
from .test_mech_retries import ledger_failover

JITTER_ON = {"type": "set_retries", "service": "api", "dependency": "ledger", "jitter": True}
TIMES = (60.0, 150.0, 240.0, 420.0, 1200.0)


def _sc(jitter: bool = False) -> Scenario:
    """400 rps; the ledger serves 1,700/s and times out at 500 ms; 3 retries 20 s apart."""
    call = {"retries": 3, "backoff_ms": 20_000, "jitter": jitter}
    return ledger_failover(call, {"timeout_ms": 500, "capacity_rps": 1700})


def _at(d: Drill, metric: str) -> list[float]:
    return values_at(d, metric, TIMES)


def test_jittered_retries_recover_with_the_ledger() -> None:
    """Even 4x during the failover the mean load fits the ledger: it is fine at once after."""
    d = play(_sc(jitter=True), [])
    assert _at(d, "api.err_5xx_pct") == [0.0, 100.0, 0.0, 0.0, 0.0]
    assert _at(d, "ledger.calls_per_s") == [400.0, 1328.021, 400.0, 400.0, 400.0]
    assert _at(d, "ledger.queue_depth") == [0.0, 0.0, 0.0, 0.0, 0.0]


def test_without_jitter_the_retry_waves_keep_the_recovered_ledger_failing() -> None:
    """Each 20 s round's retries land at once: the wave outlasts the timeout, fails, returns."""
    d = play(_sc(), [])
    assert _at(d, "api.err_5xx_pct") == [0.0, 100.0, 56.015, 56.015, 56.015]
    # a mean of 1,304 calls/s fits 1,700/s; the waves are what queue and time out
    assert _at(d, "ledger.calls_per_s") == [400.0, 1289.491, 1304.412, 1304.412, 1304.412]
    assert _at(d, "ledger.queue_depth") == [0.0, 6959.067, 6449.312, 6449.312, 6449.312]
    assert _at(d, "ledger.timeouts_per_s") == [0.0, 1142.263, 1128.472, 1128.472, 1128.472]


def test_turning_jitter_on_spreads_the_waves_and_the_herd_ends() -> None:
    """After the 30 s push the same retries arrive spread out and fit the ledger."""
    d = play(_sc(), [(60, JITTER_ON)])
    effects = [(e.t, e.data["what"], e.data["jitter"]) for e in d.log.events if e.type == "effect"]
    assert effects == [(230.0, "retry policy changed", True)]
    assert "retries" not in next(e for e in d.log.events if e.type == "effect").data
    assert _at(d, "api.err_5xx_pct") == [0.0, 100.0, 0.0, 0.0, 0.0]
    assert _at(d, "ledger.calls_per_s") == [400.0, 1289.491, 400.0, 400.0, 400.0]
    assert _at(d, "ledger.queue_depth") == [0.0, 6959.067, 0.0, 0.0, 0.0]


@pytest.mark.parametrize(
    ("move", "after"),
    [
        ({"type": "set_retries", "service": "api", "dependency": "ledger", "retries": 5}, 65.817),
        ({"type": "scale", "service": "api", "pods": 8}, 56.015),
        ({"type": "restart", "target": "api", "mode": "rolling"}, 56.015),
    ],
)
def test_more_retries_or_more_callers_do_not_end_the_waves(
    move: dict[str, Any], after: float
) -> None:
    """The waves are the callers' common clock: more retries make each wave bigger."""
    d = play(_sc(), [(60, move)])
    assert _at(d, "api.err_5xx_pct")[3:] == [after, after]


def test_set_retries_with_nothing_to_change_is_refused_and_changes_nothing() -> None:
    """Neither `retries` nor `jitter`: refused, the log unchanged."""
    d = Drill(_sc(), seed=0)
    before = d.log.last_seq
    with pytest.raises(InvalidInput, match=r"give `retries`, `jitter` or both"):
        d.submit({k: v for k, v in JITTER_ON.items() if k != "jitter"}, actor="alice")
    assert d.log.last_seq == before


def test_garbage_jitter_is_refused_in_the_lever_and_in_the_scenario() -> None:
    """`jitter: "sometimes"` is not a boolean, as an input or as a call's policy."""
    d = Drill(_sc(), seed=0)
    with pytest.raises(InvalidInput, match=r"set_retries: `jitter` input should be a valid bool"):
        d.submit({**JITTER_ON, "jitter": "sometimes"}, actor="alice")
    with pytest.raises(ScenarioError) as info:
        tiny(
            api={
                "endpoints": [
                    {"name": "GET /", "share": 1.0, "calls": [{"to": "ledger", "jitter": "x"}]}
                ]
            },
            topology={"dependencies": [{"name": "ledger"}]},
        )
    assert (
        "`topology.services[0].endpoints[0].calls[0].jitter` must be true or false (got 'x')"
        in str(info.value)
    )


def test_an_update_saying_jitter_was_turned_on_names_the_retry_lever() -> None:
    """A status update's claim is checked against what was done, like 'retries are off'."""
    assert actions_named("We turned on jitter for the ledger retries.") == ["set_retries"]
    assert actions_named("Ledger retries are jittered now.") == ["set_retries"]
    assert actions_named("Jitter is on for every client.") == ["set_retries"]
    assert actions_named("We will add jitter next.") == []
