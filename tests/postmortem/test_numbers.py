"""Every figure in the postmortem is the log's figure: impact from engine.outcome, times from events."""

from __future__ import annotations

import pytest

from engine.outcome import outcome
from engine.postmortem import postmortem_markdown
from engine.timeexpr import format_clock

from .runs import draft, events, runs, scenario


def _first(evs, pred):
    return next((e for e in evs if pred(e)), None)


@pytest.mark.parametrize(("scenario_id", "script"), runs())
def test_impact_figures_are_the_outcome(scenario_id: str, script: str) -> None:
    """Impact values equal engine.outcome exactly, and the Markdown prints them."""
    sc, evs = scenario(scenario_id), events(scenario_id, script)
    o = outcome(sc, list(evs))
    pm = draft(scenario_id, script)
    i = pm.impact
    assert (i.failed_requests, i.money_lost, i.rows_corrupted, i.error_budget_used_pct) == (
        o.failed_requests,
        o.money_lost,
        o.rows_corrupted,
        o.error_budget_used_pct,
    )
    assert (i.peak_users_affected_pct, i.peak_err_5xx_pct, i.max_consumer_lag) == (
        o.peak_users_affected_pct,
        o.peak_err_5xx_pct,
        o.max_consumer_lag,
    )
    assert (i.impact_started_at, i.mitigated_at, i.impact_minutes) == (
        o.impact_started_at,
        o.mitigated_at,
        o.impact_minutes,
    )
    assert i.approx_users_affected == round(o.peak_users_affected_pct * sc.traffic.users / 100)
    assert i.slo_availability_pct == sc.slo.availability_pct
    md = postmortem_markdown(pm)
    assert f"| Failed requests | {o.failed_requests:,.0f} |" in md
    assert f"| Revenue lost | ${o.money_lost:,.0f} |" in md
    assert f"| Rows corrupted | {o.rows_corrupted:,.0f} |" in md
    assert f"{o.peak_users_affected_pct:.1f}% (about {i.approx_users_affected:,} of " in md
    assert (
        f"| Error budget consumed | {o.error_budget_used_pct:.2f}% of the "
        f"{sc.slo.window_days}-day budget" in md
    )
    if sc.topology.topics:
        assert f"| Peak consumer lag | {o.max_consumer_lag:,.0f} messages |" in md


@pytest.mark.parametrize(("scenario_id", "script"), runs())
def test_key_times_come_from_the_log(scenario_id: str, script: str) -> None:
    """Detect, page, acknowledge, command, mitigate and resolve are read off the events."""
    sc, evs = scenario(scenario_id), list(events(scenario_id, script))
    o = outcome(sc, evs)
    m = {x.key: x for x in draft(scenario_id, script).milestones}
    page = _first(evs, lambda e: e.type == "page")
    human = [
        e
        for e in evs
        if e.type == "input" and e.data["type"] not in ("inject", "message", "note", "clock", "end")
    ]
    cmd = _first(
        human,
        lambda e: (
            e.data["type"] == "take_command"
            or (e.data["type"] == "assign_role" and e.data["role"] == "ic")
        ),
    )
    trig = m["trigger"].t
    alert = _first(evs, lambda e: e.type == "alert.fired" and e.t >= (trig or 0.0))
    assert m["paged"].t == (page.t if page else None)
    assert m["detected"].t == (alert.t if alert else None)
    if trig is not None and alert is not None:
        assert m["detected"].since == round(alert.t - trig, 3)
    assert m["acknowledged"].t == (human[0].t if human else None)
    assert m["command"].t == (cmd.t if cmd else None)
    assert m["mitigated"].t == o.mitigated_at
    if page is not None and o.mitigated_at is not None:
        assert m["mitigated"].since == round(o.time_to_mitigate, 3)
    resolved = _first(
        human,
        lambda e: (
            e.data["type"] == "status_update"
            and e.data["audience"] == "public"
            and e.data["state"] == "resolved"
            and o.mitigated_at is not None
            and e.t >= o.mitigated_at
        ),
    )
    expect = None if o.mitigated_at is None else (resolved.t if resolved else evs[-1].t)
    assert m["resolved"].t == expect


def test_checkout_strong_figures() -> None:
    """The documented example run: figures in the summary are the outcome's, with clocks."""
    sc, evs = scenario("checkout-deploy-500s"), list(events("checkout-deploy-500s", "strong"))
    o = outcome(sc, evs)
    pm = draft("checkout-deploy-500s", "strong")
    assert o.mitigated_at is not None and o.page_at is not None
    assert f"Users affected fell below 5% at {format_clock(o.mitigated_at)}" in pm.summary
    assert f"{o.failed_requests:,.0f} requests failed and ${o.money_lost:,.0f}" in pm.summary
    assert pm.severity == "SEV2"
    assert pm.impact.ongoing_at_end is False


def test_unmitigated_run_says_so() -> None:
    """With nobody responding, impact is still ongoing and the impact window is open-ended."""
    pm = draft("orders-consumer-lag", "no-response")
    assert pm.impact.ongoing_at_end is True
    assert pm.impact.mitigated_at is None
    assert "still ongoing at the end" in postmortem_markdown(pm)
    assert pm.severity == "undeclared"
    assert [m.t for m in pm.milestones if m.key in ("mitigated", "resolved")] == [None, None]


def test_corruption_is_counted_and_dated() -> None:
    """A harmful rollback's corrupted rows appear with the time corruption began."""
    evs = list(events("loyalty-irreversible-migration", "harmful"))
    first = next(
        e for e in evs if e.type == "metrics" and e.data["values"]["business.rows_corrupted"] > 0.5
    )
    pm = draft("loyalty-irreversible-migration", "harmful")
    rows = outcome(scenario("loyalty-irreversible-migration"), evs).rows_corrupted
    assert rows > 0
    wrong = [f.text for f in pm.went_wrong if f.source == "simulation"]
    assert wrong[0].startswith(
        f"{rows:,.0f} rows were corrupted, starting at {format_clock(first.t)}"
    )


def test_worsening_after_a_mitigation_is_stated_with_numbers() -> None:
    """A restart-all that sends impact from ~7% to 35% is a fact in what went wrong."""
    harmful = [
        f.text
        for f in draft("checkout-deploy-500s", "harmful").went_wrong
        if f.text.startswith("Users affected rose")
    ]
    assert harmful and all("after restarted checkout-api (all)" in t for t in harmful)
    strong = [
        f.text
        for f in draft("checkout-deploy-500s", "strong").went_wrong
        if f.text.startswith("Users affected rose")
    ]
    assert strong == []
