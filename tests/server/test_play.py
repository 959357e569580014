"""A whole drill played live: facilitator, two players and an observer, to the end."""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from engine.metrics import as_players_see

from .drillkit import Connect, Live, bearer, create_drill, join

CHECKOUT_5XX = "checkout-api.err_5xx_pct"


def metric(event: dict[str, Any], name: str) -> float | None:
    return event["data"]["values"].get(name) if event["type"] == "metrics" else None


async def test_a_team_plays_checkout_deploy_500s_to_the_end(
    live: Live, http: httpx.AsyncClient, peers: Connect
) -> None:
    """Players act on a running drill, the metrics respond, and everyone sees the end once."""
    drill = await create_drill(http, speed=120)
    alice = await join(http, drill, drill.player_code, "alice", "ic")
    bob = await join(http, drill, drill.player_code, "bob", "ops")
    watcher = await join(http, drill, drill.observer_code)

    fac = await peers(live.ws, drill.id, drill.facilitator)
    pa = await peers(live.ws, drill.id, alice)
    pb = await peers(live.ws, drill.id, bob)
    obs = await peers(live.ws, drill.id, watcher)
    assert [p.welcome["role"] for p in (fac, pa, pb, obs)] == [
        "facilitator",
        "player",
        "player",
        "observer",
    ]
    assert (pa.welcome["name"], pa.welcome["incident_role"]) == ("alice", "ic")
    assert obs.welcome["name"] == "observer"
    assert {r["name"] for r in fac.welcome["roster"]} == {"facilitator", "alice", "bob", "observer"}

    assert (await fac.control("start"))["type"] == "ack"
    await pa.event(lambda e: e["type"] == "page")

    took = await pa.act({"type": "take_command"})
    assert took["type"] == "ack"
    assert (await pb.act({"type": "list_changes"}))["type"] == "ack"
    rolled = await pb.act({"type": "rollback", "service": "checkout-api"})
    assert rolled["type"] == "ack"
    update = {
        "type": "status_update",
        "audience": "public",
        "state": "identified",
        "impact": "Some checkouts fail with coupons",
        "action": "Rolling back checkout-api",
    }
    assert (await pa.act(update))["type"] == "ack"

    # the ack arrives after the input's own event: everyone sees who acted
    def input_event(p: Any, seq: int) -> dict[str, Any] | None:
        return next((e for e in p.events if e["seq"] == seq), None)

    assert input_event(pb, rolled["seq"])["actor"] == "bob"
    ev = await obs.event(lambda e: e["seq"] == took["seq"])
    assert (ev["actor"], ev["data"]) == ("alice", {"type": "take_command"})

    # the rollback takes minutes of sim time, then checkout 5xx fall to nothing
    peak = max(metric(e, CHECKOUT_5XX) or 0 for e in pa.events)
    assert peak > 5
    healed = await pa.event(
        lambda e: e["seq"] > rolled["seq"] and metric(e, CHECKOUT_5XX) == 0.0, timeout=20
    )
    assert healed["t"] > input_event(pa, rolled["seq"])["t"]
    await pa.event(lambda e: e["data"].get("what") == "rollback complete")

    # skip ahead to the last minutes; the drill ends by itself when time is up
    assert (await fac.control("jump", seconds=1500))["type"] == "ack"
    for p in (fac, pa, pb, obs):
        end = await p.event(lambda e: e["type"] == "drill.ended", timeout=30)
        assert end["data"] == {"reason": "time"}
        await p.until(
            lambda p=p: any(f["type"] == "clock" and f["status"] == "ended" for f in p.frames)
        )

    r = await http.get(f"/api/drills/{drill.id}", headers=bearer(alice))
    assert (r.status_code, r.json()["status"]) == (200, "ended")

    # each client got its whole view of the log: once, in order, nothing missing
    full = await http.get(f"/api/drills/{drill.id}/log", headers=bearer(drill.facilitator))
    log = [orjson.loads(line) for line in full.content.splitlines()]
    # players and observers get the public events, metrics without the ground truth
    public = [
        e | {"data": as_players_see(e["data"])} if e["type"] == "metrics" else e
        for e in log
        if e["vis"] == "all"
    ]
    assert fac.events == log
    assert "business.users_affected_pct" in log[1]["data"]["values"]
    assert "business.users_affected_pct" not in public[1]["data"]["values"]
    for p in (pa, pb, obs):
        assert p.events == public
    hidden = [e["data"].get("what") or e["type"] for e in log if e["vis"] == "facilitator"]
    assert [h for h in hidden if h != "prompt_ready"] == [
        "fault started",
        "fault started",
        "dependency recovered",
        "fault ended",
    ]
    # the prompt cards of what the team had not done: they listed the changes and posted an
    # update early, but checked no migration by page+10m
    ready = [e["data"]["id"] for e in log if e["type"] == "prompt_ready"]
    assert ready == ["rollback-safety"]

    inputs = [(e["actor"], e["data"]["type"]) for e in log if e["type"] == "input"]
    assert inputs == [
        ("facilitator", "clock"),
        ("alice", "take_command"),
        ("bob", "list_changes"),
        ("bob", "rollback"),
        ("alice", "status_update"),
        ("facilitator", "clock"),
    ]

    # once it has ended, everyone may read the grade
    r = await http.get(f"/api/drills/{drill.id}/grade", headers=bearer(watcher))
    assert r.status_code == 200, r.text
    grade = r.json()
    assert grade["scenario"] == "checkout-deploy-500s"
    assert set(grade["scores"]) == {"command", "blast_radius", "mitigation", "communication"}

    # after the end nothing more is accepted
    late = await pb.act({"type": "chat", "text": "are we done?"})
    assert (late["type"], late["code"]) == ("error", "not_running")
