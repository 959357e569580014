"""Restart and recovery herds: a fleet back all at once, cold, floods what it calls."""

from __future__ import annotations

from typing import Any

import pytest

from engine.drill import Drill
from engine.errors import ScenarioError
from engine.loader import scenario_from_dict
from engine.scenario import Scenario

from .conftest import play, series
from .inline import BASE, tiny

TIMES = (100.0, 130.0, 150.0, 180.0, 240.0, 1200.0)
ALL = {"type": "restart", "target": "api", "mode": "all"}
ROLLING = {"type": "restart", "target": "api", "mode": "rolling"}
SHED = {"type": "shed_load", "service": "api", "pct": 50}
SCALE = {"type": "scale", "service": "api", "pods": 8}


def _sc(retries: int = 0, **extra: Any) -> Scenario:
    """400 rps; warm pods call auth (capacity 700/s) once per request, cold ones 3 times."""
    return tiny(
        api={
            "workers_per_pod": 5000,
            "cold_start": {"for": 20, "call_factor": 3},
            "endpoints": [
                {"name": "GET /", "share": 1.0, "calls": [{"to": "auth", "retries": retries}]}
            ],
        },
        topology={
            "dependencies": [
                {"name": "auth", "latency_ms": 50, "timeout_ms": 1000, "capacity_rps": 700}
            ],
            **extra,
        },
        alerts=[],
    )


def _at(d: Drill, metric: str, times: tuple[float, ...] = TIMES) -> list[float]:
    values = dict(series(d, metric))
    return [values[t] for t in times]


def _run(inputs: list[tuple[float, dict[str, Any]]], retries: int = 0) -> Drill:
    return play(_sc(retries), inputs, page_relative=False)


def test_a_fleet_restarted_all_at_once_sends_a_herd_that_ends_when_pods_warm() -> None:
    """Down 100-120 s (503), then 4 cold pods call auth 1200/s: its queue times calls out."""
    d = _run([(100, ALL)])
    assert _at(d, "auth.calls_per_s") == [360.0, 1200.0, 400.0, 400.0, 400.0, 400.0]
    assert _at(d, "auth.queue_depth") == [0.0, 3250.0, 8050.0, 50.0, 0.0, 0.0]
    assert _at(d, "api.err_5xx_pct") == [10.0, 91.071, 100.0, 5.833, 0.0, 0.0]
    assert [(e.t, e.data["what"]) for e in d.log.events if e.type == "effect"] == [
        (120.0, "restart complete")
    ]


def test_a_rolling_restart_spreads_the_warm_up_and_no_herd_forms() -> None:
    """One pod at a time: at most one cold of three serving, 667 calls/s under capacity."""
    d = _run([(100, ROLLING)])
    assert max(v for _, v in series(d, "api.err_5xx_pct")) == 0.0
    assert max(v for _, v in series(d, "auth.calls_per_s")) == pytest.approx(666.667)


def test_with_retries_the_restart_herd_outlives_the_warm_up() -> None:
    """Timed-out calls are retried: 1200/s keeps auth's queue full long after pods are warm."""
    nothing = _run([], retries=2)
    herd = _run([(100, ALL)], retries=2)
    assert max(v for _, v in series(nothing, "api.err_5xx_pct")) == 0.0
    assert _at(herd, "api.err_5xx_pct")[2:] == [100.0, 100.0, 100.0, 100.0]
    assert _at(herd, "auth.calls_per_s")[2:] == [1200.0, 1200.0, 1200.0, 1200.0]


@pytest.mark.parametrize("relief", [ROLLING, SHED])
def test_staggering_or_shedding_relieves_the_herd(relief: dict[str, Any]) -> None:
    """A rolling restart, or shedding half the load while the fleet warms, keeps auth under."""
    inputs = [(100, relief)] if relief is ROLLING else [(100, ALL), (100, relief)]
    d = _run(inputs, retries=2)
    assert _at(d, "api.err_5xx_pct")[3:] == [0.0, 0.0, 0.0]


