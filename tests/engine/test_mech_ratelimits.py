"""Rate limits per client or endpoint: limit the flood, not a bystander."""

from __future__ import annotations

from typing import Any

import pytest

from engine.drill import Drill
from engine.errors import InvalidInput, NotAllowed, ScenarioError
from engine.grading.claims import SAME_WORDS, actions_named
from engine.scenario import Scenario

from .conftest import play, values_at
from .inline import tiny

TIMES = (60.0, 240.0, 420.0, 1200.0)


def _clients() -> Scenario:
    """400 rps from web (60%), mobile (30%) and others; mobile's release loops: 10x at 120 s."""
    return tiny(
        traffic={
            "base_rps": 400,
            "noise_pct": 0,
            "clients": [{"name": "web", "share": 0.6}, {"name": "mobile", "share": 0.3}],
        },
        api={"workers_per_pod": 5000},
        faults=[
            {
                "id": "sync-loop",
                "kind": "client_surge",
                "client": "mobile",
                "multiplier": 10,
                "ramp": 0,
                "at": 120,
            }
        ],
    )


def _at(d: Drill, metric: str) -> list[float]:
    return values_at(d, metric, TIMES)


def limit(rps: float, **who: str) -> dict[str, Any]:
    return {"type": "rate_limit", "service": "api", "rps": rps, **who}


def _endpoints() -> Scenario:
    """400 rps; POST /sync (30%, 120 rps) calls a ledger that serves 100/s: it queues."""
    return tiny(
        api={
            "workers_per_pod": 5000,
            "endpoints": [
                {"name": "POST /sync", "share": 0.3, "calls": ["ledger"]},
                {"name": "GET /", "share": 0.7},
            ],
        },
        topology={
            "dependencies": [
                {"name": "ledger", "latency_ms": 50, "timeout_ms": 1000, "capacity_rps": 100}
            ]
        },
    )


def test_a_looping_client_fails_every_clients_requests() -> None:
    """Mobile's 10x (1,200 rps) saturates the fleet: 46% of all requests fail, none shed."""
    d = play(_clients(), [])
    assert _at(d, "client.mobile.rps") == [120.0, 1200.0, 1200.0, 1200.0]
    assert _at(d, "api.err_5xx_pct") == [0.0, 45.946, 45.946, 45.946]
    assert _at(d, "api.cpu_pct") == [40.0, 100.0, 100.0, 100.0]
    assert _at(d, "business.shed_rps") == [0.0, 0.0, 0.0, 0.0]


def test_limiting_the_looping_client_lets_everyone_else_through() -> None:
    """Mobile held to its usual 120 rps: 1,080 rps refused (429, shed), no request fails."""
    d = play(_clients(), [(60, limit(120, client="mobile"))])
    effects = [
        (e.t, e.data["what"], e.data["client"], e.data["rps"])
        for e in d.log.events
        if e.type == "effect"
    ]
    assert effects == [(215.0, "rate limit set", "mobile", 120.0)]
    assert _at(d, "api.err_5xx_pct") == [0.0, 0.0, 0.0, 0.0]
    assert _at(d, "client.mobile.limited_rps") == [0.0, 1080.0, 1080.0, 1080.0]
    assert _at(d, "business.shed_rps") == [0.0, 1080.0, 1080.0, 1080.0]
    assert _at(d, "business.failed_rps") == [0.0, 0.0, 0.0, 0.0]
    assert _at(d, "api.cpu_pct") == [40.0, 40.0, 40.0, 40.0]


def test_limiting_the_wrong_client_refuses_it_and_the_flood_goes_on() -> None:
    """Web held to 100 rps: 140 of its requests refused, and 36% still fail."""
    d = play(_clients(), [(60, limit(100, client="web"))])
    assert _at(d, "client.web.limited_rps") == [0.0, 140.0, 140.0, 140.0]
    assert _at(d, "api.err_5xx_pct") == [0.0, 36.486, 36.486, 36.486]
    assert _at(d, "api.cpu_pct")[1:] == [100.0, 100.0, 100.0]


