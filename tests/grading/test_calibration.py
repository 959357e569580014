"""Calibration on the library's reference scripts: strong, weak and harmful play.

Scripts come from tests/reference/<scenario-id>/ (the library's), falling
back to tests/grading/scripts/<scenario-id>/ for a scenario the library has
not covered yet; ``mini`` is this suite's own fixture scenario.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.grading import Grade
from tests.grading.helpers import REFERENCE, ROOT, SCRIPTS, graded, steps_of

KINDS = ("strong", "weak", "harmful")


def script_dir(scenario_id: str) -> Path | None:
    for base in (REFERENCE, SCRIPTS):
        if all((base / scenario_id / f"{k}.yaml").exists() for k in KINDS):
            return base / scenario_id
    return None


IDS = ["mini", *sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))]


def play(scenario_id: str, kind: str) -> Grade:
    where = script_dir(scenario_id)
    if where is None:
        pytest.skip(f"no strong/weak/harmful scripts for {scenario_id} yet")
    return graded(scenario_id, steps_of(where / f"{kind}.yaml"))


@pytest.mark.parametrize("scenario_id", IDS)
def test_strong_play_scores_85_overall_and_70_in_every_dimension(scenario_id: str) -> None:
    """The incident-commander play scores >= 85 overall and >= 70 on each dimension."""
    g = play(scenario_id, "strong")
    assert g.overall >= 85, g.scores
    assert min(d.score for d in g.dimensions) >= 70, g.scores


@pytest.mark.parametrize("scenario_id", IDS)
def test_weak_play_scores_35_at_most_with_no_command_or_communication(scenario_id: str) -> None:
    """'Read the logs, find the bug, deploy' scores <= 35, command and comms <= 10."""
    g = play(scenario_id, "weak")
    assert g.overall <= 35, g.scores
    assert g.dimension("command").score <= 10, g.scores
    assert g.dimension("communication").score <= 10, g.scores


@pytest.mark.parametrize("scenario_id", IDS)
def test_harmful_play_loses_mitigation_points_and_says_why(scenario_id: str) -> None:
    """Harmful play scores far below strong on mitigation, with a penalty that names why."""
    g, strong = play(scenario_id, "harmful"), play(scenario_id, "strong")
    assert g.dimension("mitigation").score <= strong.dimension("mitigation").score - 40, g.scores
    penalties = [c for c in g.dimension("mitigation").checks if c.points < 0]
    assert penalties, g.scores
    for m in g.mitigations:
        if m.rule == "harmful" and m.why:
            assert m.why in g.check("mitigation.harmful").detail
    assert all(c.detail and c.evidence and c.stronger for c in penalties)
