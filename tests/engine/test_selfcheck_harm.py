"""`firedrill check`: a harmful reference play must do harm; directories are accepted."""

from __future__ import annotations

import shutil
from pathlib import Path

from engine.script import DecisionScript
from engine.selfcheck import check

from .inline import tiny
from .test_cli_headless import ROOT, firedrill


def _harmful(step: str) -> DecisionScript:
    return DecisionScript.from_yaml(f"name: h\nsteps:\n  - {{at: page+1m, {step}}}\n")


SC = tiny(
    faults=[
        {
            "kind": "pod_failure",
            "service": "api",
            "pod": "all",
            "shared_cause": "config",
            "error_pct": 50,
            "at": 60,
        }
    ]
)


def _harm_findings(step: str) -> list[str]:
    return [str(f) for f in check(SC, None, (0,), _harmful(step)) if f.code.startswith("harmful")]


def test_a_harmful_play_that_does_no_harm_fails_the_check() -> None:
    """Restarting pods that share a bad config changes no harm figure: that is an error."""
    assert _harm_findings("do: restart, target: api, mode: rolling") == [
        "error: [harmful.harmless] seed 0: h never does more harm than doing nothing "
        "(largest leads: impact_minutes +0.0, rows_corrupted +0.0, money_lost +0.0, "
        "failed_requests +0.0): a move the scenario calls harmful must do harm in the simulation"
    ]


def test_a_harmful_play_that_does_harm_passes() -> None:
    """Scaling in to one pod saturates it: more requests fail than when doing nothing."""
    assert _harm_findings("do: scale, service: api, pods: 1") == []


def test_check_accepts_a_directory_of_scenarios(tmp_path: Path) -> None:
    """A directory stands for its *.yaml files; an empty one is an error naming it."""
    lib = tmp_path / "scenarios"
    lib.mkdir()
    shutil.copy(ROOT / "scenarios" / "gateway-bad-pod.yaml", lib)
    r = firedrill("check", str(lib), "--seeds", "0")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("gateway-bad-pod: ok (seeds 0, gateway-bad-pod strong")
    assert r.stdout.endswith("all 1 scenario(s) pass\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    r = firedrill("check", str(empty))
    assert (r.returncode, r.stderr) == (2, f"error: no scenarios (*.yaml) in {empty}\n")


def _late_found(pause_at: str) -> list[str]:
    """A stale writer corrupts every row from T+0; the integrity check pages two minutes
    in; the strong play switches the writes off with a kill switch at ``pause_at``."""
    pause = {
        "endpoint": "POST /import",
        "when_flag": "import-pause",
        "error_pct": 100,
        "log": "INFO import paused by flag import-pause",
    }
    sc = tiny(
        api={
            "version": "v1",
            "versions": [{"name": "v1", "effects": [pause]}, {"name": "v2", "effects": [pause]}],
            "endpoints": [{"name": "POST /import", "share": 1.0, "writes": True}],
        },
        topology={
            "flags": [
                {"name": "import-pause", "enabled": False, "propagation": 10, "kill_switch": True}
            ]
        },
        changes=[
            {
                "id": "deploy-v2",
                "kind": "deploy",
                "at": -3600,
                "service": "api",
                "version": "v2",
                "summary": "api v2 (rollout halted: every pod still on v1)",
                "migration": {"id": "m1", "reversible": False, "corrupt_pct": 100},
            }
        ],
        alerts=[
            {
                "name": "Integrity",
                "metric": "business.rows_corrupted",
                "op": ">",
                "threshold": 0,
                "for": 120,
                "severity": "page",
            }
        ],
    )
    strong = DecisionScript.from_yaml(
        f"name: s\nsteps:\n  - {{at: {pause_at}, do: set_flag, flag: import-pause, "
        "enabled: true}\n"
    )
    return [str(f) for f in check(sc, strong, (0,)) if f.code == "strong.damage"]


def test_rows_corrupted_before_the_page_are_not_the_strong_plays_damage() -> None:
    """Damage found late (every row since T+0 is wrong at the page) is nobody's play, nor
    the rows written while the kill switch propagates: stopping the writes at the page
    leaves no damage of the play's own."""
    assert _late_found("page") == []


def test_a_strong_play_that_lets_corruption_run_after_the_page_fails_the_check() -> None:
    """Pausing the writes five minutes after the page lets four more minutes of rows be
    written wrong than the minute's grace: that damage is the play's, and the check says so."""
    assert _late_found("page+5m") == [
        "error: [strong.damage] seed 0: s corrupts 100,000 rows after page+1m"
    ]
