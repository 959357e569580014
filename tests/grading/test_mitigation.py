"""Mitigation: judged by the scenario's rules, by the metrics and by hidden state."""

from __future__ import annotations

from collections.abc import Callable

from tests.grading.helpers import Log


def until(t_end: float, level: float = 10.0, start: float = 90.0) -> Callable[[float], float]:
    """Users affected: ``level`` from ``start`` until ``t_end``, then none."""
    return lambda t: level if start <= t < t_end else 0.0


def flag_off(log: Log, t: float, actor: str = "priya", flag: str = "rewards-v2") -> int:
    key = log.input(t, actor, type="set_flag", flag=flag, enabled=False)
    log.effect(t + 20.0, key, flag, "flag propagated", enabled=False)
    return key


def look(log: Log, t: float, actor: str = "priya") -> int:
    return log.input(t, actor, type="view_dashboard", service="rewards-api", breakdown="endpoint")


def test_the_right_lever_early_and_verified_earns_every_mitigation_point() -> None:
    """A look, then flag off at page+3:20, impact gone: mitigation scores 100."""
    log = Log(users=until(330.0)).page(100.0)
    look(log, 250.0)
    key = flag_off(log, 300.0)
    g = log.grade()
    assert g.dimension("mitigation").score == 100
    assert g.check("mitigation.choice").detail == (
        "priya: set_flag rewards-v2 off is correct: the failing path is behind rewards-v2; "
        "priya: view_dashboard rewards-api/endpoint came first."
    )
    eff = g.check("mitigation.effective")
    assert eff.detail == "Impact ended at page+3:50 after priya: set_flag rewards-v2 off."
    assert (eff.evidence[0].seq, eff.evidence[0].t) == (log.seq(key), 300.0)
    assert g.check("mitigation.timely").detail == (
        "Impact ended 3:50 after the page (full by par 8:00, 60% at 25:00, nothing after 45:00)."
    )
    m = g.mitigations[0]
    assert (m.rule, m.verdict, m.before_pct, m.after_pct) == ("correct", "helped", 10.0, 0.0)


def timely(end: float) -> float:
    log = Log(users=until(end), until=3600.0).page(100.0)
    look(log, 200.0)
    flag_off(log, end - 40.0)
    return log.grade().check("mitigation.timely").points


def test_the_time_curve_is_full_by_par_sixty_percent_at_25_minutes_none_at_45() -> None:
    """Impact ending at par earns 20; halfway from par (8:00) to 25:00, 16; at 25:00, 12;
    at 35:00, 6; after 45:00, nothing: the model answer's timeline still scores well."""
    assert timely(100.0 + 480.0) == 20.0
    assert timely(100.0 + 990.0) == 16.0
    assert timely(100.0 + 1500.0) == 12.0
    assert timely(100.0 + 2100.0) == 6.0
    assert timely(100.0 + 2800.0) == 0.0


def test_setting_a_flag_to_the_state_it_is_in_is_a_no_op() -> None:
    """Turning rewards-v2 on while it is on matches no rule and earns nothing."""
    log = Log(users=10.0).page(100.0)
    log.input(300.0, "priya", type="set_flag", flag="rewards-v2", enabled=True)
    g = log.grade()
    assert g.mitigations[0].rule == "no-op"
    assert g.check("mitigation.choice").points == 0.0


def test_harmful_mitigations_cost_points_and_say_why_up_to_a_cap() -> None:
    """Three harmful moves cost 15 each, capped at 30; the detail quotes each rule's why."""
    log = Log(users=10.0).page(100.0)
    log.input(200.0, "ben", type="set_flag", flag="dark-mode", enabled=True)
    log.input(260.0, "ben", type="restart", target="rewards-api", mode="rolling")
    log.input(320.0, "ben", type="restart", target="rewards-api", mode="rolling")
    c = log.grade().check("mitigation.harmful")
    assert c.points == -30.0
    assert c.detail.startswith(
        "ben: set_flag dark-mode on at page+1:40 is harmful here: the UI flag is unrelated. "
        "ben: restart rewards-api at page+2:40 is harmful here: restarts change nothing and "
        "drop capacity."
    )
    assert c.stronger == "Instead use set_flag rewards-v2 (the failing path is behind rewards-v2)."


