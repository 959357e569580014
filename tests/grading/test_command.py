"""Command: IC, severity, roles, channel, one commander, no crossed mitigations."""

from __future__ import annotations

from engine.grading import Check
from tests.grading.helpers import Log


def cited(check: Check) -> list[tuple[int, float]]:
    return [(e.seq, e.t) for e in check.evidence]


def test_taking_command_within_five_minutes_earns_full_points() -> None:
    """take_command 30 s after the page earns all 35 points and cites the input."""
    log = Log().page(100.0)
    key = log.input(130.0, "alex", type="take_command")
    c = log.grade().check("command.ic")
    assert (c.points, c.max_points, c.outcome) == (35.0, 35.0, "met")
    assert c.detail == "alex took command at page+0:30."
    assert c.stronger is None
    assert cited(c) == [(log.seq(key), 130.0)]
    assert c.actors == ("alex",)


def test_taking_command_late_earns_half_and_says_when() -> None:
    """Command taken at page+7:00 (inside the 10-minute late window) earns half."""
    log = Log().page(100.0)
    log.input(520.0, "alex", type="take_command")
    c = log.grade().check("command.ic")
    assert (c.points, c.outcome) == (17.5, "partial")
    assert c.stronger == (
        "Say you are incident commander (take_command, or assign_role ic) "
        "within 5:00 of the page, so one person decides and everyone else "
        "executes."
    )


def test_assigning_ic_to_someone_else_counts_and_credits_the_assigner() -> None:
    """assign_role ic makes the named person IC; the points go to whoever assigned it."""
    log = Log().page(100.0)
    log.input(150.0, "sam", type="assign_role", person="alex", role="ic")
    c = log.grade().check("command.ic")
    assert (c.points, c.detail, c.actors) == (35.0, "sam made alex IC at page+0:50.", ("sam",))


def test_no_commander_is_a_penalty_citing_the_page_and_the_end() -> None:
    """With no IC at all, command.ic earns nothing and command.no_ic takes 20 points."""
    log = Log().page(100.0)
    g = log.grade()
    ic, none = g.check("command.ic"), g.check("command.no_ic")
    assert (ic.points, ic.outcome) == (0.0, "missed")
    assert (none.points, none.outcome) == (-20.0, "penalty")
    assert none.detail == "Nobody was incident commander at any point."
    assert [e.type for e in none.evidence] == ["page", "drill.ended"]
    assert g.dimension("command").score == 0


def test_roles_need_two_people_for_full_points() -> None:
    """One named role earns half of command.roles, two earn all of it; ic does not count."""
    one = Log().page(100.0)
    one.input(120.0, "alex", type="assign_role", person="alex", role="ic")
    one.input(130.0, "alex", type="assign_role", person="sam", role="comms")
    two = Log().page(100.0)
    two.input(130.0, "alex", type="assign_role", person="sam", role="comms")
    two.input(140.0, "alex", type="assign_role", person="priya", role="ops")
    assert one.grade().check("command.roles").points == 12.5
    c = two.grade().check("command.roles")
    assert c.points == 25.0
    assert c.detail == (
        "2 person(s) given a role within 5:00 and 2 within 10:00: sam as comms "
        "at page+0:30, priya as ops at page+0:40."
    )


def test_severity_and_channel_are_timed_from_the_page() -> None:
    """Severity at page+1:00 earns 20; the first chat at page+11:00 earns nothing."""
    log = Log().page(100.0)
    log.input(160.0, "alex", type="declare_incident", severity="SEV2")
    log.input(760.0, "alex", type="chat", text="here")
    g = log.grade()
    assert g.check("command.severity").points == 20.0
    assert g.check("command.severity").detail == "alex declared SEV2 at page+1:00."
    assert (g.check("command.channel").points, g.check("command.channel").outcome) == (
        0.0,
        "missed",
    )


