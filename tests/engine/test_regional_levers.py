"""Levers aimed at one region: `scale` with a region and `set_flag` with a region."""

from __future__ import annotations

import re
from typing import Any

import pytest

from engine.drill import Drill
from engine.errors import InvalidInput, NotAllowed, ScenarioError
from engine.scenario import Scenario

from .conftest import play, series
from .inline import tiny

REGIONS = [{"name": "us-east", "share": 0.75}, {"name": "us-west", "share": 0.25}]
ERR = ("api.err_5xx_pct", "api.us-east.err_5xx_pct", "api.us-west.err_5xx_pct", "api.pods")


def _busy_east() -> Scenario:
    """800 rps, three quarters of it to us-east's two pods: 300 rps each on 200 capacity."""
    return tiny(
        traffic={"base_rps": 800, "noise_pct": 0, "regions": REGIONS},
        api={"regions": ["us-east", "us-west"]},
    )


def _end(d: Drill) -> list[float]:
    return [series(d, m)[-1][1] for m in ERR]


def _effects(d: Drill) -> list[tuple[float, str, dict[str, Any]]]:
    return [
        (
            e.t,
            e.data["what"],
            {k: v for k, v in e.data.items() if k not in ("for", "component", "what")},
        )
        for e in d.log.events
        if e.type == "effect"
    ]


def test_doing_nothing_leaves_the_busy_region_saturated() -> None:
    """us-east's pods are at 150% CPU: a third of its requests fail, a quarter overall."""
    assert _end(play(_busy_east(), [])) == [25.0, 33.333, 0.0, 4.0]


def test_scaling_the_busy_region_lands_new_pods_there_and_relieves_it() -> None:
    """Two more us-east pods come up after scale_up; every region is then error-free."""
    d = play(
        _busy_east(), [(30, {"type": "scale", "service": "api", "pods": 4, "region": "us-east"})]
    )
    assert _effects(d) == [
        (81.0, "pod running", {"pod": "api-d82c-4"}),
        (81.0, "pod running", {"pod": "api-d82c-5"}),
    ]
    assert [p.region for p in d.world.services["api"].pods] == [
        "us-east",
        "us-west",
        "us-east",
        "us-west",
        "us-east",
        "us-east",
    ]
    assert _end(d) == [0.0, 0.0, 0.0, 6.0]


def test_scaling_the_wrong_region_does_not_help() -> None:
    """Pods added to us-west serve only us-west's quarter: us-east still fails a third."""
    d = play(
        _busy_east(), [(30, {"type": "scale", "service": "api", "pods": 4, "region": "us-west"})]
    )
    assert _end(d) == [25.0, 33.333, 0.0, 6.0]


def test_scaling_a_region_in_removes_only_its_pods() -> None:
    """us-west scaled to zero loses its pods at once; us-east keeps both of its own."""
    d = play(
        _busy_east(), [(30, {"type": "scale", "service": "api", "pods": 0, "region": "us-west"})]
    )
    assert _effects(d) == [(51.0, "scaled in", {"pods": 0, "region": "us-west"})]
    assert [p.name for p in d.world.services["api"].pods] == ["api-d82c-0", "api-d82c-2"]
    # No us-west pod left: the load balancer answers 503 for its whole share.
    assert _end(d) == [50.0, 33.333, 100.0, 2.0]


def test_a_regional_scale_names_are_never_reused() -> None:
    """Scaling a region in and out again gives the new pods fresh names."""
    d = Drill(_busy_east(), seed=0)
    d.submit({"type": "scale", "service": "api", "pods": 0, "region": "us-east"}, actor="a")
    d.submit({"type": "scale", "service": "api", "pods": 1, "region": "us-east"}, actor="a")
    d.advance(200)
    assert [p.name for p in d.world.services["api"].pods] == [
        "api-d82c-1",
        "api-d82c-3",
        "api-d82c-4",
    ]


@pytest.mark.parametrize(
    ("move", "error"),
    [
        ({"region": "eu-west"}, "unknown region 'eu-west'; valid: us-east, us-west"),
        ({"region": "us-east", "pods": 31}, "at most 32 pods (quota; 31 in us-east makes 33)"),
    ],
)
def test_a_bad_regional_scale_is_refused_and_changes_nothing(
    move: dict[str, Any], error: str
) -> None:
    """An unknown region or a region count over the quota is refused; the log is unchanged."""
    d = Drill(_busy_east(), seed=0)
    d.advance(10)
    before = d.log.last_seq
    with pytest.raises((InvalidInput, NotAllowed), match=re.escape(error)):
        d.submit({"type": "scale", "service": "api", "pods": 2, **move}, actor="a")
    assert d.log.last_seq == before


@pytest.mark.parametrize("region", ["", 7, ["us-east"]])
def test_a_garbage_region_on_a_lever_is_refused(region: object) -> None:
    """An empty, numeric or list region is rejected before the drill sees it."""
    d = Drill(_busy_east(), seed=0)
    for move in (
        {"type": "scale", "service": "api", "pods": 2},
        {"type": "set_flag", "flag": "new-path", "enabled": False},
    ):
        with pytest.raises(InvalidInput, match="region"):
            d.submit({**move, "region": region}, actor="a")


