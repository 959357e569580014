"""Regions: a regional fault, per-region metrics, evacuation limited by surviving capacity."""

from __future__ import annotations

from typing import Any

import pytest

from engine.drill import Drill
from engine.errors import NotAllowed, ScenarioError
from engine.scenario import Scenario

from .conftest import play, series
from .inline import tiny

EVACUATE = {"type": "evacuate_region", "region": "us-east"}


def _sc(capacity: float = 200, **fault: Any) -> Scenario:
    return tiny(
        traffic={
            "base_rps": 400,
            "noise_pct": 0,
            "regions": [{"name": "us-east", "share": 0.5}, {"name": "us-west", "share": 0.5}],
        },
        api={"regions": ["us-east", "us-west"], "capacity_rps_per_pod": capacity},
        faults=[
            {
                "id": "bad-az",
                "kind": "pod_failure",
                "service": "api",
                "pod": "all",
                "region": "us-east",
                "shared_cause": "host",
                "at": 120,
                **fault,
            }
        ],
        alerts=[{"name": "EastErrors", "metric": "api.us-east.err_5xx_pct", "threshold": 50}],
    )


def _end(d: Drill) -> list[float]:
    names = ("api.err_5xx_pct", "api.us-east.err_5xx_pct", "api.us-west.rps", "api.p50_ms")
    return [series(d, m)[-1][1] for m in names]


def test_a_regional_fault_shows_in_per_region_metrics_an_alert_can_page_on() -> None:
    """Every us-east pod fails: half the traffic fails, and the regional alert pages."""
    d = play(_sc(), [])
    assert _end(d) == [50.0, 100.0, 200.0, 40.0]
    assert [e.data["alert"] for e in d.log.events if e.type == "page"] == ["EastErrors"]


def test_evacuating_the_region_moves_its_traffic_after_a_delay() -> None:
    """After 60 s us-west takes all 400 rps on its two pods: no errors, slower (q = 2.8)."""
    d = play(_sc(), [(60, EVACUATE)])
    effects = [
        (e.t, e.data["component"], e.data["what"]) for e in d.log.events if e.type == "effect"
    ]
    assert effects == [(300.0, "us-east", "region evacuated")]
    assert _end(d) == [0.0, 0.0, 400.0, 112.0]


def test_the_surviving_region_limits_what_it_can_take() -> None:
    """With 150 rps per pod, us-west saturates: a quarter fails, still better than half."""
    assert _end(play(_sc(capacity=150), [(60, EVACUATE)]))[0] == 25.0


@pytest.mark.parametrize(
    "move",
    [
        {"type": "restart", "target": "api", "mode": "all"},
        {"type": "scale", "service": "api", "pods": 8},
    ],
)
def test_restarting_or_scaling_does_not_fix_a_bad_region(move: dict[str, Any]) -> None:
    """us-east pods, old or new, sit on the bad hosts: half the traffic still fails."""
    assert _end(play(_sc(), [(60, move)]))[:2] == [50.0, 100.0]


def test_evacuating_every_region_is_refused() -> None:
    """The last region with traffic cannot be evacuated; the log is unchanged."""
    d = Drill(_sc(), seed=0)
    d.submit(EVACUATE, actor="alice")
    d.advance(200)
    before = d.log.last_seq
    with pytest.raises(NotAllowed, match="cannot evacuate us-west: no other region takes traffic"):
        d.submit({**EVACUATE, "region": "us-west"}, actor="alice")
    assert d.log.last_seq == before


def test_a_region_the_service_is_not_in_is_a_located_error() -> None:
    """The error names the field and the service's regions."""
    with pytest.raises(ScenarioError) as info:
        _sc(region="eu-west")
    assert [str(p) for p in info.value.problems] == [
        "<scenario>: `faults[0].region` must be one of api's regions ['us-east', 'us-west'] "
        "(got 'eu-west')"
    ]
