"""Regional databases and dependencies: each region's pods call their own region's instance."""

from __future__ import annotations

import re
from typing import Any

import pytest

from engine.drill import Drill
from engine.errors import InvalidInput, NotAllowed, ScenarioError
from engine.scenario import Scenario

from .conftest import play, series
from .inline import tiny

BOTH = ["us-east", "us-west"]
EVACUATE = {"type": "evacuate_region", "region": "us-east"}
SHOWN = (
    "api.err_5xx_pct",
    "api.us-east.err_5xx_pct",
    "api.us-west.err_5xx_pct",
    "payments.us-east.calls_per_s",
    "payments.us-west.calls_per_s",
    "payments.us-west.saturation_pct",
    "orders.us-west.pool_util_pct",
)


def _doc(
    capacity: float = 500, pool: int = 30, faults: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Two regions, half the traffic each; payments and orders have an instance in each."""
    return {
        "traffic": {
            "base_rps": 400,
            "noise_pct": 0,
            "regions": [{"name": "us-east", "share": 0.5}, {"name": "us-west", "share": 0.5}],
        },
        "api": {
            "regions": BOTH,
            "endpoints": [
                {"name": "POST /pay", "share": 1.0, "calls": ["payments"], "database": "orders"}
            ],
        },
        "topology": {
            "dependencies": [
                {"name": "payments", "regions": BOTH, "capacity_rps": capacity, "latency_ms": 80}
            ],
            "databases": [{"name": "orders", "regions": BOTH, "pool_size": pool, "query_ms": 50}],
        },
        "faults": faults
        if faults is not None
        else [
            {
                "id": "east-pay",
                "kind": "dependency",
                "dependency": "payments.us-east",
                "error_pct": 100,
                "at": 120,
            }
        ],
        "alerts": [
            {"name": "EastPayments", "metric": "payments.us-east.error_pct", "threshold": 50}
        ],
    }


def _sc(**kw: Any) -> Scenario:
    return tiny(**_doc(**kw))


def _end(d: Drill, names: tuple[str, ...] = SHOWN) -> list[float]:
    return [round(series(d, m)[-1][1], 3) for m in names]


def test_a_fault_on_one_instance_hits_only_that_regions_pods_and_pages_on_its_metric() -> None:
    """payments.us-east fails every call: us-east requests fail, us-west's do not."""
    d = play(_sc(), [])
    assert _end(d) == [50.0, 100.0, 0.0, 200.0, 200.0, 40.0, 33.333]
    assert [e.data["alert"] for e in d.log.events if e.type == "page"] == ["EastPayments"]


def test_evacuating_the_region_moves_its_calls_onto_the_survivors_instances() -> None:
    """After 60 s every request is served in us-west, whose instances take all the calls."""
    d = play(_sc(), [(30, EVACUATE)])
    assert [(e.t, e.data["what"]) for e in d.log.events if e.type == "effect"] == [
        (270.0, "region evacuated")
    ]
    assert _end(d) == [0.0, 0.0, 0.0, 0.0, 400.0, 80.0, 66.667]


def test_the_survivors_dependency_capacity_limits_what_it_can_take() -> None:
    """With 300 calls/s per instance, us-west's queue fills and rejects a quarter, not half."""
    d = play(_sc(capacity=300), [(30, EVACUATE)])
    assert _end(d)[:6] == [25.0, 0.0, 25.0, 0.0, 300.0, 100.0]


def test_the_survivors_database_pool_limits_what_it_can_take() -> None:
    """A 12-connection pool per instance holds 200 rps at 50 ms, not 400: queries wait for
    a connection, us-west's pods run out of workers (the fleet mean shows half) and fail."""
    d = play(_sc(pool=12), [(30, EVACUATE)])
    names = ("api.err_5xx_pct", "api.worker_busy_pct", "orders.us-west.avg_query_ms")
    assert _end(d, names) == [45.168, 50.0, 391.601]


@pytest.mark.parametrize(
    ("move", "end"),
    [
        # Opening the healthy region's breaker fails us-west too.
        ({"type": "set_breaker", "dependency": "payments.us-west", "state": "open"}, 100.0),
        # Restarted pods call the same broken instance.
        ({"type": "restart", "target": "api", "mode": "all"}, 50.0),
    ],
)
def test_the_tempting_wrong_moves_do_not_help(move: dict[str, Any], end: float) -> None:
    """Acting on the healthy instance, or on the callers, leaves us-east failing."""
    assert _end(play(_sc(), [(30, move)]))[0] == end


REROUTE = {"type": "reroute", "component": "payments", "region": "us-east", "to": "us-west"}


def test_rerouting_the_regions_calls_to_the_healthy_instance_fixes_it_sooner() -> None:
    """30 s after the reroute us-east's pods call payments.us-west (60 ms further away):
    no errors, and us-east keeps serving its own users."""
    d = play(_sc(), [(30, REROUTE)])
    assert [
        (e.t, e.data["what"], e.data["to"], e.data["added_ms"])
        for e in d.log.events
        if e.type == "effect"
    ] == [(240.0, "calls rerouted", "payments.us-west", 60.0)]
    assert _end(d) == [0.0, 0.0, 0.0, 0.0, 400.0, 80.0, 33.333]
    assert _end(d, ("api.us-east.rps", "api.p50_ms")) == [200.0, 200.0]


def test_rerouting_onto_an_instance_too_small_for_both_regions_fails_some() -> None:
    """With 300 calls/s per instance the rerouted load queues at payments.us-west: a
    quarter of all requests fail, now in both regions (better than half, not a fix)."""
    assert _end(play(_sc(capacity=300), [(30, REROUTE)]))[:3] == [25.0, 27.633, 22.367]


def test_rerouting_the_healthy_region_onto_the_broken_instance_breaks_it_too() -> None:
    """The tempting wrong direction: us-west's calls go to payments.us-east and fail."""
    wrong = {**REROUTE, "region": "us-west", "to": "us-east"}
    assert _end(play(_sc(), [(30, wrong)]))[:3] == [100.0, 100.0, 100.0]


def test_rerouting_back_home_restores_the_regions_own_instance() -> None:
    """A reroute to the callers' own region undoes it: us-east fails again."""
    home = {**REROUTE, "to": "us-east"}
    d = play(_sc(), [(30, REROUTE), (300, home)])
    assert [e.data["to"] for e in d.log.events if e.type == "effect"] == [
        "payments.us-west",
        "payments.us-east",
    ]
    assert _end(d)[:3] == [50.0, 100.0, 0.0]


@pytest.mark.parametrize(
    ("move", "error"),
    [
        ({"component": "payments.us-east"}, "unknown component with an instance per region"),
        ({"region": "mars"}, "unknown region 'mars'; valid: us-east, us-west"),
        ({"to": "mars"}, "unknown region of payments 'mars'; valid: us-east, us-west"),
        ({"to": "us-east"}, "us-east's calls to payments already go to payments.us-east"),
        ({"to": 3}, "to"),
        ({"extra": 1}, "extra"),
    ],
)
def test_a_bad_reroute_is_refused_and_changes_nothing(move: dict[str, Any], error: str) -> None:
    """Unknown components or regions, a no-op and garbage fields are refused; the log
    is unchanged."""
    d = Drill(_sc(), seed=0)
    d.advance(10)
    before = d.log.last_seq
    with pytest.raises((InvalidInput, NotAllowed), match=re.escape(error)):
        d.submit({**REROUTE, **move}, actor="a")
    assert d.log.last_seq == before


def _blocked() -> Scenario:
    blocker = {"id": "lock", "kind": "db_blocker", "database": "orders.us-east", "at": 120}
    doc = _doc(faults=[blocker])
    doc["alerts"] = [{"name": "Errors", "metric": "api.err_5xx_pct", "threshold": 5, "for": 20}]
    return tiny(**doc)


def test_a_blocker_on_one_instance_is_cancelled_there_and_not_in_the_other_region() -> None:
    """kill_query on orders.us-east ends it; on orders.us-west it finds nothing."""
    assert _end(play(_blocked(), []))[:3] == [49.25, 98.5, 0.0]
    wrong = play(_blocked(), [(30, {"type": "kill_query", "database": "orders.us-west"})])
    assert [e.data["what"] for e in wrong.log.events if e.type == "effect"] == [
        "no long-running transaction found"
    ]
    assert _end(wrong)[:3] == [49.25, 98.5, 0.0]
    right = play(_blocked(), [(30, {"type": "kill_query", "database": "orders.us-east"})])
    assert [e.data["what"] for e in right.log.events if e.type == "effect"] == [
        "blocking transaction cancelled"
    ]
    assert _end(right)[:3] == [0.0, 0.0, 0.0]


def test_a_single_region_database_is_reached_across_regions() -> None:
    """orders lives in us-east: us-west's requests pay 60 ms more per query (p50 45 -> 75)."""
    doc = _doc(faults=[])
    doc["alerts"] = []
    doc["api"]["endpoints"] = [{"name": "GET /", "share": 1.0, "database": "orders"}]
    doc["topology"] = {"databases": [{"name": "orders", "pool_size": 50}]}
    assert _end(play(tiny(**doc), []), ("api.p50_ms",)) == [45.0]
    doc["topology"]["databases"][0]["regions"] = ["us-east"]
    d = play(tiny(**doc), [])
    assert _end(d, ("api.p50_ms", "orders.pool_active")) == [75.0, 2.0]


def test_a_lever_naming_a_regional_component_lists_its_instances() -> None:
    """`orders` alone is not a database the drill can act on; its instances are."""
    d = Drill(_sc(), seed=0)
    before = d.log.last_seq
    with pytest.raises(
        InvalidInput,
        match=re.escape("unknown database 'orders'; valid: orders.us-east, orders.us-west"),
    ):
        d.submit({"type": "inspect_database", "database": "orders"}, actor="a")
    assert d.log.last_seq == before


def test_regional_logs_name_the_failing_instance() -> None:
    """us-east pods log the instance they call; us-west's healthy instance is not blamed."""
    d = play(_sc(), [])
    lines = d.world.services["api"].log_weights(d.world)
    failing = [line for line in lines if "payments" in line]
    assert failing == ["ERROR POST /pay: upstream payments.us-east failed: 503 Service Unavailable"]
    assert lines[failing[0]] == 200.0


def test_the_same_seed_gives_the_same_regional_log() -> None:
    """Determinism holds with per-region views: two runs, one digest."""
    moves = [(30, EVACUATE)]
    assert play(_sc(), moves).log.digest() == play(_sc(), moves).log.digest()


def _problems(**changes: Any) -> list[str]:
    doc = _doc()
    for key, value in changes.items():
        where, _, field = key.partition("__")
        target = {
            "db": doc["topology"]["databases"][0],
            "dep": doc["topology"]["dependencies"][0],
            "ep": doc["api"]["endpoints"][0],
            "api": doc["api"],
            "fault": doc["faults"][0],
        }[where]
        if value is None:
            target.pop(field)
        else:
            target[field] = value
    with pytest.raises(ScenarioError) as info:
        tiny(**doc)
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        (
            {"db__regions": ["us-east", "mars"]},
            "`topology.databases[0].regions[1]` names an unknown region 'mars' "
            "(known: us-east, us-west)",
        ),
        (
            {"dep__regions": ["us-east", "us-east"]},
            "`topology.dependencies[0].regions[1]` names the region 'us-east' twice",
        ),
        (
            {"fault__dependency": "payments"},
            "`faults[0].dependency` payments has an instance per region: "
            "name one (payments.us-east, payments.us-west)",
        ),
        (
            {"ep__database": "orders.us-west"},
            "`topology.services[0].endpoints[0].database` names one instance of orders: "
            "name 'orders', and each pod calls its own region's instance",
        ),
        (
            {"api__regions": None},
            "`topology.services[0].endpoints[0].calls[0]` api runs in no region but payments "
            "is regional: give api `regions`",
        ),
        (
            {"db__regions": "us-east"},
            "`topology.databases[0].regions` must be a list (got 'us-east')",
        ),
        (
            {"dep__cross_region_ms": -5},
            "`topology.dependencies[0].cross_region_ms` must be >= 0 (got -5)",
        ),
    ],
)
def test_bad_regional_fields_are_located_errors(changes: dict[str, Any], problem: str) -> None:
    """Each bad regional field names its path and what was wrong."""
    assert problem in [p.split(": ", 1)[1] for p in _problems(**changes)]


