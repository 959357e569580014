"""Reading claims from what players wrote, and the scale-out trap judged by its stall."""

from __future__ import annotations

from engine.grading.claims import actions_named, over_words, shares
from tests.grading.helpers import graded


def test_shares_are_read_as_now_past_fine_or_of_requests() -> None:
    """Percentages, fractions and 'one in N', with the clause saying what they are of."""
    assert shares("About 12% of members cannot redeem.") == [(12.0, "now")]
    assert shares("Redemptions failed for 12% of members for 8 minutes.") == [(12.0, "past")]
    assert shares("Redemptions work again for 100% of members.") == [(100.0, "fine")]
    assert shares("About a third of order attempts fail.") == [(100.0 / 3, "requests-now")]
    assert shares("One in four shoppers sees errors.") == [(25.0, "now")]
    assert shares("Next update in 15 minutes.") == []


def test_actions_are_read_unless_negated_or_still_to_come() -> None:
    """'Rollback rejected', 'would stop', 'next' are not actions said to be under way."""
    assert actions_named("We turned the new path off with its feature flag.") == ["set_flag"]
    assert actions_named("Flag off; forward fix next.") == ["set_flag"]
    assert actions_named("Rollback rejected because the migration cannot be reversed.") == []
    assert actions_named("We are not restarting anything.") == []
    assert actions_named("Producer throttled, poison messages moved to the DLQ.") == [
        "throttle_producer",
        "skip_poison",
    ]


def test_words_saying_it_is_over_are_read_unless_negated() -> None:
    """'back to normal' is a claim that impact is over; 'not yet resolved' is not."""
    assert over_words("Checkout is back to normal.") == ["normal"]
    assert over_words("The incident is not yet resolved.") == []


SCALE_OUT = [
    {"at": "page+30s", "do": "inspect_queue", "topic": "orders"},
    {"at": "page+1m", "do": "scale_consumers", "topic": "orders", "consumers": 18},
]


def test_scaling_consumers_six_to_eighteen_at_once_made_it_worse_by_its_stall() -> None:
    """Twelve joins stop the group for minutes: 'made worse' even with impact saturated,
    so neither 'safe' nor 'reversible first' is earned."""
    g = graded("orders-consumer-lag", SCALE_OUT)
    m = g.mitigations[0]
    assert m.verdict == "made worse"
    assert any(n.startswith("its rebalances stopped consumption for ") for n in m.notes)
    worse = g.check("mitigation.made_worse")
    assert worse.points == -10.0
    assert "stopped consumption for" in worse.detail
    assert g.check("mitigation.safe").points == 0.0
    assert g.check("mitigation.reversible_first").points == 0.0


def test_adding_consumers_one_at_a_time_is_not_a_stall() -> None:
    """One join is one 45 s pause: no stall verdict."""
    one = [{**SCALE_OUT[0]}, {**SCALE_OUT[1], "consumers": 7}]
    m = graded("orders-consumer-lag", one).mitigations[0]
    assert not any(n.startswith("its rebalances") for n in m.notes)


def test_no_data_lost_in_an_update_is_false_once_rows_are_corrupted() -> None:
    """'Balances are safe, no data lost' while rows are being corrupted: two false claims."""
    from tests.grading.helpers import Log

    log = Log(users=10.0, rows=lambda t: max(0.0, t - 150.0)).page(100.0)
    log.input(
        300.0,
        "sam",
        type="status_update",
        audience="public",
        state="identified",
        impact="Balances are safe and no data was lost.",
        next_update_min=15,
    )
    data = [c for c in log.grade().claims if c.kind == "data"]
    assert [(c.said, c.truth, c.score) for c in data] == [
        ("data not lost", "data corrupted", 0.0),
        ("data intact", "data corrupted", 0.0),
    ]


def test_a_listed_lever_that_stalled_the_group_earns_no_choice_credit() -> None:
    """scale_consumers is 'acceptable' here, but six to eighteen at once earns nothing."""
    assert graded("orders-consumer-lag", SCALE_OUT).check("mitigation.choice").points == 0.0


