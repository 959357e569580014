"""Believed vs true from the grader's claim checks; the end of impact credited by replay."""

from __future__ import annotations

from engine.postmortem import postmortem
from tests.grading.helpers import run
from tests.grading.helpers import scenario as grading_scenario

LIES = [
    {"at": "page+30s", "as": "alex", "do": "inspect_queue", "topic": "orders"},
    {
        "at": "page+1m",
        "as": "sam",
        "do": "status_update",
        "audience": "executive",
        "state": "monitoring",
        "impact": "About 12% of order attempts fail; the incident is mitigated.",
        "action": "We rolled back orders-api.",
        "next_update_min": 15,
    },
]


def test_the_believed_vs_true_table_says_which_claims_were_wrong_and_by_how_much() -> None:
    """An executive 'mitigated' at 40% failing, 12% claimed, a rollback nobody ran: each
    marked WRONG beside the simulation's value."""
    sc = grading_scenario("orders-consumer-lag")
    pm = postmortem(sc, run("orders-consumer-lag", LIES))
    (b,) = [b for b in pm.beliefs if b.kind == "status"]
    assert b.matches is False
    assert b.truth is not None
    assert "monitoring → true: " in b.truth and "of users affected — WRONG" in b.truth
    assert "12% of requests → true: " in b.truth and "— WRONG (-" in b.truth
    assert "rollback → true: no rollback submitted — WRONG (nobody ran rollback)" in b.truth


def test_the_end_of_impact_is_credited_to_the_move_the_replay_shows_was_decisive() -> None:
    """In the strong orders play the poison skip, not the last consumer added, ended it."""
    from tests.grading.helpers import REFERENCE, steps_of

    sid = "orders-consumer-lag"
    events = run(sid, steps_of(REFERENCE / sid / "strong.yaml"))
    pm = postmortem(grading_scenario(sid), events)
    assert "skipped the poison messages on orders" in pm.resolution
    assert "(replayed without it, impact would still have been ongoing at the end)" in (
        pm.resolution
    )
    assert "scale_consumers" not in pm.resolution.split(".")[0]
