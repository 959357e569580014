"""Fault lines on every pod, shared causes, and faults that start and end with a cause."""

from __future__ import annotations

from typing import Any

import pytest

from engine.drill import Drill
from engine.errors import ScenarioError
from engine.scenario import Scenario

from .conftest import play, series
from .inline import tiny


def _pod_fault(**fields: Any) -> Scenario:
    fault = {"kind": "pod_failure", "service": "api", "pod": "all", "error_pct": 50, "at": 120}
    return tiny(faults=[{**fault, **fields}])


def _end(d: Drill, metric: str) -> float:
    return series(d, metric)[-1][1]


def test_a_shared_cause_comes_back_on_restarted_and_new_pods() -> None:
    """A bad config on every pod: restart and scale-out leave the error rate where it was."""
    sc = _pod_fault(shared_cause="config")
    for move in (
        [],
        [(60, {"type": "restart", "target": "api", "mode": "rolling"})],
        [(60, {"type": "scale", "service": "api", "pods": 8})],
    ):
        d = play(sc, move)
        assert _end(d, "api.err_5xx_pct") == 50.0


def test_a_per_pod_fault_on_every_pod_is_fixed_by_restart_and_diluted_by_scale_out() -> None:
    """Without a shared cause each pod has its own fault: new pods are healthy."""
    sc = _pod_fault(fixed_by_restart=True)
    restarted = play(sc, [(60, {"type": "restart", "target": "api", "mode": "rolling"})])
    scaled = play(sc, [(60, {"type": "scale", "service": "api", "pods": 8})])
    assert (_end(restarted, "api.err_5xx_pct"), _end(scaled, "api.err_5xx_pct")) == (0.0, 25.0)


def test_one_line_on_every_pod_draws_each_pods_start_from_the_seed() -> None:
    """Four pods, four seeded start times within the jitter; the same seed, the same times."""

    def starts(seed: int) -> list[tuple[float, str]]:
        d = Drill(_pod_fault(jitter=60), seed=seed)
        d.advance(200)
        return [(e.t, e.data["pod"]) for e in d.log.events if e.data.get("what") == "fault started"]

    first = starts(0)
    assert len(first) == 4 and len({pod for _, pod in first}) == 4
    assert all(60.0 <= t <= 180.0 for t, _ in first) and len({t for t, _ in first}) == 4
    assert starts(0) == first and starts(1) != first


def _promo(until: dict[str, Any]) -> Scenario:
    """A promo flag on; a 3x traffic surge from 60 s until ``until``."""
    return tiny(
        topology={"flags": [{"name": "promo", "enabled": True, "propagation": 10}]},
        faults=[
            {
                "id": "promo-surge",
                "kind": "traffic_surge",
                "at": 60,
                "multiplier": 3,
                "ramp": 60,
                "until": until,
            }
        ],
        alerts=[{"name": "Busy", "metric": "api.rps", "threshold": 800, "for": 20}],
    )


def test_a_surge_ends_when_what_drives_it_stops() -> None:
    """A promo surge lasts until the promo flag is turned off, then traffic ramps down."""
    sc = _promo({"action": "set_flag", "target": "promo"})
    assert _end(play(sc, []), "api.rps") == 1200.0
    d = play(sc, [(60, {"type": "set_flag", "flag": "promo", "enabled": False})])
    assert _end(d, "api.rps") == 400.0
    ended = [e.t for e in d.log.events if e.data.get("what") == "fault ended"]
    sent = next(e.t for e in d.log.events if e.type == "input")
    assert ended == [sent]


def test_a_cause_can_name_the_value_turning_the_flag_on_does_not_end_it() -> None:
    """`until: {action: set_flag, target: promo, enabled: false}`: setting the flag on again
    (a no-op a player might try) leaves the surge going; turning it off ends it."""
    sc = _promo({"action": "set_flag", "target": "promo", "enabled": False})
    on = play(sc, [(60, {"type": "set_flag", "flag": "promo", "enabled": True})])
    assert _end(on, "api.rps") == 1200.0
    assert not [e for e in on.log.events if e.data.get("what") == "fault ended"]
    off = play(sc, [(60, {"type": "set_flag", "flag": "promo", "enabled": False})])
    assert _end(off, "api.rps") == 400.0


