"""An autoscaler with a feedback loop: it helps with a surge, and can feed an outage."""

from __future__ import annotations

from typing import Any

import pytest

from engine.drill import Drill
from engine.errors import NotAllowed, ScenarioError
from engine.loader import scenario_from_dict
from engine.scenario import Scenario

from .conftest import play, series
from .inline import BASE, tiny

TIMES = (100.0, 150.0, 200.0, 300.0, 400.0, 500.0, 1200.0)
PAUSE = {"type": "pause_autoscaler", "service": "api"}
CAP = {"type": "cap_autoscaler", "service": "api", "max_pods": 5}


def _surge() -> Scenario:
    """A promotion multiplies traffic by 2.5: four pods would run at 125% CPU."""
    return tiny(
        api={"autoscaler": {"target_pct": 60, "min_pods": 4, "every": 30}},
        faults=[{"kind": "traffic_surge", "multiplier": 2.5, "ramp": 60, "at": 120}],
        alerts=[],
    )


def _loop(retries: int = 0) -> Scenario:
    """auth slows to 1 s at 120 s (until 400 s): requests hold workers 26x longer, so a
    concurrency autoscaler adds pods, and every new pod calls auth three times as often."""
    return tiny(
        api={
            "workers_per_pod": 100,
            "cold_start": {"for": 60, "call_factor": 3},
            "autoscaler": {"metric": "workers", "target_pct": 60, "min_pods": 4, "every": 30},
            "endpoints": [
                {"name": "GET /", "share": 1.0, "calls": [{"to": "auth", "retries": retries}]}
            ],
        },
        topology={
            "dependencies": [
                {"name": "auth", "latency_ms": 50, "timeout_ms": 2000, "capacity_rps": 600}
            ]
        },
        faults=[
            {
                "kind": "dependency",
                "dependency": "auth",
                "latency_ms": 1000,
                "at": 120,
                "recover_at": 400,
            }
        ],
        alerts=[],
    )


def _at(d: Drill, metric: str) -> list[float]:
    values = dict(series(d, metric))
    return [values[t] for t in TIMES]


def _scaling(d: Drill) -> list[tuple[float, str, Any]]:
    return [
        (e.t, e.data["what"], e.data.get("pods"))
        for e in d.log.events
        if e.type in ("state", "effect") and "autoscaler" in e.data["what"]
    ]


def test_the_autoscaler_absorbs_a_surge_with_a_lag() -> None:
    """It adds pods 30 s apart, each ready 30 s later; CPU saturation fails requests meanwhile."""
    d = play(_surge(), [], page_relative=False)
    assert _scaling(d) == [
        (150.0, "autoscaler scaled out", 5),  # half-way up the ramp: 65.5% CPU on 4 pods
        (180.0, "autoscaler scaled out", 7),  # 80% on 5: ceil(5 x 80 / 60)
    ]
    assert _at(d, "api.pods") == [4.0, 5.0, 7.0, 7.0, 7.0, 7.0, 7.0]
    assert _at(d, "api.cpu_pct") == [40.0, 65.5, 80.0, 57.143, 57.143, 57.143, 57.143]
    assert _at(d, "api.err_5xx_pct") == [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]


def test_pausing_it_in_a_surge_leaves_the_fleet_saturated() -> None:
    """Paused before the surge, four pods run past capacity: a fifth of requests fail."""
    d = play(_surge(), [(100, PAUSE)], page_relative=False)
    assert _at(d, "api.pods") == [4.0] * 7
    assert _at(d, "api.err_5xx_pct") == [0.0, 0.0, 20.0, 20.0, 20.0, 20.0, 20.0]


def test_a_concurrency_autoscaler_feeds_a_slow_dependency_outage() -> None:
    """Slow auth -> busy workers -> more pods -> cold calls flood auth -> slower: a runaway."""
    d = play(_loop(), [], page_relative=False)
    assert _scaling(d) == [
        (150.0, "autoscaler scaled out", 7),
        (210.0, "autoscaler scaled out", 12),
        (270.0, "autoscaler scaled out", 14),
        (690.0, "autoscaler scaled in", 4),
    ]
    assert _at(d, "api.pods") == [4.0, 7.0, 7.0, 14.0, 14.0, 14.0, 4.0]
    assert _at(d, "api.err_5xx_pct") == [0.0, 3.846, 97.26, 100.0, 0.0, 0.0, 0.0]
    assert _at(d, "auth.queue_depth") == [0.0, 0.0, 1051.523, 10183.54, 0.0, 0.0, 0.0]


