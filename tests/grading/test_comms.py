"""Communication: updates whose claims are true, a cadence kept, no false all-clear."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.grading.helpers import Log


def update(
    log: Log, t: float, audience: str = "public", state: str = "identified", **kw: Any
) -> int:
    data: dict[str, Any] = {
        "impact": "About 10% of members cannot redeem.",
        "next_update_min": 15,
    }
    data.update(kw)
    return log.input(t, "sam", type="status_update", audience=audience, state=state, **data)


def test_a_public_update_with_action_and_numbers_earns_timing_and_content() -> None:
    """A public update at page+4:00 naming the flag really turned off and a true share
    earns 25 + 20."""
    log = Log(users=10.0).page(100.0)
    log.input(300.0, "ana", type="set_flag", flag="rewards-v2", enabled=False)
    update(log, 340.0, action="We turned the new path off with its feature flag.")
    g = log.grade()
    assert g.check("communication.public_update").detail == (
        "sam posted a public update at page+4:00."
    )
    assert g.check("communication.public_update").points == 25.0
    c = g.check("communication.content")
    assert (c.points, c.detail) == (
        20.0,
        "Sam said set_flag; the simulation had set_flag submitted at page+3:20 (true) at "
        "page+4:00; the worst share stated: sam said 10% of users; the simulation had 10.0% "
        "(users affected) (true).",
    )


def test_an_update_naming_an_action_nobody_took_counts_for_nothing() -> None:
    """'We rolled back' with no rollback: no timing credit, no content, a false claim."""
    log = Log(users=10.0).page(100.0)
    update(log, 340.0, action="We rolled back the release.")
    g = log.grade()
    assert g.check("communication.public_update").points == 0.0
    assert g.check("communication.content").points == 10.0  # the true share alone
    c = g.check("communication.false_claim")
    assert (c.points, c.detail) == (
        -10.0,
        "sam said rollback; the simulation had no rollback submitted (false) at page+4:00 "
        "(status_update (public); nobody ran rollback).",
    )


def test_a_wrong_share_costs_by_the_size_of_the_error() -> None:
    """12% stated while 40% fail: content share nearly nothing, a false-claim penalty."""
    log = Log(users=40.0).page(100.0)
    update(log, 340.0, impact="About 12% of members cannot redeem.")
    g = log.grade()
    assert g.check("communication.content").points == 1.0  # a tenth of the share's 10
    assert g.check("communication.false_claim").points == -9.0


def test_mitigated_in_an_executive_update_while_impact_lasts_is_false() -> None:
    """'mitigated' to the executives while half the users fail is a false claim."""
    log = Log(users=50.0).page(100.0)
    update(log, 400.0, audience="executive", impact="The incident is mitigated.")
    g = log.grade()
    c = g.check("communication.false_claim")
    assert c.points == -10.0
    assert c.detail.startswith("sam said mitigated; the simulation had 50.0% of users affected")
    assert g.check("communication.internal").points == 0.0


def test_an_update_of_empty_words_counts_a_quarter_and_keeps_no_promise() -> None:
    """'ok' under 'identified' says nothing checkable: a quarter of the timing credit, and
    an 'ok' follow-up does not keep the promised cadence."""
    log = Log(users=10.0).page(100.0)
    update(log, 340.0, impact="ok")
    update(log, 900.0, impact="ok")
    g = log.grade()
    assert g.check("communication.public_update").points == 6.25
    assert g.check("communication.cadence").points == 0.0
    assert g.check("communication.state_accurate").points == 0.0


def test_a_promise_longer_than_an_hour_is_not_a_cadence() -> None:
    """next update in 240 min: no cadence credit, counted as no next-update time."""
    log = Log(users=10.0).page(100.0)
    update(log, 340.0, next_update_min=240)
    g = log.grade()
    assert g.check("communication.cadence").points == 0.0
    assert g.check("communication.no_next_update").detail == (
        "The public update at page+4:00 promised the next update in 240 min, longer than "
        "an hour: not a cadence."
    )


def test_first_public_update_after_thirty_minutes_earns_half() -> None:
    """A first public update at page+35:00 is late: 12.5 of 25."""
    log = Log(users=10.0, until=2700.0).page(100.0)
    update(log, 2200.0)
    assert log.grade().check("communication.public_update").points == 12.5


def test_a_kept_cadence_earns_the_cadence_points() -> None:
    """15 minutes promised, next update 14 minutes later: cadence met, no penalty."""
    log = Log(users=10.0).page(100.0)
    update(log, 340.0)
    update(log, 1180.0, state="identified", next_update_min=30)
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
    """'resolved' at page+5:00 with 10% of users still affected: claims wrong and -20."""
    log = Log(users=10.0).page(100.0)
    update(log, 400.0, state="resolved", next_update_min=None)
    g = log.grade()
    assert g.check("communication.state_accurate").detail == (
        "1 of 2 claims did not match; worst: sam said resolved; the simulation had 10.0% of "
        "users affected (false) at page+5:00; latest: sam said 10% of users; the simulation "
        "had 10.0% (users affected) (true)."
    )
    c = g.check("communication.false_resolved")
    assert c.points == -20.0
    assert c.detail == (
        "sam declared resolved at page+5:00 but harm was still ongoing at page+5:00."
    )


def test_resolved_after_impact_has_ended_is_accurate() -> None:
    """'monitoring' and 'resolved' posted after impact ended, saying so, are accurate."""
    log = Log(users=until_zero(500.0)).page(100.0)
    update(log, 600.0, state="monitoring", impact="Redemptions work again.")
    update(log, 1100.0, state="resolved", next_update_min=None, impact="Back to normal.")
    g = log.grade()
    assert g.check("communication.state_accurate").points == 20.0
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