def test_scaling_out_adds_cold_pods_and_starts_a_herd() -> None:
    """Four new pods come up cold at 130 s: 760 calls/s tips auth over, retries keep it there."""
    healthy = _run([(100, SCALE)])
    assert _at(healthy, "api.err_5xx_pct") == [0.0, 0.0, 100.0, 0.0, 0.0, 0.0]
    retrying = _run([(100, SCALE)], retries=2)
    assert _at(retrying, "api.err_5xx_pct") == [0.0, 0.0, 100.0, 100.0, 100.0, 100.0]


def test_restarting_a_fleet_that_fails_everything_is_not_doing_nothing() -> None:
    """During the herd, a second full restart drains auth's queue while every pod is down,
    then the cold fleet refills it: a visible dip, not a cure. Turning retries off cures it."""
    first = [(100.0, ALL)]
    nothing = _run(first, retries=2)
    again = _run([*first, (300.0, ALL)], retries=2)
    cure = _run(
        [
            *first,
            (300.0, {"type": "set_retries", "service": "api", "dependency": "auth", "retries": 0}),
        ],
        retries=2,
    )
    times = (290.0, 320.0, 400.0, 1200.0)
    assert _at(nothing, "auth.queue_depth", times) == [21000.0, 21000.0, 21000.0, 21000.0]
    assert _at(again, "auth.queue_depth", times) == [21000.0, 9810.0, 21000.0, 21000.0]
    assert _at(again, "api.healthy_pods", (290.0, 310.0, 400.0)) == [4.0, 0.0, 4.0]
    assert _at(again, "api.err_5xx_pct", times) == [100.0, 100.0, 100.0, 100.0]
    # retries off from 330 s: auth drains 21000 calls at 300/s
    assert _at(cure, "api.err_5xx_pct", (400.0, 500.0, 1200.0)) == [73.452, 0.0, 0.0]


def test_a_rolled_back_config_brings_the_crashed_fleet_back_as_one_herd() -> None:
    """The config red button restarts every crash-looping pod together: with retries the
    recovery herd keeps the outage going; shedding while they warm lets it recover."""
    sc = tiny(
        api={
            "workers_per_pod": 5000,
            "cold_start": {"for": 20, "call_factor": 3},
            "endpoints": [{"name": "GET /", "share": 1.0, "calls": [{"to": "auth", "retries": 2}]}],
        },
        topology={
            "dependencies": [
                {"name": "auth", "latency_ms": 50, "timeout_ms": 1000, "capacity_rps": 700}
            ],
            "configs": [{"name": "rules", "services": ["api"]}],
        },
        faults=[
            {"kind": "config_rollout", "config": "rules", "version": "r42", "crash": True, "at": 60}
        ],
        alerts=[],
    )
    red = {"type": "rollback_config", "config": "rules"}
    herd = play(sc, [(100, red)], page_relative=False)
    eased = play(sc, [(100, red), (100, SHED)], page_relative=False)
    times = (90.0, 180.0, 300.0, 1200.0)
    assert _at(herd, "api.err_5xx_pct", times) == [100.0, 100.0, 100.0, 100.0]
    assert _at(eased, "api.err_5xx_pct", times) == [100.0, 0.0, 0.0, 0.0]


def test_a_bad_cold_start_is_a_located_error() -> None:
    """A call factor of 1 or less is no cold start: the error names the field and bound."""
    doc: dict[str, Any] = {**BASE, "topology": {**BASE["topology"]}}
    doc["topology"]["services"] = [
        {**BASE["topology"]["services"][0], "cold_start": {"for": 0, "call_factor": 1}}
    ]
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(doc)
    assert [p.path for p in info.value.problems] == [
        "topology.services[0].cold_start.for",
        "topology.services[0].cold_start.call_factor",
    ]
