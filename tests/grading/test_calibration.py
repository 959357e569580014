"""Calibration on the library's reference scripts: strong, weak and harmful play.

Scripts come from tests/reference/<scenario-id>/ (the library's), falling
back to tests/grading/scripts/<scenario-id>/ for a scenario the library has
not covered yet; ``mini`` is this suite's own fixture scenario.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.grading import Grade
from tests.grading import plays as P
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


def strong_steps(scenario_id: str) -> list[dict[str, object]]:
    where = script_dir(scenario_id)
    if where is None:
        pytest.skip(f"no reference scripts for {scenario_id} yet")
    return steps_of(where / "strong.yaml")


@pytest.mark.parametrize("scenario_id", IDS)
def test_the_model_answers_timeline_scores_80_with_every_dimension_65(scenario_id: str) -> None:
    """Command 0-5 min, blast radius 5-15, mitigate 15-25, communicate 25-30: >= 80 overall,
    >= 65 on every dimension."""
    steps = strong_steps(scenario_id)
    if any("at" not in s for s in steps):
        pytest.skip("its strong play reacts to the dashboards (`when:` steps): no fixed timeline")
    g = graded(scenario_id, P.textbook(scenario_id, steps))
    assert g.overall >= 80, g.scores
    assert min(d.score for d in g.dimensions) >= 65, g.scores


@pytest.mark.parametrize("scenario_id", IDS)
def test_a_play_that_never_mitigates_scores_40_at_most_however_well_it_talks(
    scenario_id: str,
) -> None:
    """The strong play's every word and look, no mitigation: <= 40 overall."""
    g = graded(scenario_id, P.silent_mitigation(strong_steps(scenario_id)))
    assert g.overall <= 40, g.scores
    assert any(n.startswith("overall capped at 40") for n in g.notes) or g.overall < 40


@pytest.mark.parametrize("scenario_id", IDS)
def test_the_strong_play_takes_no_mitigation_blind(scenario_id: str) -> None:
    """Every lever of the strong play comes after a look at its signal (a certificate's
    rotation after its logs or its dependency, a cache warm-up after its database...)."""
    g = graded(scenario_id, strong_steps(scenario_id))
    assert g.check("mitigation.blind").points == 0, g.check("mitigation.blind")


@pytest.mark.parametrize("scenario_id", IDS)
def test_a_blind_play_scores_at_least_10_below_the_same_play_with_its_looks(
    scenario_id: str,
) -> None:
    """The strong play without a single detail look: at least 10 points lower overall."""
    steps = strong_steps(scenario_id)
    blind, seen = graded(scenario_id, P.blind(scenario_id, steps)), graded(scenario_id, steps)
    assert blind.overall <= seen.overall - 10, (blind.scores, seen.scores)
    assert blind.check("mitigation.blind").points < 0


@pytest.mark.parametrize("scenario_id", IDS)
def test_false_claims_cost_25_on_communication_and_on_blast_radius(scenario_id: str) -> None:
    """The same play with every statement made false: >= 25 lower on both dimensions."""
    steps = strong_steps(scenario_id)
    lying, honest = graded(scenario_id, P.false_claims(steps)), graded(scenario_id, steps)
    for dim in ("communication", "blast_radius"):
        assert lying.dimension(dim).score <= honest.dimension(dim).score - 25, (
            dim,
            lying.scores,
            honest.scores,
        )


@pytest.mark.parametrize("scenario_id", IDS)
def test_empty_texts_score_50_at_most_on_communication(scenario_id: str) -> None:
    """Every text of the strong play replaced by "ok": communication <= 50."""
    g = graded(scenario_id, P.empty_texts(strong_steps(scenario_id)))
    assert g.dimension("communication").score <= 50, g.scores
