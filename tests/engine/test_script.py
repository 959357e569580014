"""Decision scripts: parsed with located errors, triggered by page, alert, metric or time."""

from __future__ import annotations

import pytest

from engine.drill import Drill
from engine.errors import ScriptError
from engine.script import DecisionScript, RunError, play
from engine.timeexpr import format_clock, parse_duration

from .conftest import load

SCRIPT = """
name: drain
steps:
  - at: page+30s
    do: take_command
  - do: view_dashboard
    service: api-gateway
    breakdown: pod
    after: 30s
  - do: drain_pod
    service: api-gateway
    pod: $worst_pod
  - when: {metric: api-gateway.err_5xx_pct, op: "<", threshold: 1}
    do: status_update
    audience: public
    state: monitoring
    impact: "About 12% of API requests failed for 6 minutes; fixed."
    next_update_min: 30
"""


def test_script_steps_fire_relative_to_the_page_and_resolve_the_worst_pod() -> None:
    """take_command lands 30 s after the page; the drained pod is the failing one."""
    sc = load("gateway-bad-pod")
    run = play(Drill(sc, seed=4), DecisionScript.from_yaml(SCRIPT, "drain.yaml"))
    d = run.drill
    inputs = [e for e in d.log.events if e.type == "input"]
    assert [e.data["type"] for e in inputs] == [
        "take_command",
        "view_dashboard",
        "drain_pod",
        "status_update",
    ]
    assert inputs[0].t == (d.page_at or 0) + 30
    rows = next(e for e in d.log.events if e.type == "observation").data["result"]["rows"]
    worst = max(rows, key=lambda name: rows[name]["err_5xx_pct"])
    assert inputs[2].data["pod"] == worst
    assert run.rejected == []


def test_placeholder_before_looking_is_a_run_error() -> None:
    """$worst_pod without a prior pod breakdown is refused: information is earned."""
    script = DecisionScript.from_yaml(
        "name: x\nsteps:\n  - {at: page, do: drain_pod, service: api-gateway, pod: $worst_pod}\n",
        "x.yaml",
    )
    with pytest.raises(RunError, match="used before the api-gateway/pod breakdown was viewed"):
        play(Drill(load("gateway-bad-pod")), script)


def test_refused_steps_are_reported_and_the_run_continues() -> None:
    """A step the scenario cannot apply is recorded with its reason; later steps still run."""
    script = DecisionScript.from_yaml(
        "name: x\nsteps:\n  - {at: 1m, do: rollback, service: nope}\n  - {at: 2m, do: take_command}\n",
        "x.yaml",
    )
    run = play(Drill(load("gateway-bad-pod")), script)
    assert [(r.step, r.message) for r in run.rejected] == [
        (0, "unknown service 'nope'; valid: api-gateway")
    ]
    assert [e.data["type"] for e in run.drill.log.events if e.type == "input"] == ["take_command"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "name: x\nsteps:\n  - {do: reboot}\n",
            "x.yaml line 3: `steps[0]` `do` must be a player action",
        ),
        (
            "name: x\nsteps:\n  - {do: inject, id: a}\n",
            "x.yaml line 3: `steps[0]` `do` must be a player action",
        ),
        (
            "name: x\nsteps:\n  - {do: rollback}\n",
            "x.yaml line 3: `steps[0]` rollback: `service` is required",
        ),
        (
            "name: x\nsteps:\n  - {at: soon, do: take_command}\n",
            "x.yaml line 3: `steps[0]` must be a duration",
        ),
        (
            "name: x\nsteps:\n  - {at: 1m, when: {alert: A}, do: take_command}\n",
            "x.yaml line 3: `steps[0]` a step takes `at` or `when`, not both",
        ),
        (
            "name: x\nsteps:\n  - {when: {alert: A, metric: b}, do: take_command}\n",
            "x.yaml line 3: `steps[0].when` needs exactly one of `alert` or `metric`",
        ),
        ("steps: []\n", "x.yaml line 1: `name` is required"),
        ("name: x\nstep: []\n", "x.yaml line 1: `steps` is required"),
    ],
)
def test_malformed_scripts_get_located_errors(text: str, message: str) -> None:
    """Script errors name the file, the line and the step."""
    with pytest.raises(ScriptError) as info:
        DecisionScript.from_yaml(text, "x.yaml")
    assert str(info.value.problems[0]).startswith(message)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (90, 90.0),
        ("90s", 90.0),
        ("2m", 120.0),
        ("1m30s", 90.0),
        ("-25m", -1500.0),
        ("1h", 3600.0),
        ("2d", 172800.0),
        ("0.5m", 30.0),
    ],
)
def test_durations(value: object, seconds: float) -> None:
    """Authors write compact durations; the engine works in seconds."""
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["soon", "", "5 minutes", True, None, "m5", "--1m"])
def test_bad_durations_are_refused(value: object) -> None:
    """Anything else is a clear error naming the value."""
    with pytest.raises(ValueError, match="must be a duration"):
        parse_duration(value)


def test_clock_format() -> None:
    """Timelines show T+mm:ss."""
    assert [format_clock(x) for x in (0, 61.4, 3600, -90)] == [
        "T+00:00",
        "T+01:01",
        "T+60:00",
        "T-01:30",
    ]