def test_a_mitigation_after_which_impact_rose_made_things_worse() -> None:
    """Impact 10% before, 40% a minute after the effect settled: -10 and not safe."""
    log = Log(users=lambda t: 40.0 if t >= 420 else 10.0 if t >= 90 else 0.0).page(100.0)
    key = log.input(300.0, "ben", type="shed_load", service="rewards-api", pct=50)
    log.effect(310.0, key, "rewards-api", "load shedding set", pct=50)
    g = log.grade()
    assert g.mitigations[0].verdict == "made worse"
    c = g.check("mitigation.made_worse")
    assert c.points == -10.0
    assert c.detail == (
        "After ben: shed_load rewards-api users affected went from 10.0% to "
        "40.0% (means over a minute, up to page+6:30)."
    )
    assert g.check("mitigation.safe").points == 0.0


def test_a_lever_the_author_did_not_list_earns_half_choice_if_it_helped() -> None:
    """An unlisted shed_load that halves impact is judged by the metrics: 10 of 20."""
    log = Log(users=lambda t: 5.0 if t >= 400 else 10.0 if t >= 90 else 0.0).page(100.0)
    look(log, 250.0, "ben")
    key = log.input(300.0, "ben", type="shed_load", service="rewards-api", pct=50)
    log.effect(310.0, key, "rewards-api", "load shedding set", pct=50)
    g = log.grade()
    assert (g.mitigations[0].rule, g.mitigations[0].verdict) == ("unlisted", "helped")
    assert g.check("mitigation.choice").points == 10.0


def test_an_unchecked_rollback_costs_ten() -> None:
    """A rollback with no check_migration first costs 10 even without corruption."""
    log = Log(users=until(500.0)).page(100.0)
    key = log.input(300.0, "ben", type="rollback", service="rewards-api")
    log.state(480.0, "rewards-api", "rollback complete", for_=key)
    c = log.grade().check("mitigation.unsafe_rollback")
    assert c.points == -10.0
    assert c.detail == (
        "ben: rollback rewards-api at page+3:20: nobody ran check_migration on rewards-api first."
    )


def test_a_rollback_over_an_irreversible_migration_that_corrupts_costs_twenty_five() -> None:
    """The applied migration and the first corrupted sample are cited; -25 for the rollback."""
    log = Log(users=until(500.0), rows=lambda t: max(0.0, (t - 350.0) * 10)).page(100.0)
    log.state(60.0, "rewards-api", "migration applied", migration="007_split_balance")
    key = log.input(300.0, "ben", type="rollback", service="rewards-api")
    log.state(480.0, "rewards-api", "rollback complete", for_=key)
    g = log.grade()
    c = g.check("mitigation.unsafe_rollback")
    assert c.points == -25.0
    assert c.detail == (
        "ben: rollback rewards-api at page+3:20: nobody ran check_migration on rewards-api "
        "first; irreversible migration 007_split_balance had been applied at page-0:40; rows "
        "started being corrupted at page+4:20."
    )
    assert [e.type for e in c.evidence] == ["state", "input", "metrics"]
    assert g.check("mitigation.effective").points == 0.0  # corrupting fixes earn no credit


def test_a_checked_rollback_with_no_corruption_is_safe() -> None:
    """check_migration before a rollback clears the unsafe-rollback penalty."""
    log = Log(users=until(500.0)).page(100.0)
    log.input(250.0, "priya", type="check_migration", service="rewards-api")
    key = log.input(300.0, "priya", type="rollback", service="rewards-api")
    log.state(480.0, "rewards-api", "rollback complete", for_=key)
    flag_off(log, 320.0)
    g = log.grade()
    assert g.check("mitigation.unsafe_rollback").outcome == "clear"
    assert g.check("mitigation.safe").detail == (
        "Every mitigation was safe given the hidden state (rollbacks checked for migrations first)."
    )
    assert g.check("mitigation.harmful").points == -15.0  # still the wrong lever here


def test_twenty_two_minutes_without_a_mitigation_while_impact_lasts_is_a_long_debate() -> None:
    """First mitigation at page+22:00 with 10% affected at page+20:00: -15."""
    log = Log(users=until(1500.0)).page(100.0)
    flag_off(log, 1420.0)
    c = log.grade().check("mitigation.long_debate")
    assert c.points == -15.0
    assert c.detail == (
        "No credible mitigation within 20:00 of the page while 10.0% of users "
        "were affected; the first came at page+22:00."
    )


def test_a_mitigation_at_page_plus_16_as_in_the_model_answer_is_no_debate() -> None:
    """First mitigation at page+16:00 (the model answer mitigates in 15-25) is no debate."""
    log = Log(users=until(1100.0)).page(100.0)
    flag_off(log, 1060.0)
    assert log.grade().check("mitigation.long_debate").outcome == "clear"


