"""Services that call services: errors, latency and retried load flow along the edges."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from engine.errors import ScenarioError
from engine.loader import scenario_from_dict

from .conftest import play, series
from .inline import BASE

LEDGER: dict[str, Any] = {
    "name": "ledger",
    "pods": 2,
    "rps_share": 0,
    "capacity_rps_per_pod": 250,
    "version": "v1",
    "versions": [{"name": "v1"}],
    "max_pods": 8,
    "scale_up": 30,
    "endpoints": [{"name": "POST /entries", "share": 1.0}],
}


def _doc(retries: int = 2) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    api = doc["topology"]["services"][0]
    call = {"to": "ledger", "retries": retries, "timeout_ms": 1000}
    api["endpoints"] = [{"name": "GET /", "share": 1.0, "calls": [call]}]
    doc["topology"]["services"].append(copy.deepcopy(LEDGER))
    doc["faults"] = [
        {
            "id": "bad-config",
            "kind": "pod_failure",
            "service": "ledger",
            "pod": "all",
            "shared_cause": "config",
            "error_pct": 50,
            "at": 120,
        }
    ]
    return doc


def _end(inputs: list[tuple[float, dict[str, Any]]]) -> dict[str, float]:
    d = play(scenario_from_dict(_doc()), inputs)
    names = ("api.err_5xx_pct", "api.p50_ms", "ledger.rps", "ledger.cpu_pct")
    return {m: series(d, m)[-1][1] for m in names}


def test_a_callee_takes_its_callers_calls_as_load() -> None:
    """ledger has no traffic of its own: its 400 rps are api's calls, at 64% CPU."""
    d = play(scenario_from_dict({**_doc(), "faults": []}), [])
    assert [series(d, m)[-1][1] for m in ("ledger.rps", "ledger.cpu_pct")] == [400.0, 64.0]


def test_doing_nothing_retries_saturate_the_callee_and_its_errors_reach_the_caller() -> None:
    """Half of ledger's answers fail; two retries add 75% load, ledger saturates, api slows."""
    assert _end([]) == {
        "api.err_5xx_pct": 36.815,
        "api.p50_ms": 685.29,
        "ledger.rps": 787.347,
        "ledger.cpu_pct": 100.0,
    }


def test_scaling_the_callee_gives_retries_the_capacity_to_mask_errors() -> None:
    """With six ledger pods the retried load fits: only 0.5^3 = 12.5% of requests fail."""
    scaled = _end([(60, {"type": "scale", "service": "ledger", "pods": 6})])
    assert (scaled["api.err_5xx_pct"], scaled["ledger.rps"]) == (12.5, 700.0)


def test_turning_retries_off_unloads_the_callee_but_exposes_every_error() -> None:
    """No retries: ledger is back at 400 rps and 64% CPU, and api fails what ledger fails."""
    off = {"type": "set_retries", "service": "api", "dependency": "ledger", "retries": 0}
    end = _end([(60, off)])
    assert (end["api.err_5xx_pct"], end["ledger.rps"], end["ledger.cpu_pct"]) == (50.0, 400.0, 64.0)


def test_users_affected_counts_user_requests_once() -> None:
    """ledger's failures show inside api's requests; an internal service adds no users."""
    d = play(scenario_from_dict(_doc()), [])
    assert series(d, "business.users_affected_pct")[-1][1] == 36.815
    assert series(d, "business.failed_rps")[-1][1] == pytest.approx(0.36815 * 400, abs=0.01)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda doc: doc["topology"]["services"][1]["endpoints"][0].update(calls=["api"]),
            "`topology.services` services call each other in a cycle: api -> ledger -> api",
        ),
        (
            lambda doc: doc["topology"]["services"][0]["endpoints"][0].update(calls=["api"]),
            "`topology.services[0].endpoints[0].calls[0]` a service cannot call itself ('api')",
        ),
        (
            lambda doc: doc["topology"]["services"][0]["endpoints"][0].update(calls=["ghost"]),
            "`topology.services[0].endpoints[0].calls[0]` names an unknown dependency 'ghost'",
        ),
        (
            lambda doc: doc["topology"]["services"][0]["endpoints"][0].update(calls=[]),
            "`topology.services[1].rps_share` is 0 but no service calls it",
        ),
    ],
)
def test_bad_graphs_are_located_errors(change: Any, message: str) -> None:
    """Cycles, self-calls, unknown callees and unreachable internal services are refused."""
    doc = _doc()
    change(doc)
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(doc)
    assert any(message in str(p) for p in info.value.problems), info.value.problems