def test_limiting_the_endpoint_that_calls_the_saturated_ledger_drains_it() -> None:
    """POST /sync held to 90 rps: 30 rps refused, the ledger's queue drains, nothing fails."""
    d = play(_endpoints(), [(60, limit(90, endpoint="POST /sync"))])
    assert _at(d, "ledger.calls_per_s")[2:] == [90.0, 90.0]
    assert _at(d, "ledger.queue_depth")[2:] == [0.0, 0.0]
    assert _at(d, "api.err_5xx_pct")[2:] == [0.0, 0.0]
    assert _at(d, "api.err_4xx_pct")[2:] == [7.5, 7.5]  # 30 of 400 requests refused


def test_limiting_an_endpoint_the_ledger_does_not_serve_changes_nothing_there() -> None:
    """GET / held to 200 rps: its requests are refused, POST /sync still times out."""
    nothing = play(_endpoints(), [])
    d = play(_endpoints(), [(60, limit(200, endpoint="GET /"))])
    assert _at(d, "ledger.queue_depth")[2:] == _at(nothing, "ledger.queue_depth")[2:]
    assert _at(d, "ledger.timeouts_per_s")[2:] == _at(nothing, "ledger.timeouts_per_s")[2:]
    assert _at(d, "business.shed_rps")[2:] == [80.0, 80.0]
    assert _at(nothing, "api.err_5xx_pct")[2:] == [30.0, 30.0]


@pytest.mark.parametrize(
    ("given", "error", "match"),
    [
        ({"client": "tablet"}, InvalidInput, r"unknown client 'tablet'; valid: web, mobile"),
        ({"endpoint": "GET /x"}, InvalidInput, r"unknown endpoint of api 'GET /x'; valid: GET /"),
        ({}, NotAllowed, r"name a `client` or an `endpoint`"),
        ({"client": "web", "endpoint": "GET /"}, NotAllowed, r"\(not both\)"),
        ({"client": "web", "rps": -1}, InvalidInput, r"`rps` input should be greater than"),
        ({"client": "web", "rps": "lots"}, InvalidInput, r"`rps` input should be a valid number"),
    ],
)
def test_garbage_rate_limits_are_refused_and_change_nothing(
    given: dict[str, Any], error: type[Exception], match: str
) -> None:
    """Each bad limit names what is wrong; the log is unchanged."""
    d = Drill(_clients(), seed=0)
    before = d.log.last_seq
    with pytest.raises(error, match=match):
        d.submit({**limit(100), **given}, actor="alice")
    assert d.log.last_seq == before


@pytest.mark.parametrize(
    ("traffic", "faults", "expected"),
    [
        (
            [{"name": "web", "share": 0.7}, {"name": "app", "share": 0.6}],
            [],
            "`traffic.clients` client shares must add up to at most 1.0 (got 1.3)",
        ),
        (
            [{"name": "web", "share": 0.3}, {"name": "web", "share": 0.3}],
            [],
            "`traffic.clients[1].name` declares the client 'web' twice",
        ),
        (
            [{"name": "web", "share": 0.3}],
            [{"kind": "client_surge", "client": "app", "multiplier": 3}],
            "`faults[0].client` names an unknown client 'app' (known: web)",
        ),
        (
            [{"name": "web", "share": 0}],
            [],
            "`traffic.clients[0].share` must be > 0 (got 0)",
        ),
    ],
)
def test_garbage_clients_are_refused_with_the_field(
    traffic: list[dict[str, Any]], faults: list[dict[str, Any]], expected: str
) -> None:
    """Client names, shares and surges are checked like every other field."""
    with pytest.raises(ScenarioError) as info:
        tiny(traffic={"base_rps": 400, "clients": traffic}, faults=faults)
    assert expected in str(info.value)


def test_an_update_saying_a_client_was_rate_limited_names_the_lever() -> None:
    """'Rate limiting the mobile client' is the client lever; 'rate limiting traffic' is
    still read as load shedding or a throttle, which a rate limit also makes true."""
    assert actions_named("We are rate limiting the mobile client.") == ["rate_limit"]
    assert actions_named("The sync endpoint is rate limited.") == ["rate_limit"]
    assert actions_named("We are rate limiting traffic to protect the database.") == [
        "throttle_producer"
    ]
    assert "rate_limit" in SAME_WORDS["throttle_producer"]