def test_a_second_claim_of_command_without_handover_breaks_single_ic() -> None:
    """Two people taking command lose command.single_ic; the detail names both."""
    log = Log().page(100.0)
    log.input(110.0, "alex", type="take_command")
    log.input(200.0, "ben", type="take_command")
    c = log.grade().check("command.single_ic")
    assert (c.points, c.detail) == (0.0, "ben claimed command at page+1:40 while alex held it.")


def test_an_explicit_handover_keeps_single_ic() -> None:
    """The commander handing IC over with assign_role keeps command.single_ic."""
    log = Log().page(100.0)
    log.input(110.0, "alex", type="take_command")
    log.input(200.0, "alex", type="assign_role", person="ben", role="ic")
    c = log.grade().check("command.single_ic")
    assert (c.points, c.detail) == (
        10.0,
        "Command stayed with one person at a time (ben at the end).",
    )


def test_one_player_undoing_anothers_mitigation_without_a_decision_is_penalised() -> None:
    """ben turns the flag back on a minute after ana turned it off: -15, both cited."""
    log = Log(users=10.0).page(100.0)
    a = log.input(200.0, "ana", type="set_flag", flag="rewards-v2", enabled=False)
    b = log.input(260.0, "ben", type="set_flag", flag="rewards-v2", enabled=True)
    c = log.grade().check("command.conflicting_mitigations")
    assert c.points == -15.0
    assert c.detail == (
        "ana's set_flag rewards-v2 off (page+1:40) and ben's set_flag rewards-v2 on "
        "(page+2:40) contradict each other (flag flipped back) with no decision from the "
        "commander between them."
    )
    assert [e.seq for e in c.evidence] == [log.seq(a), log.seq(b)]
    assert c.actors == ("ana", "ben")


def test_complementary_moves_by_two_players_are_no_conflict() -> None:
    """A flag off and a rolling restart by two people do not contradict: no penalty."""
    log = Log(users=10.0).page(100.0)
    log.input(200.0, "ana", type="set_flag", flag="rewards-v2", enabled=False)
    log.input(260.0, "ben", type="restart", target="rewards-api", mode="rolling")
    c = log.grade().check("command.conflicting_mitigations")
    assert (c.points, c.outcome) == (0.0, "clear")


def test_scaling_back_down_what_another_scaled_up_is_a_conflict() -> None:
    """4 -> 8 pods by ana, then 8 -> 2 by ben: the level moved back the other way."""
    log = Log(users=10.0).page(100.0)
    log.input(200.0, "ana", type="scale", service="rewards-api", pods=8)
    log.input(260.0, "ben", type="scale", service="rewards-api", pods=2)
    assert "pods moved back the other way (4 -> 8 -> 2)" in (
        log.grade().check("command.conflicting_mitigations").detail
    )


def test_a_commander_decision_between_mitigations_clears_the_conflict() -> None:
    """The IC's decide between the two contradicting mitigations removes the penalty."""
    log = Log(users=10.0).page(100.0)
    log.input(110.0, "alex", type="take_command")
    log.input(200.0, "ana", type="set_flag", flag="rewards-v2", enabled=False)
    log.input(230.0, "alex", type="decide", text="flag back on, it was not the flag")
    log.input(260.0, "ben", type="set_flag", flag="rewards-v2", enabled=True)
    c = log.grade().check("command.conflicting_mitigations")
    assert (c.points, c.outcome) == (0.0, "clear")


def test_a_decision_by_someone_who_is_not_commander_does_not_count() -> None:
    """A decide from a non-commander between two contradicting mitigations leaves it."""
    log = Log(users=10.0).page(100.0)
    log.input(110.0, "alex", type="take_command")
    log.input(200.0, "ana", type="set_flag", flag="rewards-v2", enabled=False)
    log.input(230.0, "ben", type="decide", text="I will turn it back on")
    log.input(260.0, "ben", type="set_flag", flag="rewards-v2", enabled=True)
    assert log.grade().check("command.conflicting_mitigations").points == -15.0
