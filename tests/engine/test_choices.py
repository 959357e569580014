"""Seed-chosen targets: `choices` draw the failing region per seed, and it flows everywhere."""

from __future__ import annotations

from typing import Any

import pytest

from engine.choices import for_seed
from engine.drill import Drill
from engine.errors import ScenarioError
from engine.grading import grade
from engine.grading.counterfactual import replay_without
from engine.loader import load_scenario
from engine.outcome import outcome
from engine.scenario import Scenario
from engine.script import DecisionScript, RunError, play

from .inline import tiny

REGIONS = [{"name": "us-east", "share": 0.5}, {"name": "us-west", "share": 0.5}]


def _sc(noise: float = 0, **changes: Any) -> Scenario:
    return tiny(
        traffic={"base_rps": 400, "noise_pct": noise, "regions": REGIONS},
        api={"regions": ["us-east", "us-west"]},
        choices={"region": ["us-east", "us-west"]},
        faults=[
            {
                "id": "bad-az",
                "kind": "pod_failure",
                "service": "api",
                "pod": "all",
                "region": "${region}",
                "shared_cause": "host",
                "at": 120,
            }
        ],
        alerts=[{"name": "RegionDown", "metric": "api.${region}.err_5xx_pct", "threshold": 50}],
        grading={
            "correct": [
                {"action": "evacuate_region", "target": "${region}", "why": "${region} is down"}
            ]
        },
        **changes,
    )


EVACUATE_CHOSEN = DecisionScript.model_validate(
    {
        "name": "evacuate",
        "steps": [{"at": "page+30s", "do": "evacuate_region", "region": "${region}"}],
    }
)


def _failing(d: Drill) -> list[str]:
    return [
        e.data["component"]
        for e in d.log.events
        if e.type == "state" and e.data.get("what") == "fault started"
    ]


def test_the_seed_draws_the_failing_region_and_the_alert_and_fault_follow_it() -> None:
    """Seed 0 fails us-west, seed 1 us-east: the alert pages on that region's metric."""
    sc = _sc()
    seen = {}
    for seed in (0, 1):
        d = Drill(sc, seed=seed)
        d.advance(sc.duration + 5)
        region = d.choices["region"]
        fault = d.scenario.faults[0]
        assert fault.region == region
        pages = [e.data["alert"] for e in d.log.events if e.type == "page"]
        assert pages == ["RegionDown"]
        assert d.scenario.alerts[0].metric == f"api.{region}.err_5xx_pct"
        seen[seed] = region
    assert seen == {0: "us-west", 1: "us-east"}


def test_a_script_names_the_chosen_region_and_grading_credits_evacuating_it() -> None:
    """`${region}` in a script step evacuates the drawn region; grading names the same one."""
    sc = _sc()
    for seed in (0, 1):
        run = play(Drill(sc, seed=seed), EVACUATE_CHOSEN)
        assert run.rejected == []
        events = run.drill.log.events
        out = outcome(sc, events)
        assert out.mitigated_at is not None
        g = grade(sc, events)
        assert g.to_dict() == grade(run.drill.scenario, events).to_dict()


def test_evacuating_the_fixed_region_works_on_one_seed_only() -> None:
    """A script that always evacuates us-east mitigates the seed that drew us-east only."""
    sc = _sc()
    fixed = DecisionScript.model_validate(
        {
            "name": "east",
            "steps": [{"at": "page+30s", "do": "evacuate_region", "region": "us-east"}],
        }
    )
    mitigated = {}
    for seed in (0, 1):
        d = play(Drill(sc, seed=seed), fixed).drill
        out = outcome(sc, d.log.events)
        mitigated[d.choices["region"]] = out.final_users_affected_pct < 5
    assert mitigated == {"us-east": True, "us-west": False}


def test_the_draw_is_deterministic_and_leaves_scenarios_without_choices_alone() -> None:
    """Same seed, same bytes; a scenario without choices draws nothing and resolves to itself."""
    sc = _sc()
    a, b = Drill(sc, seed=2), Drill(sc, seed=2)
    a.advance(600)
    b.advance(600)
    assert a.log.digest() == b.log.digest()
    plain = tiny()
    assert for_seed(plain, 3) == (plain, {})
    assert Drill(plain, seed=3).scenario is plain


