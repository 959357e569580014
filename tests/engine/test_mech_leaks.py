"""Resource exhaustion: a restart only buys time; freeing, raising or the cause fixes it."""

from __future__ import annotations

from typing import Any

import pytest

from engine.drill import Drill
from engine.errors import NotAllowed, ScenarioError
from engine.loader import scenario_from_dict
from engine.scenario import Scenario

from .conftest import play, series
from .inline import BASE, tiny

TIMES = (300.0, 340.0, 500.0, 700.0, 800.0, 1200.0)
RESTART = {"type": "restart", "target": "api", "mode": "rolling"}
ROLLBACK = {"type": "rollback", "service": "api"}


def _sc(resource: str) -> Scenario:
    """v2 leaks: a fresh pod fills the resource in 300 s. The leak starts at 30 s."""
    leak = {"id": "leak", "kind": "resource_leak", "service": "api", "resource": resource}
    return tiny(faults=[{**leak, "fill": 300, "version": "v2", "at": 30}])


def _run(resource: str, *inputs: dict[str, Any]) -> Drill:
    return play(_sc(resource), [(400.0, i) for i in inputs], page_relative=False)


def _at(d: Drill, metric: str) -> list[float]:
    values = dict(series(d, metric))
    return [values[t] for t in TIMES]


def _states(d: Drill) -> list[tuple[float, str]]:
    return [(e.t, e.data["what"]) for e in d.log.events if e.type == "state"]


def test_a_memory_leak_crash_loops_the_fleet_every_fill() -> None:
    """Every pod is OOM-killed at 330 s and 645 s and 960 s: 20 s of 503s each time."""
    d = _run("memory")
    kills = [t for t, what in _states(d) if what == "pod OOMKilled"]
    assert kills == [330.0] * 4 + [645.0] * 4 + [960.0] * 4
    assert _at(d, "api.restarts") == [0.0, 4.0, 4.0, 8.0, 8.0, 12.0]
    assert dict(series(d, "api.err_5xx_pct"))[340.0] == 100.0


def test_restarting_a_leaking_fleet_only_buys_time() -> None:
    """Restarted pods start empty and are OOM-killed again 300 s after their restart."""
    d = _run("memory", RESTART)
    kills = [t for t, what in _states(d) if what == "pod OOMKilled"]
    assert kills[4:8] == [715.0, 735.0, 755.0, 775.0]


def test_rolling_back_to_code_without_the_leak_ends_it() -> None:
    """v1 does not leak: after the rollback no pod fills again."""
    d = _run("memory", ROLLBACK)
    assert [t for t, what in _states(d) if what == "pod OOMKilled"] == [330.0] * 4
    assert _at(d, "api.memory_used_pct")[2:] == [0.0, 0.0, 0.0, 0.0]


def test_raising_the_memory_limit_slows_the_next_fill() -> None:
    """Four times the memory: the next OOM is four fills away, past the drill's end."""
    d = _run("memory", {"type": "raise_limit", "service": "api", "resource": "memory", "factor": 4})
    assert [t for t, what in _states(d) if what == "pod OOMKilled"] == [330.0] * 4
    assert _at(d, "api.memory_used_pct") == [87.833, 0.0, 12.375, 29.042, 37.375, 70.708]


def test_exhausted_file_descriptors_fail_requests_until_a_restart_which_buys_time() -> None:
    """No crash: the pods stay up failing every request; a restart clears it for 300 s."""
    nothing = _run("fds")
    restarted = _run("fds", RESTART)
    fixed = _run("fds", ROLLBACK)
    assert _at(nothing, "api.err_5xx_pct") == [0.0, 100.0, 100.0, 100.0, 100.0, 100.0]
    assert _at(nothing, "api.healthy_pods") == [4.0] * 6
    assert _at(restarted, "api.err_5xx_pct") == [0.0, 100.0, 0.0, 0.0, 100.0, 100.0]
    assert _at(fixed, "api.err_5xx_pct") == [0.0, 100.0, 0.0, 0.0, 0.0, 0.0]


@pytest.mark.parametrize("move", [RESTART, ROLLBACK])
def test_a_full_disk_survives_restarts_and_rollbacks(move: dict[str, Any]) -> None:
    """The disk keeps what was written: the pods come back to a full disk."""
    d = _run("disk", move)
    assert _at(d, "api.err_5xx_pct") == [0.0, 100.0, 100.0, 100.0, 100.0, 100.0]
    assert _at(d, "api.disk_used_pct")[2:] == [100.0, 100.0, 100.0, 100.0]


def test_freeing_the_disk_fixes_it_until_the_leak_fills_it_again() -> None:
    """Freed 60 s after the ask; the leak goes on, so the disk fills again from zero."""
    d = _run("disk", {"type": "free_resource", "service": "api", "resource": "disk"})
    effects = [(e.t, e.data["what"]) for e in d.log.events if e.type == "effect"]
    assert effects == [(460.0, "disk space freed")]
    assert _at(d, "api.err_5xx_pct") == [0.0, 100.0, 0.0, 0.0, 100.0, 100.0]
    assert _at(d, "api.disk_used_pct")[:4] == [87.833, 100.0, 12.833, 79.5]


def test_freeing_memory_or_a_resource_that_is_not_leaking_is_refused() -> None:
    """Memory is freed by restarting; a service that is not leaking has nothing to free."""
    d = Drill(_sc("memory"), seed=0)
    d.advance(100)
    before = d.log.last_seq
    with pytest.raises(NotAllowed, match="memory cannot be freed while the process runs"):
        d.submit({"type": "free_resource", "service": "api", "resource": "memory"}, actor="a")
    with pytest.raises(NotAllowed, match="api is not running out of disk"):
        d.submit({"type": "raise_limit", "service": "api", "resource": "disk"}, actor="a")
    assert d.log.last_seq == before


def test_bad_leak_fields_are_located_errors() -> None:
    """An unknown version and flag; an unknown resource is a schema error."""
    doc: dict[str, Any] = {**BASE}
    doc["faults"] = [
        {
            "kind": "resource_leak",
            "service": "api",
            "resource": "disk",
            "version": "v9",
            "flag": "nope",
        }
    ]
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(doc)
    assert [str(p) for p in info.value.problems] == [
        "<scenario>: `faults[0].flag` names an unknown flag 'nope' (known: none declared)",
        "<scenario>: `faults[0].version` must be one of api's versions ['v1', 'v2'] (got 'v9')",
    ]
    doc["faults"] = [{"kind": "resource_leak", "service": "api", "resource": "cpu"}]
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(doc)
    assert [p.path for p in info.value.problems] == ["faults[0].resource"]
