"""Blast radius: looks, impact statements against the simulated truth, root cause last."""

from __future__ import annotations

from tests.grading.helpers import Log


def ramp(t: float) -> float:
    """Users affected: 0 until 100 s, then +1 point a minute up to 20%."""
    return 0.0 if t < 100 else min(20.0, (t - 100) / 60.0)


def test_breakdown_of_the_failing_service_earns_full_points() -> None:
    """view_dashboard of a service whose 5xx reached 2% at page+1:00 earns 25."""
    log = Log(users=10.0).page(100.0)
    key = log.input(
        160.0, "priya", type="view_dashboard", service="rewards-api", breakdown="endpoint"
    )
    c = log.grade().check("blast_radius.breakdown")
    assert (c.points, c.actors) == (25.0, ("priya",))
    assert c.detail == "priya opened rewards-api/endpoint (an affected service) at page+1:00."
    assert [e.seq for e in c.evidence] == [log.seq(key)]


def test_breadth_wants_two_distinct_views() -> None:
    """The same panel twice is one view (half); endpoint plus database is two (full)."""
    same = Log(users=10.0).page(100.0)
    for t in (160.0, 220.0):
        same.input(t, "priya", type="view_dashboard", service="rewards-api", breakdown="endpoint")
    two = Log(users=10.0).page(100.0)
    two.input(160.0, "priya", type="view_dashboard", service="rewards-api", breakdown="endpoint")
    two.input(220.0, "priya", type="inspect_database", database="rewards-db")
    assert same.grade().check("blast_radius.breadth").points == 7.5
    c = two.grade().check("blast_radius.breadth")
    assert c.points == 15.0
    assert c.detail == (
        "2 distinct view(s) within 15:00, 2 within 25:00: rewards-api/endpoint, "
        "inspect_database:rewards-db."
    )


def looked(log: Log, t: float = 150.0) -> Log:
    """A detail look at the failing service, so statements after it are not guesses."""
    log.input(t, "priya", type="view_dashboard", service="rewards-api", breakdown="endpoint")
    return log


def users_check(users: float, *said: float) -> tuple[float, str]:
    log = looked(Log(users=users).page(100.0))
    for i, pct in enumerate(said):
        log.input(
            200.0 + 60 * i,
            "alex",
            type="state_impact",
            users_pct=pct,
            trend="stable",
            data="intact",
        )
    c = log.grade().check("blast_radius.users")
    return c.points, c.detail


def test_a_stated_share_within_three_points_of_the_truth_is_right() -> None:
    """12% stated when the simulation has 10% earns the users check, citing the sample."""
    log = looked(Log(users=10.0).page(100.0))
    log.input(200.0, "alex", type="state_impact", users_pct=12, trend="stable", data="intact")
    c = log.grade().check("blast_radius.users")
    assert (c.points, c.detail) == (
        15.0,
        "Latest: alex said 12% of users; the simulation had 10.0% (users affected) (true) "
        "at page+1:40.",
    )
    assert [e.type for e in c.evidence] == ["metrics", "input"]


def test_accuracy_falls_continuously_with_the_size_of_the_error() -> None:
    """Within tolerance full marks; then linearly less to nothing at three times it."""
    assert users_check(40.0, 48)[0] == 15.0  # off 8, tolerance 10
    assert users_check(40.0, 60)[0] == 7.5  # off 20: halfway to 30
    assert users_check(40.0, 90)[0] == 0.0  # off 50: nothing (it used to earn 85% of it)
    assert users_check(40.0, 12)[0] == 1.5  # off 28: a tenth of the points
    assert users_check(40.0, 12, 40)[0] == 8.25  # latest right (1), worst a tenth: mean


def test_latest_and_worst_statements_count_not_the_best() -> None:
    """Five wrong statements and one right one score far below one right statement."""
    right, _ = users_check(10.0, 10)
    mixed, detail = users_check(10.0, 50, 50, 50, 50, 50, 10)
    assert (right, mixed) == (15.0, 7.5)
    assert detail.startswith("Worst: alex said 50% of users; the simulation had 10.0% ")
    assert "latest: alex said 10% of users" in detail


def test_a_guessed_statement_before_any_look_earns_half() -> None:
    """The same right statement with no detail look before it is a guess: half credit."""
    log = Log(users=10.0).page(100.0)
    log.input(200.0, "alex", type="state_impact", users_pct=10, trend="stable", data="intact")
    c = log.grade().check("blast_radius.users")
    assert c.points == 7.5
    assert c.detail.endswith("1 of 1 made before any detail look (half credit).")


