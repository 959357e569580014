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