def test_a_mitigation_with_no_look_at_its_signal_is_blind() -> None:
    """Flag off with no look before it: half the choice credit and a -10 blind penalty."""
    log = Log(users=until(330.0)).page(100.0)
    flag_off(log, 300.0)
    g = log.grade()
    assert g.check("mitigation.choice").points == 10.0
    c = g.check("mitigation.blind")
    assert (c.points, c.detail) == (
        -10.0,
        "priya: set_flag rewards-v2 off at page+3:20 came with no look at its signal first "
        "(list_changes, view_dashboard, read_logs).",
    )
    looked = Log(users=until(330.0)).page(100.0)
    look(looked, 250.0)
    flag_off(looked, 300.0)
    assert looked.grade().check("mitigation.blind").outcome == "clear"


def test_saying_it_worked_before_anything_showed_it_loses_verified() -> None:
    """'monitoring' 5 s after the flag flip, before the effect showed: verified 0."""
    log = Log(users=until(330.0)).page(100.0)
    look(log, 250.0)
    flag_off(log, 300.0)
    log.input(
        305.0,
        "sam",
        type="status_update",
        audience="public",
        state="monitoring",
        impact="Fixed.",
        next_update_min=15,
    )
    c = log.grade().check("mitigation.verified")
    assert c.points == 0.0
    assert c.detail.startswith("sam said monitoring; the simulation had 10.0% of users affected")


def test_watching_the_shared_charts_recover_verifies_the_mitigation() -> None:
    """No detail look after the flag: the paging alert resolving, seen by all, is enough."""
    log = Log(users=until(330.0)).page(100.0)
    look(log, 250.0)
    flag_off(log, 300.0)
    log.add(340.0, "system", "alert.resolved", {"name": "RedeemErrors"})
    c = log.grade().check("mitigation.verified")
    assert c.points == 15.0
    assert c.detail == (
        "The effect of priya: set_flag rewards-v2 off was visible at page+3:50 "
        "(rewards-api.err_5xx_pct back within its alert); nobody said it worked before that."
    )


def test_with_impact_below_the_threshold_only_a_fitting_lever_is_credited() -> None:
    """Impact never reaching 5%: the correct flag earns effective, a random scale-out not."""
    flag = Log(users=3.0).page(100.0)
    flag_off(flag, 300.0)
    other = Log(users=3.0).page(100.0)
    key = other.input(300.0, "ben", type="scale", service="rewards-api", pods=6)
    other.effect(390.0, key, "rewards-api", "pod running", pod="rewards-api-x-4")
    c = flag.grade().check("mitigation.effective")
    assert (c.points, c.detail) == (
        25.0,
        "Impact stayed below 5% of users; priya: set_flag rewards-v2 off took effect at page+3:40.",
    )
    assert other.grade().check("mitigation.effective").points == 0.0


def test_a_reversible_lever_in_the_first_move_earns_reversible_first() -> None:
    """Flag off first earns 10; a rollback first, with the flag available, earns nothing."""
    flag = Log(users=until(330.0)).page(100.0)
    look(flag, 250.0)
    flag_off(flag, 300.0)
    c = flag.grade().check("mitigation.reversible_first")
    assert (c.points, c.detail) == (
        10.0,
        "The first move included a lever undone in seconds: priya: set_flag rewards-v2 off.",
    )
    rollback = Log(users=until(500.0)).page(100.0)
    rollback.input(250.0, "ben", type="check_migration", service="rewards-api")
    key = rollback.input(300.0, "ben", type="rollback", service="rewards-api")
    rollback.state(480.0, "rewards-api", "rollback complete", for_=key)
    flag_off(rollback, 400.0)
    c = rollback.grade().check("mitigation.reversible_first")
    assert (c.points, c.detail) == (
        0.0,
        "The first move was ben: rollback rewards-api, while set_flag rewards-v2 was available.",
    )
    assert c.stronger == (
        "Pull the reversible lever first (set_flag rewards-v2); roll back, "
        "restart or fail over only if it is not enough."
    )


def test_every_mitigation_names_the_looks_that_justify_it() -> None:
    """One table (engine.actions) says, per lever, which investigations show whether it
    fits; a lever added without them would be "taken blind" whatever the player looked at."""
    from engine.actions import ACTIONS, of_category

    for name in of_category("mitigate"):
        looks = ACTIONS[name].looks
        assert looks, f"{name} has no justifying looks"
        for look, _ in looks:
            assert ACTIONS[look].category == "investigate", (name, look)
