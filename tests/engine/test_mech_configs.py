"""Config pushes: only rolling the config back fixes a bad one; halting stops its spread."""

from __future__ import annotations

from typing import Any

import pytest

from engine.drill import Drill
from engine.errors import NotAllowed, ScenarioError
from engine.loader import load_scenario, scenario_from_dict
from engine.scenario import Scenario

from .conftest import play, series
from .inline import BASE, tiny

ROLLBACK = {"type": "rollback_config", "config": "rules"}
HALT = {"type": "halt_config_push", "config": "rules"}
TIMES = (60.0, 180.0, 300.0, 600.0, 1200.0)


def _sc(**fault: Any) -> Scenario:
    spec = {"id": "rules-42", "kind": "config_rollout", "config": "rules", "version": "r42"}
    spec.update({"crash": True, "at": 120} | fault)
    return tiny(
        topology={"configs": [{"name": "rules", "services": ["api"], "propagation": 30}]},
        faults=[spec],
    )


def _staged() -> Scenario:
    """Two regions, half the traffic each; the push reaches us at 120 s and eu at 420 s."""
    return tiny(
        api={"regions": ["us", "eu"]},
        traffic={
            "base_rps": 400,
            "noise_pct": 0,
            "regions": [{"name": "us", "share": 0.5}, {"name": "eu", "share": 0.5}],
        },
        topology={"configs": [{"name": "rules", "services": ["api"], "propagation": 30}]},
        faults=[
            {
                "id": "rules-42",
                "kind": "config_rollout",
                "config": "rules",
                "version": "r42",
                "crash": True,
                "at": 120,
                "stages": ["us", "eu"],
                "stage_every": 300,
            }
        ],
    )


def _at(d: Drill, metric: str) -> list[float]:
    values = dict(series(d, metric))
    return [values[t] for t in TIMES]


def _events(d: Drill) -> list[tuple[float, str, str]]:
    return [
        (e.t, e.data["component"], e.data["what"])
        for e in d.log.events
        if e.type in ("state", "effect")
    ]


def test_doing_nothing_leaves_the_fleet_crash_looping() -> None:
    """Every pod crashes loading the config: none is healthy, restarts climb, all 503."""
    d = play(_sc(), [])
    assert _at(d, "api.err_5xx_pct") == [0.0, 100.0, 100.0, 100.0, 100.0]
    assert _at(d, "api.healthy_pods") == [4.0, 0.0, 0.0, 0.0, 0.0]
    assert _at(d, "api.restarts") == [0.0, 4.0, 16.0, 48.0, 108.0]
    assert _events(d) == [(120.0, "fault", "fault started")]


def test_rolling_the_config_back_fixes_it_after_it_propagates() -> None:
    """The rollback lands 30 s after it is sent; the crashed pods start again 20 s later."""
    d = play(_sc(), [(60, ROLLBACK)])
    assert _events(d) == [
        (120.0, "fault", "fault started"),
        (200.0, "rules", "config rollback started"),
        (230.0, "fault", "fault ended"),
        (230.0, "rules", "config rolled back"),
    ]
    errs = dict(series(d, "api.err_5xx_pct"))
    # pods are up at 250 s: the 241-250 s window averages 9 ticks down, 1 up
    assert (errs[240.0], errs[250.0], errs[260.0]) == (100.0, 90.0, 0.0)
    assert _at(d, "api.healthy_pods") == [4.0, 0.0, 4.0, 4.0, 4.0]


@pytest.mark.parametrize(
    "move",
    [
        {"type": "restart", "target": "api", "mode": "all"},
        {"type": "restart", "target": "api", "mode": "rolling"},
        {"type": "rollback", "service": "api"},
        {"type": "scale", "service": "api", "pods": 8},
    ],
)
def test_restart_code_rollback_and_scale_out_do_not_help(move: dict[str, Any]) -> None:
    """Restarted pods, older code and new pods all load the same config and crash."""
    d = play(_sc(), [(60, move)])
    assert _at(d, "api.err_5xx_pct") == [0.0, 100.0, 100.0, 100.0, 100.0]
    assert _at(d, "api.healthy_pods")[2:] == [0.0, 0.0, 0.0]


def test_a_broken_not_crashing_config_fails_requests_on_every_pod() -> None:
    """Pods stay healthy but fail what they serve; a rollback of code does not help."""
    sc = _sc(crash=False, error_pct=40)
    nothing = play(sc, [])
    wrong = play(sc, [(60, {"type": "rollback", "service": "api"})])
    right = play(sc, [(60, ROLLBACK)])
    assert _at(nothing, "api.err_5xx_pct") == [0.0, 40.0, 40.0, 40.0, 40.0]
    assert _at(wrong, "api.err_5xx_pct") == [0.0, 40.0, 40.0, 40.0, 40.0]
    assert _at(right, "api.err_5xx_pct") == [0.0, 40.0, 0.0, 0.0, 0.0]
    assert _at(nothing, "api.healthy_pods") == [4.0] * 5


def test_a_push_staged_by_region_spreads_one_region_at_a_time() -> None:
    """us breaks at 120 s (its half of traffic 503s), eu at 420 s: all of it."""
    d = play(_staged(), [])
    assert _at(d, "api.err_5xx_pct") == [0.0, 50.0, 50.0, 100.0, 100.0]
    assert _at(d, "api.us.err_5xx_pct") == [0.0, 100.0, 100.0, 100.0, 100.0]
    assert _at(d, "api.eu.err_5xx_pct") == [0.0, 0.0, 0.0, 100.0, 100.0]
    assert _events(d) == [
        (120.0, "rules", "config push stage reached"),
        (120.0, "fault", "fault started"),
        (420.0, "rules", "config push stage reached"),
    ]


