"""Blameless language: every generated postmortem is scanned for the documented blame patterns."""

from __future__ import annotations

import pytest

from engine.postmortem import TEMPLATES, find_blame, postmortem_markdown

from .runs import draft, runs


@pytest.mark.parametrize(("scenario_id", "script"), runs())
def test_generated_postmortems_are_blameless(scenario_id: str, script: str) -> None:
    """No library run, in any template, contains blame phrasing."""
    for template in TEMPLATES:
        md = postmortem_markdown(draft(scenario_id, script, template))
        assert find_blame(md) == [], (template, find_blame(md))


@pytest.mark.parametrize(
    "text",
    [
        "The outage was caused by human error.",
        "It was Bob's fault.",
        "The operator was careless with the flag.",
        "The on-call engineer forgot to check the migration.",
        "Someone should have noticed the alert.",
        "The team dropped the ball on the rollout.",
        "We blame the release manager.",
        "A sloppy review let it through.",
    ],
)
def test_blame_phrases_are_found(text: str) -> None:
    """Each documented pattern family catches its phrasing."""
    assert find_blame(text) != []


@pytest.mark.parametrize(
    "text",
    [
        "The pipeline has no automated error-rate gate that holds a rollout.",
        "Done when a staging fault of 14 s latency yields fast declines within 2 s.",
        "Nobody took incident command.",
        "IC (alex) rolled back checkout-api at T+09:31.",
        "The canary missed the coupon path at its traffic share.",
        "Fault v88-deploy (deploy) began.",
    ],
)
def test_neutral_sentences_pass(text: str) -> None:
    """Facts about systems and roles are not flagged."""
    assert find_blame(text) == []


def test_went_wrong_names_roles_not_people() -> None:
    """Gaps name the role ('Responder'), never the person; credit names both."""
    pm = draft("loyalty-irreversible-migration", "harmful")
    wrong = " ".join(f.text + (f.stronger or "") for f in pm.went_wrong)
    assert "player" not in wrong and "Responder" in wrong
    well = " ".join(f.text for f in draft("checkout-deploy-500s", "strong").went_well)
    assert "IC (alex)" in well