def test_a_cache_or_dns_record_for_a_regional_component_is_refused() -> None:
    """Not modelled, so refused with their paths rather than simulated wrongly."""
    doc = _doc()
    doc["topology"]["caches"] = [{"name": "orders-cache", "database": "orders"}]
    doc["topology"]["discovery"] = [{"name": "payments"}]
    doc["api"]["endpoints"][0]["cache"] = "orders-cache"
    with pytest.raises(ScenarioError) as info:
        tiny(**doc)
    assert [str(p) for p in info.value.problems] == [
        "<scenario>: `topology.caches[0].database` orders has an instance per region; "
        "a cache in front of a regional database is not modelled",
        "<scenario>: `topology.discovery[0].name` payments has an instance per region; "
        "a DNS record for a regional dependency is not modelled",
    ]


def test_an_alert_on_the_aggregate_of_a_regional_database_is_refused() -> None:
    """Only the instances publish metrics; the hint offers them."""
    doc = _doc()
    doc["alerts"] = [{"name": "Pool", "metric": "orders.pool_util_pct", "threshold": 90}]
    with pytest.raises(ScenarioError, match=re.escape("orders.us-east.pool_util_pct")):
        tiny(**doc)


def test_a_yaml_mistake_in_a_regional_field_names_file_line_and_field() -> None:
    """An unknown region in a database's `regions` is located on its line of the file."""
    import yaml

    from engine.loader import load_scenario

    from .inline import BASE

    doc = _doc()
    doc["topology"]["databases"][0]["regions"] = ["us-east", "mars"]
    api = {**BASE["topology"]["services"][0], **doc.pop("api")}
    full = {**BASE, **doc, "topology": {**doc["topology"], "services": [api]}}
    text = yaml.safe_dump(full, sort_keys=False)
    with pytest.raises(ScenarioError) as info:
        load_scenario(text, "regional.yaml")
    (problem,) = info.value.problems
    assert (problem.file, problem.path) == ("regional.yaml", "topology.databases[0].regions[1]")
    assert problem.line == text.splitlines().index("    - mars") + 1