def _flagged(region: str | None = "us-east") -> Scenario:
    """The new path fails every request; the flag console turns it on (in us-east) at 120 s."""
    return tiny(
        traffic={
            "base_rps": 400,
            "noise_pct": 0,
            "regions": [{"name": "us-east", "share": 0.5}, {"name": "us-west", "share": 0.5}],
        },
        api={
            "regions": ["us-east", "us-west"],
            "versions": [
                {"name": "v1"},
                {"name": "v2", "effects": [{"error_pct": 100, "when_flag": "new-path"}]},
            ],
        },
        topology={"flags": [{"name": "new-path", "enabled": False, "propagation": 30}]},
        faults=[
            {"id": "flip", "kind": "flag_flip", "flag": "new-path", "enabled": True, "at": 120}
            | ({} if region is None else {"region": region})
        ],
    )


def _flag_end(d: Drill) -> list[float]:
    return [series(d, m)[-1][1] for m in ERR[:3]]


def test_a_flag_flipped_in_one_region_breaks_only_that_region() -> None:
    """Doing nothing: us-east fails every request, us-west none; the change feed says where."""
    d = play(_flagged(), [])
    assert _flag_end(d) == [50.0, 100.0, 0.0]
    states = [(e.t, e.data) for e in d.log.events if e.type == "state"]
    assert (
        120.0,
        {"component": "new-path", "what": "flag changed", "enabled": True, "region": "us-east"},
    ) in states
    assert d.changes[-1]["summary"] == "flag new-path set to True in us-east"


def test_turning_the_flag_off_in_the_broken_region_fixes_it() -> None:
    """set_flag off in us-east propagates in 30 s and us-east recovers."""
    off = {"type": "set_flag", "flag": "new-path", "enabled": False, "region": "us-east"}
    d = play(_flagged(), [(30, off)])
    assert [(w, x) for _, w, x in _effects(d)] == [
        ("flag propagated", {"enabled": False, "region": "us-east"})
    ]
    assert _flag_end(d) == [0.0, 0.0, 0.0]


def test_the_snapshot_shows_where_a_flag_is_set_apart() -> None:
    """The war room's flag panel reads the snapshot: on in us-east only, off elsewhere."""
    d = Drill(_flagged(), seed=0)
    d.advance(130)
    assert d.snapshot("player")["flags"] == {"new-path": False, "new-path@us-east": True}


def test_turning_the_flag_off_in_the_other_region_does_not_help() -> None:
    """The tempting wrong region: us-west had it off already; us-east keeps failing."""
    off = {"type": "set_flag", "flag": "new-path", "enabled": False, "region": "us-west"}
    assert _flag_end(play(_flagged(), [(30, off)])) == [50.0, 100.0, 0.0]


def test_a_global_set_flag_overrides_every_regional_setting() -> None:
    """A flag flipped on everywhere, then off in us-west only: us-east alone still fails;
    a global off then clears the regional settings."""
    west_off = {"type": "set_flag", "flag": "new-path", "enabled": False, "region": "us-west"}
    assert _flag_end(play(_flagged(None), [(30, west_off)])) == [50.0, 100.0, 0.0]
    all_off = {"type": "set_flag", "flag": "new-path", "enabled": False}
    d = play(_flagged(None), [(30, west_off), (100, all_off)])
    assert _flag_end(d) == [0.0, 0.0, 0.0]
    assert d.world.region_flags == {}


def test_set_flag_in_an_unknown_region_is_refused() -> None:
    """The error lists the scenario's regions; the log is unchanged."""
    d = Drill(_flagged(), seed=0)
    before = d.log.last_seq
    with pytest.raises(InvalidInput, match="unknown region 'mars'; valid: us-east, us-west"):
        d.submit(
            {"type": "set_flag", "flag": "new-path", "enabled": False, "region": "mars"}, actor="a"
        )
    assert d.log.last_seq == before


def test_a_flag_flip_in_an_unknown_region_is_a_located_error() -> None:
    """The scenario error names the fault's `region` field and the known regions."""
    with pytest.raises(ScenarioError) as info:
        _flagged("mars")
    assert [str(p) for p in info.value.problems] == [
        "<scenario>: `faults[0].region` names an unknown region 'mars' (known: us-east, us-west)"
    ]


def test_a_flag_turned_off_in_one_region_does_not_end_what_off_everywhere_ends() -> None:
    """A surge that lasts until the flag goes off keeps going after a regional off."""
    doc = {
        "traffic": {
            "base_rps": 400,
            "noise_pct": 0,
            "regions": [{"name": "us-east", "share": 0.5}, {"name": "us-west", "share": 0.5}],
        },
        "api": {"regions": ["us-east", "us-west"]},
        "topology": {"flags": [{"name": "promo", "enabled": True, "propagation": 30}]},
        "faults": [
            {
                "id": "promo-surge",
                "kind": "traffic_surge",
                "multiplier": 3,
                "ramp": 0,
                "at": 60,
                "until": {"action": "set_flag", "target": "promo", "enabled": False},
            }
        ],
    }
    east = {"type": "set_flag", "flag": "promo", "enabled": False, "region": "us-east"}
    d = play(tiny(**doc), [(30, east)])
    assert "fault ended" not in [e.data.get("what") for e in d.log.events if e.type == "state"]
    assert series(d, "api.rps")[-1][1] == 1200.0
    d = play(tiny(**doc), [(30, {k: v for k, v in east.items() if k != "region"})])
    assert "fault ended" in [e.data.get("what") for e in d.log.events if e.type == "state"]
    assert series(d, "api.rps")[-1][1] == 400.0