def test_with_retries_the_runaway_outlives_the_slowdown() -> None:
    """The fleet grows to 28 pods and auth's queue never drains."""
    d = play(_loop(retries=1), [], page_relative=False)
    assert _at(d, "api.pods")[3:] == [20.0, 28.0, 28.0, 28.0]
    assert _at(d, "auth.queue_depth")[3:] == [18000.0, 18000.0, 18000.0, 18000.0]
    assert _at(d, "api.err_5xx_pct")[3:] == [100.0, 100.0, 100.0, 100.0]


@pytest.mark.parametrize("retries", [0, 1])
def test_pausing_the_autoscaler_breaks_the_loop(retries: int) -> None:
    """Paused at 130 s, the fleet stays at 4: a few % fail on worker starvation, not all."""
    d = play(_loop(retries), [(130, PAUSE)], page_relative=False)
    assert _scaling(d) == [(140.0, "autoscaler paused", 4)]
    assert _at(d, "api.err_5xx_pct") == [0.0, 3.846, 3.846, 3.846, 3.462, 0.0, 0.0]


@pytest.mark.parametrize("retries", [0, 1])
def test_capping_the_autoscaler_bounds_the_herd(retries: int) -> None:
    """Capped at 5 pods, the one cold pod's calls stay under auth's capacity."""
    d = play(_loop(retries), [(130, CAP)], page_relative=False)
    assert _scaling(d)[:2] == [
        (140.0, "autoscaler capped", None),
        (150.0, "autoscaler scaled out", 5),
    ]
    assert _at(d, "api.err_5xx_pct") == [0.0, 3.846, 0.0, 0.0, 0.0, 0.0, 0.0]


def test_manual_scaling_of_an_autoscaled_fleet_is_undone() -> None:
    """Scaled in by hand below min_pods, the autoscaler brings the fleet back up."""
    d = play(_surge(), [(60, {"type": "scale", "service": "api", "pods": 2})], page_relative=False)
    assert _scaling(d)[0] == (60.0, "autoscaler scaled out", 4)  # its evaluation at 60 s


def test_levers_on_a_service_without_an_autoscaler_are_refused() -> None:
    """The error says which services have one; a cap outside min_pods..quota is refused too."""
    d = Drill(tiny(), seed=0)
    with pytest.raises(NotAllowed, match=r"api has no autoscaler \(services with one: none\)"):
        d.submit(PAUSE, actor="alice")
    d = Drill(_surge(), seed=0)
    before = d.log.last_seq
    with pytest.raises(NotAllowed, match=r"must be 4..32 .* \(got 2\)"):
        d.submit({**CAP, "max_pods": 2}, actor="alice")
    assert d.log.last_seq == before


def test_bad_autoscaler_fields_are_located_errors() -> None:
    """A cap above the quota, a floor above the cap, an unknown metric."""
    doc: dict[str, Any] = {**BASE, "topology": {**BASE["topology"]}}
    svc = BASE["topology"]["services"][0]
    doc["topology"]["services"] = [
        {**svc, "autoscaler": {"max_pods": 40, "min_pods": 50}},
    ]
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(doc)
    assert [str(p) for p in info.value.problems] == [
        "<scenario>: `topology.services[0].autoscaler.max_pods` must be at most the service's "
        "max_pods quota, 32 (got 40)",
        "<scenario>: `topology.services[0].autoscaler.min_pods` must be at most its max_pods, "
        "40 (got 50)",
    ]
    doc["topology"]["services"] = [{**svc, "autoscaler": {"metric": "rps"}}]
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(doc)
    assert [p.path for p in info.value.problems] == ["topology.services[0].autoscaler.metric"]


def test_manual_scale_out_of_an_autoscaled_fleet_is_scaled_in_after_its_window() -> None:
    """Scaled out by hand to 8 pods at 20% CPU, it goes back to min_pods after 300 s."""
    sc = tiny(api={"autoscaler": {"target_pct": 60, "min_pods": 4, "every": 30}}, alerts=[])
    d = play(sc, [(10, {"type": "scale", "service": "api", "pods": 8})], page_relative=False)
    assert _scaling(d) == [(330.0, "autoscaler scaled in", 4)]  # wanting 4 since 30 s