def test_a_counterfactual_replay_of_a_log_rebuilds_it_from_the_played_scenario() -> None:
    """Grading replays a log without an input on the scenario as played: the replay draws
    the same value first, so everything before the dropped input is the same bytes."""
    sc = _sc(noise=2)
    run = play(Drill(sc, seed=0), EVACUATE_CHOSEN)
    events = run.drill.log.events
    evacuate = next(e.seq for e in events if e.type == "input")
    for scenario in (sc, run.drill.scenario):
        replayed = replay_without(scenario, events, {evacuate})
        assert replayed is not None
        assert outcome(sc, replayed).mitigated_at is None


def test_a_script_naming_an_undeclared_choice_cannot_be_played() -> None:
    """`${zone}` in a script against a scenario without that choice is a located run error."""
    bad = DecisionScript.model_validate(
        {"name": "zone", "steps": [{"at": "page", "do": "evacuate_region", "region": "${zone}"}]}
    )
    with pytest.raises(
        RunError, match=r"step 0: \$\{zone\} names no choice of tiny \(choices: region\)"
    ):
        play(Drill(_sc(), seed=0), bad)


YAML = """\
id: tiny
title: tiny
summary: tiny
class: regional-outage
traffic:
  base_rps: 400
  regions: [{name: us-east, share: 0.5}, {name: us-west, share: 0.5}]
topology:
  services:
    - name: api
      pods: 4
      capacity_rps_per_pod: 200
      version: v1
      versions: [{name: v1}]
      regions: [us-east, us-west]
      endpoints: [{name: "GET /", share: 1.0}]
choices:
  region: [us-east, eu-west]
faults:
  - {kind: pod_failure, service: api, pod: all, region: "${region}", at: 120}
alerts:
  - {name: Errors, metric: api.err_5xx_pct, threshold: 5}
truth: {trigger: t, root_cause: r, causal_chain: [c]}
"""


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "[us-east, eu-west]",
            "[us-east, eu-west]",
            "x.yaml line 20: `faults[0].region` when region is eu-west: must be one of "
            "api's regions ['us-east', 'us-west'] (got 'eu-west')",
        ),
        (
            '"${region}"',
            '"${zone}"',
            "x.yaml line 20: `faults[0].region` names an unknown choice ${zone} (choices: region)",
        ),
        (
            "title: tiny",
            'title: "Errors in ${region}"',
            "x.yaml line 2: `title` is shown in the lobby before the seed draws a value: "
            "no placeholder here",
        ),
        (
            "[us-east, eu-west]",
            "[us-east, us-east]",
            "x.yaml line 18: `choices.region` lists us-east more than once",
        ),
        (
            "[us-east, eu-west]",
            "[us-east]",
            "x.yaml line 18: `choices.region` must have at least 2 items (got 1)",
        ),
        (
            '"${region}"',
            "us-east",
            "x.yaml line 18: `choices.region` is never used: no `${region}` in the scenario",
        ),
        (
            "region: [us-east, eu-west]",
            "region: us-east",
            "x.yaml line 18: `choices.region` must be a list (got 'us-east')",
        ),
        (
            "choices:\n  region: [us-east, eu-west]",
            "choices: [us-east, eu-west]",
            "x.yaml line 17: `choices` must be a mapping (got ['us-east', 'eu-west'])",
        ),
        (
            "region: [us-east, eu-west]",
            "Region: [us-east, eu-west]",
            "x.yaml line 18: `choices.Region` must match the pattern '^[a-z][a-z0-9_]*$' "
            "(got 'Region')",
        ),
    ],
)
def test_bad_choices_are_refused_with_file_line_and_field(old: str, new: str, message: str) -> None:
    """A value that does not exist, an unknown or lobby placeholder, a duplicate, one value,
    an unused choice, a non-list, a non-mapping, a bad name: each names file, line, field."""
    with pytest.raises(ScenarioError) as err:
        load_scenario(YAML.replace(old, new, 1), "x.yaml")
    assert str(err.value.problems[0]).startswith(message)