def test_halting_a_staged_push_stops_the_spread_but_does_not_heal() -> None:
    """Halted before eu is reached: eu stays healthy, us stays down until a rollback."""
    halted = play(_staged(), [(60, HALT)])
    assert _at(halted, "api.err_5xx_pct") == [0.0, 50.0, 50.0, 50.0, 50.0]
    assert [e for e in _events(halted) if e[2] != "fault started"] == [
        (120.0, "rules", "config push stage reached"),
        (205.0, "rules", "config push halted"),
    ]
    both = play(_staged(), [(60, HALT), (70, ROLLBACK)])
    assert _at(both, "api.err_5xx_pct") == [0.0, 50.0, 0.0, 0.0, 0.0]


def test_a_percentage_stage_breaks_that_share_of_the_pods() -> None:
    """25% of 4 pods is one pod: a quarter of requests fail, then all at 100%."""
    d = play(_sc(crash=False, error_pct=100, stages=[25, 100], stage_every=300), [])
    assert _at(d, "api.err_5xx_pct") == [0.0, 25.0, 25.0, 100.0, 100.0]


def test_the_push_is_in_the_change_feed() -> None:
    """list_changes shows the config push, which is how responders find it."""
    d = Drill(_sc(), seed=0)
    d.advance(200)
    d.submit({"type": "list_changes"}, actor="alice")
    changes = d.log.events[-1].data["result"]["changes"]
    assert changes == [
        {
            "id": "rules-42",
            "kind": "config",
            "at": 120.0,
            "service": "api",
            "summary": "config rules -> r42",
            "version": "r42",
            "has_migration": False,
            "by": "config pipeline",
        }
    ]


def test_rollback_or_halt_without_a_push_is_refused_and_changes_nothing() -> None:
    """Before the push there is nothing to roll back or halt; the log is unchanged."""
    d = Drill(_sc(), seed=0)
    before = d.log.last_seq
    with pytest.raises(NotAllowed, match="config rules has no push to roll back"):
        d.submit(ROLLBACK, actor="alice")
    with pytest.raises(NotAllowed, match="config rules has no push under way to halt"):
        d.submit(HALT, actor="alice")
    with pytest.raises(Exception, match=r"unknown config 'nope'; valid: rules"):
        d.submit({"type": "rollback_config", "config": "nope"}, actor="alice")
    assert d.log.last_seq == before


def test_bad_config_fields_are_located_errors() -> None:
    """Unknown config and service, a harmless push, unknown or shrinking stages."""
    doc: dict[str, Any] = {**BASE, "topology": {**BASE["topology"]}}
    doc["topology"]["configs"] = [{"name": "rules", "services": ["ghost"]}]
    doc["faults"] = [
        {"kind": "config_rollout", "config": "nope", "version": "r1", "crash": True},
        {"kind": "config_rollout", "config": "rules", "version": "r1"},
        {
            "kind": "config_rollout",
            "config": "rules",
            "version": "r1",
            "error_pct": 5,
            "stages": ["mars"],
        },
        {
            "kind": "config_rollout",
            "config": "rules",
            "version": "r1",
            "error_pct": 5,
            "stages": [50, 20],
        },
    ]
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(doc)
    assert [str(p) for p in info.value.problems] == [
        "<scenario>: `topology.configs[0].services[0]` names an unknown service 'ghost' "
        "(known: api)",
        "<scenario>: `faults[0].config` names an unknown config 'nope' (known: rules)",
        "<scenario>: `faults[1]` a config rollout that breaks nothing: set `crash`, "
        "`error_pct` or `latency_ms`",
        "<scenario>: `faults[2].stages[0]` names an unknown region 'mars' (known: none)",
        "<scenario>: `faults[3].stages[1]` cumulative % of pods must grow, > 50 (got 20)",
    ]


def test_a_yaml_mistake_in_a_config_rollout_names_file_line_and_field() -> None:
    """A stage that is neither a region name nor a percentage is located in the file."""
    import yaml

    text = yaml.safe_dump(
        {
            **BASE,
            "topology": {**BASE["topology"], "configs": [{"name": "rules", "services": ["api"]}]},
            "faults": [
                {
                    "kind": "config_rollout",
                    "config": "rules",
                    "version": "r1",
                    "crash": True,
                    "stages": [150],
                }
            ],
        },
        sort_keys=False,
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(text, "x.yaml")
    (problem,) = info.value.problems
    assert (problem.file, problem.path) == ("x.yaml", "faults[0].stages[0]")
    assert problem.line == text.splitlines().index("  - 150") + 1


def test_the_postmortem_words_the_push_and_the_red_button() -> None:
    """The timeline says what was pushed and what the responder did, in plain English."""
    from engine.postmortem.phrases import describe_fault, describe_input

    sc = _staged()
    assert describe_fault(sc, {"fault": "rules-42", "kind": "config_rollout"}) == (
        "Config rules r42 was pushed (staged over us, eu), crashing the binary"
    )
    assert describe_input(ROLLBACK) == "rolled back config rules"
    assert describe_input(HALT) == "halted the push of config rules"
