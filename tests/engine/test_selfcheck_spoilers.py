"""`firedrill check`: what players see before they look (title, symptom, audience) must not
give the cause or the fix away (the scenario's `truth.giveaways`)."""

from __future__ import annotations

from typing import Any

from engine.selfcheck import spoilers

from .inline import BASE, tiny


def _found(**changes: Any) -> list[str]:
    truth = {**BASE["truth"], "giveaways": ["certificate", "rotate"]}
    return [str(f) for f in spoilers(tiny(truth=truth, **changes))]


def test_a_title_naming_the_cause_fails_the_check() -> None:
    assert _found(title="Logins fail: the mTLS Certificate expired") == [
        "error: [spoiler] the title 'Logins fail: the mTLS Certificate expired' says "
        "'certificate', which gives the cause or the fix away: players see it before they "
        "have looked at anything"
    ]


def test_the_symptom_and_audience_are_checked_too_as_whole_words() -> None:
    """'certificates' is not 'certificate'; 'rotate' in the audience is caught."""
    assert _found(title="Logins fail", symptom="PAGE LoginErrors: 5xx above 5%") == []
    assert _found(title="Logins fail", audience="people who rotate certificates") == [
        "error: [spoiler] the audience 'people who rotate certificates' says 'rotate', which "
        "gives the cause or the fix away: players see it before they have looked at anything"
    ]


def test_garbage_giveaways_and_sources_are_located_errors() -> None:
    """A one-letter giveaway, a source date that is not YYYY-MM-DD, an empty organisation:
    each refused with its field, nothing loaded."""
    import pytest

    from engine.errors import ScenarioError

    cases = [
        ({"truth": {**BASE["truth"], "giveaways": ["x"]}}, "`truth.giveaways[0]`"),
        (
            {"source": {"title": "t", "url": "https://example.org", "date": "last May"}},
            "`source.date`",
        ),
        (
            {"source": {"title": "t", "url": "https://example.org", "organisation": ""}},
            "`source.organisation`",
        ),
    ]
    for changes, field in cases:
        with pytest.raises(ScenarioError) as info:
            tiny(**changes)
        assert [str(p) for p in info.value.problems if field in str(p)], info.value.problems