def test_the_newer_levers_are_read_from_what_people_wrote() -> None:
    """Certificates, retries, quotas, caches, regions, configs, disks: an update naming
    one is checked against what was really done, like a rollback."""
    assert actions_named("We rotated the expired internal certificate.") == ["rotate_certificate"]
    assert actions_named("Retries are turned off; we asked the provider to raise our quota.") == [
        "set_retries",
        "request_quota_raise",
    ]
    assert actions_named("Warming the product cache; request coalescing is on.") == [
        "warm_cache",
        "set_coalescing",
    ]
    assert actions_named("Traffic is being moved out of us-east.") == ["evacuate_region"]
    assert actions_named("We rerouted us-east's payment calls to us-west.") == ["reroute"]
    assert actions_named("Pointing the east queries to the other region.") == ["reroute"]
    assert actions_named("We rolled back the WAF ruleset and halted the config push.") == [
        "rollback_config",
        "halt_config_push",
    ]
    assert actions_named("We freed disk space on every pod.") == ["free_resource"]
    assert actions_named("We paused the autoscaler.") == ["pause_autoscaler"]
    assert actions_named("We will rotate the certificate next.") == []
    assert actions_named("We did not rotate the certificate.") == []


def _scope(text: str, t: float) -> list[tuple[str, str, float]]:
    """Scope claims of a public update at ``t`` while rewards-api fails from 200 s to 600 s."""
    from tests.grading.helpers import Log

    log = Log(users=lambda s: 30.0 if 200.0 <= s < 600.0 else 0.0).page(210.0)
    log.input(
        t,
        "sam",
        type="status_update",
        audience="public",
        state="monitoring",
        impact=text,
        next_update_min=15,
    )
    return [(c.said, c.truth, c.score) for c in log.grade().claims if c.kind == "scope"]


def test_working_again_is_a_recovery_claim_true_only_once_it_is_over() -> None:
    """'rewards-api is working again' after the errors end is true (it was hit, it is fine
    now); during them it is false; 'unaffected' after being hit stays false."""
    assert _scope("rewards-api is working again.", 900.0) == [
        ("rewards-api recovered", "rewards-api recovered (0.0% 5xx)", 1.0)
    ]
    assert _scope("rewards-api is working again.", 400.0) == [
        ("rewards-api recovered", "rewards-api still failing (30.0% 5xx)", 0.0)
    ]
    assert _scope("rewards-api is working normally.", 900.0) == [
        ("rewards-api unaffected", "rewards-api affected", 0.0)
    ]


def test_every_lever_said_in_plain_words_is_read_as_itself() -> None:
    """A status update naming any mitigation is checked against that mitigation (undrain
    reads as the drain it undoes)."""
    from engine.actions import of_category
    from tests.grading.plays import SAYS

    for name in of_category("mitigate"):
        expected = "drain_pod" if name == "undrain_pod" else name
        assert actions_named(SAYS[name]) == [expected], (name, SAYS[name])


def test_rate_limiting_traffic_is_true_of_load_shedding() -> None:
    """'We are rate limiting traffic' after a shed_load names what was done, in the words
    people use for it; the same words with nothing done are false."""
    from tests.grading.helpers import Log

    def said(shed: bool) -> list[tuple[str, float]]:
        log = Log(users=20.0).page(100.0)
        if shed:
            log.input(200.0, "priya", type="shed_load", service="rewards-api", pct=50)
        log.input(
            260.0,
            "sam",
            type="status_update",
            audience="public",
            state="identified",
            impact="About 20% of users see errors.",
            action="We are rate limiting traffic to protect the database.",
            next_update_min=15,
        )
        return [(c.said, c.score) for c in log.grade().claims if c.kind == "action"]

    assert said(True) == [("throttle_producer", 1.0)]
    assert said(False) == [("throttle_producer", 0.0)]


def test_follow_ups_are_not_said_to_be_under_way() -> None:
    """'Follow-ups: cache warm-up' lists what is still to do; 'the autoscaler is paused'
    says what was done, in the passive."""
    assert actions_named(
        "The autoscaler is paused and retries are off. Follow-ups: cache warm-up."
    ) == ["set_retries", "pause_autoscaler"]
