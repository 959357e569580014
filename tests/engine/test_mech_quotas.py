"""Quotas on a provider: 429s beyond it, retries make it worse, a raise takes time."""

from __future__ import annotations

from typing import Any

import pytest

from engine.drill import Drill
from engine.errors import NotAllowed, ScenarioError
from engine.loader import scenario_from_dict
from engine.scenario import Scenario

from .conftest import play, series
from .inline import BASE, tiny

TIMES = (100.0, 150.0, 300.0, 600.0, 1200.0)
RAISE = {"type": "request_quota_raise", "dependency": "sms", "rps": 500}
RETRIES_OFF = {"type": "set_retries", "service": "api", "dependency": "sms", "retries": 0}


def _sc(retries: int = 0) -> Scenario:
    """Half of api's 400 rps sends an SMS; at 120 s the provider cuts our quota to 100/s."""
    sms = {"to": "sms", "retries": retries, "backoff_ms": 500}
    return tiny(
        api={
            "endpoints": [
                {"name": "POST /signup", "share": 0.5, "calls": [sms]},
                {"name": "GET /", "share": 0.5},
            ]
        },
        topology={
            "dependencies": [
                {
                    "name": "sms",
                    "latency_ms": 100,
                    "quota_rps": 300,
                    "quota_max_rps": 400,
                    "quota_raise_after": 300,
                }
            ]
        },
        faults=[{"id": "cut", "kind": "quota_cut", "dependency": "sms", "rps": 100, "at": 120}],
    )


def _at(d: Drill, metric: str) -> list[float]:
    values = dict(series(d, metric))
    return [values[t] for t in TIMES]


def test_doing_nothing_leaves_the_calls_beyond_the_quota_refused() -> None:
    """200 SMS calls/s against 100/s: half are 429s, a quarter of requests fail."""
    d = play(_sc(), [])
    assert _at(d, "sms.throttled_per_s") == [0.0, 100.0, 100.0, 100.0, 100.0]
    assert _at(d, "sms.quota_rps") == [300.0, 100.0, 100.0, 100.0, 100.0]
    assert _at(d, "api.err_5xx_pct") == [0.0, 25.0, 25.0, 25.0, 25.0]


def test_retries_buy_nothing_and_starve_the_callers_workers() -> None:
    """Retried 429s are refused too; their backoff holds every worker, so GET / fails too."""
    d = play(_sc(retries=3), [])
    assert _at(d, "sms.calls_per_s") == [200.0, 554.208, 554.208, 554.208, 554.208]
    assert _at(d, "api.worker_busy_pct") == [14.062, 100.0, 100.0, 100.0, 100.0]
    assert _at(d, "api.err_5xx_pct") == [0.0, 29.45, 29.45, 29.45, 29.45]
    cured = play(_sc(retries=3), [(60, RETRIES_OFF)])
    assert _at(cured, "api.err_5xx_pct") == [0.0, 29.45, 25.0, 25.0, 25.0]


def test_a_quota_raise_is_granted_after_the_providers_delay_up_to_its_max() -> None:
    """Asked for 500/s, granted 400/s five minutes later: the 429s stop."""
    d = play(_sc(), [(60, RAISE)])
    assert [(e.t, e.data["what"], e.data["rps"]) for e in d.log.events if e.type == "effect"] == [
        (201.0, "quota raise requested", 500.0),
        (501.0, "quota raised", 400.0),
    ]
    assert _at(d, "api.err_5xx_pct") == [0.0, 25.0, 25.0, 0.0, 0.0]


def test_fewer_calls_fix_it_and_shed_requests_are_counted_apart() -> None:
    """Shedding half the load brings the SMS calls to the quota: no 5xx, 429s to users."""
    d = play(_sc(retries=3), [(60, {"type": "shed_load", "service": "api", "pct": 50})])
    assert _at(d, "api.err_5xx_pct")[2:] == [0.022, 0.003, 0.001]
    assert _at(d, "business.shed_rps")[2:] == [200.0, 200.0, 200.0]


@pytest.mark.parametrize(
    "move",
    [
        {"type": "scale", "service": "api", "pods": 8},
        {"type": "restart", "target": "api", "mode": "rolling"},
    ],
)
def test_scaling_or_restarting_the_caller_does_not_raise_a_quota(move: dict[str, Any]) -> None:
    """The quota is our account's: more or fresh pods make the same calls."""
    d = play(_sc(), [(60, move)])
    assert _at(d, "api.err_5xx_pct")[3:] == [25.0, 25.0]


def test_the_provider_console_shows_the_quota_when_inspected() -> None:
    """inspect_dependency answers with the quota and the 429 rate."""
    d = Drill(_sc(), seed=0)
    d.advance(200)
    d.submit({"type": "inspect_dependency", "dependency": "sms"}, actor="alice")
    result = d.log.events[-1].data["result"]
    assert (result["quota_rps"], result["throttled_per_s"]) == (100.0, 100.0)


def test_a_raise_that_is_no_raise_or_on_no_quota_is_refused() -> None:
    """Asking for less than the quota, or a quota on a dependency without one."""
    d = Drill(_sc(), seed=0)
    before = d.log.last_seq
    with pytest.raises(NotAllowed, match=r"sms's quota is already 300 calls/s; ask for more"):
        d.submit({**RAISE, "rps": 200}, actor="alice")
    assert d.log.last_seq == before
    plain = tiny(
        api={"endpoints": [{"name": "GET /", "share": 1.0, "calls": ["sms"]}]},
        topology={"dependencies": [{"name": "sms"}]},
    )
    with pytest.raises(NotAllowed, match="sms has no quota to raise"):
        Drill(plain, seed=0).submit(RAISE, actor="alice")


def test_a_quota_cut_on_a_dependency_without_a_quota_is_a_located_error() -> None:
    """The error names the field; a negative quota is a schema error."""
    doc: dict[str, Any] = {**BASE, "topology": {**BASE["topology"]}}
    doc["topology"]["dependencies"] = [{"name": "sms"}, {"name": "mail", "quota_rps": -1}]
    doc["faults"] = [{"kind": "quota_cut", "dependency": "sms", "rps": 10}]
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(doc)
    assert [p.path for p in info.value.problems] == ["topology.dependencies[1].quota_rps"]
    doc["topology"]["dependencies"] = [{"name": "sms"}]
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(doc)
    assert [str(p) for p in info.value.problems] == [
        "<scenario>: `faults[0].dependency` sms has no quota to cut: give it a `quota_rps`"
    ]