def test_a_share_stated_in_a_status_update_counts_as_an_impact_statement() -> None:
    """'About 8% of shoppers' in a public update states the impact (and is checked)."""
    log = looked(Log(users=8.0).page(100.0))
    log.input(
        400.0,
        "sam",
        type="status_update",
        audience="public",
        state="identified",
        impact="About 8% of shoppers cannot check out.",
        next_update_min=15,
    )
    g = log.grade()
    assert g.check("blast_radius.impact_stated").detail == (
        "sam stated the impact at page+5:00 (status_update (public))."
    )
    assert g.check("blast_radius.impact_stated").points == 20.0
    assert g.check("blast_radius.users").points == 15.0


def test_trend_is_compared_with_the_slope_over_three_minutes() -> None:
    """With impact climbing a point a minute, 'rising' is right and 'stable' is wrong."""
    up = looked(Log(users=ramp).page(100.0))
    up.input(700.0, "alex", type="state_impact", users_pct=10, trend="rising", data="intact")
    flat = looked(Log(users=ramp).page(100.0))
    flat.input(700.0, "alex", type="state_impact", users_pct=10, trend="stable", data="intact")
    assert up.grade().check("blast_radius.trend").points == 10.0
    c = flat.grade().check("blast_radius.trend")
    assert (c.points, c.detail) == (
        0.0,
        "Latest: alex said stable; the simulation had rising (false) at page+10:00.",
    )


def test_a_plateau_after_a_climb_may_be_called_rising_or_stable() -> None:
    """Flat for the last minute after a climb: both readings are fair."""

    def shape(t: float) -> float:
        return min(10.0, max(0.0, (t - 100) / 12.0))  # reaches 10% at 220 s, then flat

    log = looked(Log(users=shape).page(100.0))
    log.input(300.0, "alex", type="state_impact", users_pct=10, trend="stable", data="intact")
    c = log.grade().check("blast_radius.trend")
    assert (c.points, c.detail) == (
        10.0,
        "Latest: alex said stable; the simulation had rising or stable (true) at page+3:20.",
    )


def test_data_intact_is_wrong_once_rows_are_being_corrupted() -> None:
    """rows_corrupted above zero makes the truth 'corrupted'; 'intact' earns nothing."""
    log = looked(Log(users=10.0, rows=lambda t: max(0.0, t - 150.0)).page(100.0))
    log.input(300.0, "alex", type="state_impact", users_pct=10, trend="stable", data="intact")
    c = log.grade().check("blast_radius.data")
    assert (c.points, c.detail) == (
        0.0,
        "Latest: alex said data intact; the simulation had data corrupted (false) at page+3:20.",
    )


def test_consumer_lag_makes_data_delayed() -> None:
    """A topic's consumer lag above 1000 messages makes 'delayed' the right answer."""
    log = looked(Log(users=10.0, extra=lambda t: {"orders.consumer_lag": 50_000.0}).page(100.0))
    log.input(300.0, "alex", type="state_impact", users_pct=10, trend="stable", data="delayed")
    assert log.grade().check("blast_radius.data").points == 15.0


def test_reading_logs_before_any_assessment_is_penalised() -> None:
    """read_logs before the first dashboard costs 20 and says when the assessment came."""
    log = Log(users=10.0).page(100.0)
    key = log.input(130.0, "ben", type="read_logs", service="rewards-api")
    log.input(400.0, "ben", type="view_dashboard", service="rewards-api", breakdown="pod")
    c = log.grade().check("blast_radius.root_cause_first")
    assert c.points == -20.0
    assert c.detail == (
        "ben went after the root cause (read_logs) at page+0:30; the first "
        "assessment came at page+5:00."
    )
    assert c.evidence[0].seq == log.seq(key)
    assert c.actors == ("ben",)


def test_looking_at_impact_first_clears_the_root_cause_penalty() -> None:
    """A dashboard before list_changes leaves blast_radius.root_cause_first clear."""
    log = Log(users=10.0).page(100.0)
    log.input(130.0, "ben", type="view_dashboard", service="rewards-api", breakdown="pod")
    log.input(140.0, "ben", type="list_changes")
    c = log.grade().check("blast_radius.root_cause_first")
    assert (c.points, c.outcome, c.evidence) == (0.0, "clear", ())
