"""The end of impact is credited to the move whose removal, replayed, makes it worse."""

from __future__ import annotations

from typing import Any

from engine.drill import Drill
from engine.grading import grade
from engine.grading.counterfactual import replay_without, with_dependents
from engine.loader import load_scenario
from engine.outcome import outcome
from engine.postmortem import postmortem
from engine.scenario import Scenario
from engine.script import play
from tests.grading.helpers import REFERENCE, ROOT, graded, make_script, run, scenario, steps_of

LOOK = {"do": "view_dashboard", "service": "payments-api", "at": "page+1m", "as": "ana"}


def _recovering() -> Scenario:
    """card-network-timeouts with Discover recovering by itself at 16 min, inside the drill."""
    path = ROOT / "scenarios" / "card-network-timeouts.yaml"
    text = path.read_text().replace("recover_at: 55m", "recover_at: 16m")
    assert "recover_at: 16m" in text
    return load_scenario(text, "card-network-recovers.yaml")


def test_a_move_before_a_recovery_it_did_not_cause_earns_nothing() -> None:
    """A scale-out at page+8m precedes the end of impact, but replayed without it the
    impact ends just as early (the network recovers): no effective, timely or verified."""
    sc = _recovering()
    d = Drill(sc, 0)
    scale = {"do": "scale", "service": "payments-api", "pods": 9, "at": "page+8m", "as": "ana"}
    play(d, make_script([LOOK, scale]))
    g = grade(sc, d.log.events)
    effective = g.check("mitigation.effective")
    assert effective.points == 0.0
    assert effective.detail == (
        "Impact ended at page+11:55, and as early in a replay without ana: scale "
        "payments-api: no move made the difference."
    )
    assert g.check("mitigation.timely").points == 0.0
    assert g.check("mitigation.verified").detail == (
        "Impact ended at page+11:55 as early as in a replay without any mitigation: "
        "no mitigation's effect to verify."
    )
    assert g.mitigated_at is None
    assert g.overall <= 40  # capped: nothing the team did ended the impact


def test_the_grade_credits_the_decisive_move_not_the_last_one_that_helped() -> None:
    """orders-consumer-lag strong: the poison skip is decisive; the consumer add after it
    looked like it helped but, replayed without it, harm ends as early."""
    steps = steps_of(REFERENCE / "orders-consumer-lag" / "strong.yaml")
    g = graded("orders-consumer-lag", steps)
    effective = g.check("mitigation.effective")
    assert effective.points == effective.max_points
    assert effective.detail == (
        "Impact ended at page+6:57 after priya: skip_poison orders. Replayed without it, "
        "harm would still have been going at the end."
    )
    assert effective.actors == ("priya",)
    pm = postmortem(scenario("orders-consumer-lag"), run("orders-consumer-lag", steps))
    assert "skipped the poison messages on orders" in pm.resolution  # the same move


def _delegated(sc: Scenario) -> tuple[Drill, int]:
    """A lone player pages Priya, finds the bad pod, and has Priya drain it."""
    d = Drill(sc, seed=0)
    d.advance(d.scenario.tick)
    while d.page_at is None:
        d.advance(d.now + 10)
    t = d.now
    steps: list[dict[str, Any]] = [
        {"type": "page_team", "team": "Priya"},
        {"type": "take_command"},
        {"type": "view_dashboard", "service": "api-gateway", "breakdown": "pod"},
    ]
    for data in steps:
        d.submit(data, actor="alice")
    rows = next(e for e in reversed(d.log.events) if e.type == "observation")
    worst = max(rows.data["result"]["rows"].items(), key=lambda kv: kv[1]["err_5xx_pct"])[0]
    d.advance(t + 90)  # Priya has joined by now
    task = {"type": "drain_pod", "service": "api-gateway", "pod": worst}
    d.submit({"type": "delegate", "person": "Priya", "task": task}, actor="alice")
    d.advance(sc.duration + sc.tick)
    mine = next(e for e in d.log.events if e.type == "input" and e.actor == "Priya")
    return d, mine.seq


def test_removing_a_teammates_action_removes_the_task_that_asked_for_it() -> None:
    """Replayed without Priya's drain, the delegate that asked for it goes too: no drain
    happens and the impact is not ended (the replayed teammate would otherwise redo it)."""
    sc = scenario("gateway-bad-pod")
    d, drain = _delegated(sc)
    events = list(d.log.events)
    task = next(e for e in events if e.type == "input" and e.data.get("type") == "delegate")
    assert with_dependents(events, {drain}) == {drain, task.seq}
    assert with_dependents(events, {task.seq}) == {drain, task.seq}
    assert outcome(sc, events).mitigated_at is not None
    without = replay_without(sc, events, {drain})
    assert without is not None
    assert [e for e in without if e.type == "input" and e.actor == "Priya"] == []
    assert outcome(sc, without).mitigated_at is None


def test_a_delegated_mitigation_is_credited_to_the_teammate_who_did_it() -> None:
    sc = scenario("gateway-bad-pod")
    d, _ = _delegated(sc)
    effective = grade(sc, d.log.events).check("mitigation.effective")
    assert effective.points == effective.max_points, effective.detail
    assert effective.actors == ("Priya",)
    assert "Replayed without it, harm would still have been going at the end." in (effective.detail)


def test_impact_that_grows_by_itself_is_not_blamed_on_the_move_before_it() -> None:
    """Slack's first morning back: the surge feeds on itself, so impact more than doubles
    after a quota raise asked for at page+15m (granted 10 minutes later). The curves alone
    say "made worse"; a replay without the request is as bad, so the grade says it did not
    make things worse, and a note says why."""
    from tests.grading import plays as P
    from tests.grading.test_calibration import strong_steps

    sid = "slack-first-day-back-tgw"
    g = graded(sid, P.textbook(sid, strong_steps(sid)))
    asked = next(m for m in g.mitigations if m.action == "request_quota_raise")
    assert asked.before_pct < 20 and asked.after_pct is not None and asked.after_pct > 35
    assert asked.verdict == "no visible effect"
    assert g.check("mitigation.made_worse").points == 0
    assert any(
        n.startswith("priya: request_quota_raise transit-gateway at page+15:15: impact rose")
        and "but a replay without it is as bad" in n
        for n in g.notes
    ), g.notes
