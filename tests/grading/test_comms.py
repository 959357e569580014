"""Communication: a public update with substance, a cadence kept, no false all-clear."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.grading.helpers import Log


def update(
    log: Log, t: float, audience: str = "public", state: str = "identified", **kw: Any
) -> int:
    data: dict[str, Any] = {
        "impact": "About 10% of members cannot redeem.",
        "action": "Turning the new path off.",
        "next_update_min": 15,
    }
    data.update(kw)
    return log.input(t, "sam", type="status_update", audience=audience, state=state, **data)


def test_a_public_update_with_action_and_numbers_earns_timing_and_content() -> None:
    """A public update at page+4:00 naming action and a percentage earns 30 + 20."""
    log = Log(users=10.0).page(100.0)
    update(log, 340.0)
    g = log.grade()
    assert g.check("communication.public_update").detail == (
        "sam posted the first public update at page+4:00."
    )
    assert g.check("communication.public_update").points == 30.0
    c = g.check("communication.content")
    assert (c.points, c.detail) == (
        20.0,
        "The best public update (page+4:00) states what is being done and quantifies the impact.",
    )


def test_an_update_without_numbers_or_action_earns_no_content_points() -> None:
    """'Some users see errors' with no action scores 0 of 20 for content."""
    log = Log(users=10.0).page(100.0)
    update(log, 340.0, impact="Some users see errors.", action="")
    assert log.grade().check("communication.content").points == 0.0


def test_first_public_update_after_thirty_minutes_earns_half() -> None:
    """A first public update at page+35:00 is late: 15 of 30."""
    log = Log(users=10.0, until=2700.0).page(100.0)
    update(log, 2200.0)
    assert log.grade().check("communication.public_update").points == 15.0


def test_a_kept_cadence_earns_the_cadence_points() -> None:
    """15 minutes promised, next update 14 minutes later: cadence met, no penalty."""
    log = Log(users=10.0).page(100.0)
    update(log, 340.0)
    update(log, 1180.0, state="monitoring", next_update_min=30)
    g = log.grade()
    c = g.check("communication.cadence")
    assert (c.points, c.detail) == (
        20.0,
        "2 promise(s) of a next update, 1 kept and 1 still open at the end.",
    )
    assert g.check("communication.promise_broken").outcome == "clear"


def test_a_promised_update_that_never_came_is_penalised() -> None:
    """10 minutes promised at page+4:00 and nothing after: cadence 0 and -15."""
    log = Log(users=10.0).page(100.0)
    key = update(log, 340.0, next_update_min=10)
    g = log.grade()
    assert g.check("communication.cadence").points == 0.0
    c = g.check("communication.promise_broken")
    assert c.points == -15.0
    assert c.detail == (
        "The update at page+4:00 promised another within 10 min; none came by page+15:00."
    )
    assert [e.seq for e in c.evidence] == [log.seq(key)]


def test_a_promise_falling_due_after_the_drill_is_not_owed() -> None:
    """A 30-minute promise made at page+20:00 of a 30-minute drill is still open, not broken."""
    log = Log(users=10.0).page(100.0)
    update(log, 1300.0, next_update_min=30)
    g = log.grade()
    assert g.check("communication.cadence").points == 20.0
    assert g.check("communication.promise_broken").outcome == "clear"


def test_an_update_with_no_next_update_time_is_penalised() -> None:
    """An open public update without next_update_min costs 10 (resolved ones are exempt)."""
    log = Log(users=until_zero(500.0)).page(100.0)
    update(log, 340.0, next_update_min=None)
    update(log, 1200.0, state="resolved", next_update_min=None)
    c = log.grade().check("communication.no_next_update")
    assert (c.points, c.detail) == (
        -10.0,
        "The public update at page+4:00 gave no next-update time.",
    )


def test_declaring_resolved_while_impact_continues_is_penalised() -> None:
    """'resolved' at page+5:00 with 10% of users still affected: state wrong and -20."""
    log = Log(users=10.0).page(100.0)
    update(log, 400.0, state="resolved", next_update_min=None)
    g = log.grade()
    assert g.check("communication.state_accurate").detail == (
        "The update at page+5:00 said resolved while 10.0% of users were affected."
    )
    c = g.check("communication.false_resolved")
    assert c.points == -20.0
    assert c.detail == (
        "sam declared resolved at page+5:00 but impact was at or above 5% of users at page+5:00."
    )


def test_resolved_after_impact_has_ended_is_accurate() -> None:
    """'monitoring' and 'resolved' posted after impact ended are both accurate."""
    log = Log(users=until_zero(500.0)).page(100.0)
    update(log, 600.0, state="monitoring")
    update(log, 1100.0, state="resolved", next_update_min=None)
    g = log.grade()
    assert g.check("communication.state_accurate").points == 15.0
    assert g.check("communication.false_resolved").outcome == "clear"


def test_internal_updates_count_separately_from_public_ones() -> None:
    """An executive update at page+6:00 earns communication.internal; public ones do not."""
    only_public = Log(users=10.0).page(100.0)
    update(only_public, 340.0)
    both = Log(users=10.0).page(100.0)
    update(both, 340.0)
    update(both, 460.0, audience="executive")
    assert only_public.grade().check("communication.internal").points == 0.0
    c = both.grade().check("communication.internal")
    assert (c.points, c.detail) == (15.0, "sam sent an executive update at page+6:00.")


def until_zero(t_end: float) -> Callable[[float], float]:
    return lambda t: 10.0 if 90.0 <= t < t_end else 0.0