def test_a_fault_can_start_when_another_ends_or_a_metric_holds() -> None:
    """A recovery herd follows the end of an outage; a second fault follows an error level."""
    sc = tiny(
        topology={"dependencies": [{"name": "dep"}]},
        api={"endpoints": [{"name": "GET /", "share": 1.0, "calls": ["dep"]}]},
        faults=[
            {
                "id": "outage",
                "kind": "dependency",
                "dependency": "dep",
                "at": 60,
                "error_pct": 100,
                "recover_at": 300,
            },
            {
                "id": "herd",
                "kind": "pod_failure",
                "service": "api",
                "pod": "all",
                "shared_cause": "host",
                "error_pct": 30,
                "when": {"fault": "outage", "delay": 5},
                "until": {"metric": "api.rps", "op": "<", "threshold": 1, "for": 10},
            },
            {
                "id": "paged",
                "kind": "traffic_surge",
                "multiplier": 2,
                "ramp": 0,
                "when": {"metric": "api.err_5xx_pct", "threshold": 90, "for": 30},
            },
        ],
    )
    d = Drill(sc, seed=0)
    d.advance(1205)
    events = [
        (e.t, e.data["what"], e.data.get("fault"))
        for e in d.log.events
        if e.data.get("component") == "fault"
    ]
    assert events == [
        (60.0, "fault started", "outage"),
        (90.0, "fault started", "paged"),
        (300.0, "fault ended", "outage"),
        (305.0, "fault started", "herd"),
    ]
    assert _end(d, "api.err_5xx_pct") == 30.0


def test_a_shared_cause_with_fixed_by_restart_is_refused() -> None:
    """A restart cannot fix what every pod shares; the error says so and where."""
    with pytest.raises(ScenarioError) as info:
        _pod_fault(shared_cause="config", fixed_by_restart=True)
    assert [str(p) for p in info.value.problems] == [
        "<scenario>: `faults[0].fixed_by_restart` a restart cannot fix a shared cause (config): "
        "every pod comes back with it"
    ]


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (
            {"when": {"metric": "api.nope", "threshold": 1}},
            "`faults[0].when.metric` names an unknown metric 'api.nope' (did you mean:",
        ),
        ({"when": {"fault": "ghost"}}, "`faults[0].when.fault` names an unknown fault id 'ghost'"),
        ({"until": {"action": "fly"}}, "`faults[0].until.action` must be a player action"),
        (
            {"until": {"action": "restart", "enabled": False}},
            "`enabled` goes with `action: set_flag` or `set_coalescing`",
        ),
        ({"until": {"alert": "Nope"}}, "`faults[0].until.alert` names an unknown alert 'Nope'"),
        ({"when": {"alert": "Errors", "fault": "x"}}, "needs exactly one of `metric`, `alert`"),
    ],
)
def test_garbage_causes_are_located_errors(fault: dict[str, Any], message: str) -> None:
    """Each bad cause names its field and what is wrong."""
    with pytest.raises(ScenarioError) as info:
        _pod_fault(**fault)
    assert message in str(info.value.problems[0])


def test_until_on_a_fault_that_cannot_end_is_refused() -> None:
    """A flag flip has no cause to remove; `until` on it is an error naming what can end."""
    with pytest.raises(ScenarioError) as info:
        tiny(
            topology={"flags": [{"name": "f", "enabled": True}]},
            faults=[
                {
                    "kind": "flag_flip",
                    "flag": "f",
                    "enabled": False,
                    "at": 10,
                    "until": {"alert": "Errors"},
                }
            ],
        )
    assert str(info.value.problems[0]) == (
        "<scenario>: `faults[0].until` a flag_flip fault cannot end by itself (faults that can: "
        "pod_failure, dependency, cert_expiry, traffic_surge, db_blocker, config_rollout, "
        "quota_cut, resource_leak, dns_failure, tool_outage, client_surge)"
    )
