"""Who may do what: every role, allowed and refused, over WebSocket and REST."""

from __future__ import annotations

import httpx
import orjson
import pytest
from websockets.asyncio.client import connect

from .drillkit import Connect, Live, bearer, create_drill, hello, join


async def test_each_role_gets_exactly_its_permissions(
    live: Live, http: httpx.AsyncClient, peers: Connect
) -> None:
    """Observers watch, players act, only the facilitator runs the clock or speaks for others."""
    drill = await create_drill(http, speed=60)
    alice = await join(http, drill, drill.player_code, "alice")
    watcher = await join(http, drill, drill.observer_code, "carol")
    fac = await peers(live.ws, drill.id, drill.facilitator)
    pa = await peers(live.ws, drill.id, alice)
    obs = await peers(live.ws, drill.id, watcher)
    assert (await fac.control("start"))["type"] == "ack"
    before = fac.last_seq

    refused = [
        (
            obs,
            {"type": "input", "input": {"type": "chat", "text": "hi"}},
            "forbidden",
            "an observer may not send chat; only a facilitator or a player may",
        ),
        (
            obs,
            {"type": "control", "action": "pause"},
            "forbidden",
            "an observer may not pause the clock; only a facilitator may",
        ),
        (
            pa,
            {"type": "control", "action": "pause"},
            "forbidden",
            "a player may not pause the clock; only a facilitator may",
        ),
        (
            pa,
            {"type": "control", "action": "end"},
            "forbidden",
            "a player may not end the drill; only a facilitator may",
        ),
        (
            pa,
            {"type": "input", "input": {"type": "clock", "action": "pause"}},
            "forbidden",
            "a player may not send clock; only a facilitator may",
        ),
        (
            pa,
            {"type": "input", "input": {"type": "inject", "id": "vp-eta"}},
            "forbidden",
            "a player may not send inject; only a facilitator may",
        ),
        (
            pa,
            {"type": "input", "input": {"type": "note", "text": "psst"}},
            "forbidden",
            "a player may not send note; only a facilitator may",
        ),
        (
            pa,
            {"type": "input", "input": {"type": "take_command"}, "as": "alice"},
            "forbidden",
            "a player may not act on behalf of a player (`as`); only a facilitator may",
        ),
        (
            fac,
            {"type": "input", "input": {"type": "take_command"}, "as": "mallory"},
            "not_found",
            "no player named 'mallory' in this drill; players: alice",
        ),
        (
            fac,
            {"type": "control", "action": "start"},
            "illegal_transition",
            "cannot start a drill that is running; allowed now: pause, speed, jump, end",
        ),
        (
            fac,
            {"type": "control", "action": "speed"},
            "invalid_input",
            "clock speed needs `speed`: a factor in (0, 600], e.g. 10",
        ),
    ]
    for peer, frame, code, message in refused:
        reply = await peer.request(frame)
        assert (reply["type"], reply["code"], reply["message"]) == ("error", code, message)

    # allowed: a player acts, the facilitator speaks for a player and takes notes
    assert (await pa.act({"type": "chat", "text": "looking"}))["type"] == "ack"
    as_alice = await fac.act({"type": "take_command"}, **{"as": "alice"})
    note = await fac.act({"type": "note", "text": "alice hesitated"})
    assert as_alice["type"] == note["type"] == "ack"

    ev = await pa.event(lambda e: e["seq"] == as_alice["seq"])
    assert (ev["actor"], ev["data"]) == ("alice", {"type": "take_command", "by": "facilitator"})
    await fac.event(lambda e: e["seq"] == note["seq"])
    await pa.until(lambda: pa.last_seq and pa.last_seq > note["seq"], timeout=10)
    assert not any(e["seq"] == note["seq"] for e in pa.events + obs.events)

    log = await http.get(f"/api/drills/{drill.id}/log", headers=bearer(drill.facilitator))
    inputs = [
        (e["actor"], e["data"]["type"])
        for e in map(orjson.loads, log.content.splitlines())
        if e["type"] == "input" and e["seq"] > before
    ]
    assert inputs == [("alice", "chat"), ("alice", "take_command"), ("facilitator", "note")]


async def test_players_only_talk_while_the_drill_is_paused(
    live: Live, http: httpx.AsyncClient, peers: Connect
) -> None:
    """A paused (or not yet started) world refuses actions but still carries chat."""
    drill = await create_drill(http)
    bob = await join(http, drill, drill.player_code, "bob")
    fac = await peers(live.ws, drill.id, drill.facilitator)
    pb = await peers(live.ws, drill.id, bob)

    early = await pb.act({"type": "take_command"})
    assert (early["code"], early["message"]) == (
        "not_running",
        "the drill has not started yet; only chat is accepted until the facilitator starts it",
    )
    assert (await pb.act({"type": "chat", "text": "ready"}))["type"] == "ack"
    await fac.control("start")
    await fac.control("pause")
    paused = await pb.act({"type": "rollback", "service": "checkout-api"})
    assert (paused["code"], paused["message"]) == (
        "not_running",
        "the drill is paused; only chat is accepted until the facilitator resumes it",
    )
    # the facilitator may still act as a player, and resume
    assert (await fac.act({"type": "list_changes"}, **{"as": "bob"}))["type"] == "ack"
    assert (await fac.control("resume"))["type"] == "ack"
    assert (await pb.act({"type": "take_command"}))["type"] == "ack"


async def test_a_token_opens_only_its_own_drill(
    live: Live, http: httpx.AsyncClient, peers: Connect
) -> None:
    """Another drill's token, or a made-up one, is refused with a reason and a close code."""
    one = await create_drill(http)
    two = await create_drill(http)
    for token, code, message in [
        (one.facilitator, "forbidden", f"this token belongs to another drill, not {two.id}"),
        ("x" * 43, "unauthorized", "token not recognised; join the drill to get one"),
    ]:
        async with connect(f"{live.ws}/ws/{two.id}") as ws:
            await ws.send(hello(token))
            err = orjson.loads(await ws.recv())
            assert (err["type"], err["code"], err["message"]) == ("error", code, message)
            await ws.wait_closed()
            assert ws.close_code == 4001

        r = await http.get(f"/api/drills/{two.id}", headers=bearer(token))
        assert (r.status_code, r.json()) == (
            403 if code == "forbidden" else 401,
            {"error": code, "message": message},
        )
    r = await http.get(f"/api/drills/{two.id}")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json()["message"] == "send your token as `Authorization: Bearer <token>`"


async def test_rest_routes_follow_the_same_table(live: Live, http: httpx.AsyncClient) -> None:
    """Controls, code rotation and reports over REST check the role like the socket does."""
    drill = await create_drill(http)
    alice = await join(http, drill, drill.player_code, "alice")
    watcher = await join(http, drill, drill.observer_code)

    r = await http.post(
        f"/api/drills/{drill.id}/control", json={"action": "start"}, headers=bearer(alice)
    )
    assert (r.status_code, r.json()["error"]) == (403, "forbidden")
    r = await http.post(f"/api/drills/{drill.id}/codes", headers=bearer(alice))
    assert (r.status_code, r.json()["message"]) == (
        403,
        "a player may not rotate the join codes; only a facilitator may",
    )
    chat = {"input": {"type": "chat", "text": "x"}}
    r = await http.post(f"/api/drills/{drill.id}/inputs", json=chat, headers=bearer(watcher))
    assert r.status_code == 403

    r = await http.post(
        f"/api/drills/{drill.id}/control",
        json={"action": "start"},
        headers=bearer(drill.facilitator),
    )
    assert (r.status_code, r.json()["status"]) == (200, "running")
    r = await http.post(
        f"/api/drills/{drill.id}/inputs",
        json={"input": {"type": "take_command"}},
        headers=bearer(alice),
    )
    assert r.status_code == 200
    as_alice = {"input": {"type": "chat", "text": "from the facilitator"}, "as": "alice"}
    r = await http.post(f"/api/drills/{drill.id}/inputs", json=as_alice, headers=bearer(alice))
    assert (r.status_code, r.json()["error"]) == (403, "forbidden")
    r = await http.post(
        f"/api/drills/{drill.id}/inputs", json=as_alice, headers=bearer(drill.facilitator)
    )
    assert r.status_code == 200
    log = await http.get(f"/api/drills/{drill.id}/log", headers=bearer(watcher))
    # the drill is running: metric samples may follow the input in the log
    last = next(
        e for e in map(orjson.loads, log.content.splitlines()) if e["seq"] == r.json()["seq"]
    )
    assert (last["seq"], last["actor"], last["data"]["by"]) == (
        r.json()["seq"],
        "alice",
        "facilitator",
    )

    # rotating the codes invalidates the old ones but not the tokens already issued
    r = await http.post(f"/api/drills/{drill.id}/codes", headers=bearer(drill.facilitator))
    new = r.json()["player_code"]
    old = {"code": drill.player_code, "name": "z"}
    r = await http.post(f"/api/drills/{drill.id}/join", json=old)
    assert (r.status_code, r.json()["message"]) == (
        401,
        "join code not valid for this drill (it may have been rotated)",
    )
    await join(http, drill, new, "zoe")
    assert (await http.get(f"/api/drills/{drill.id}", headers=bearer(alice))).status_code == 200

    # reports: players wait for the end; the facilitator sees them live
    for kind in ("grade", "postmortem"):
        r = await http.get(f"/api/drills/{drill.id}/{kind}", headers=bearer(alice))
        assert (r.status_code, r.json()["message"]) == (
            409,
            (
                f"the {kind} is available once the drill has ended (it is running); "
                "only the facilitator sees it live"
            ),
        )
        r = await http.get(f"/api/drills/{drill.id}/{kind}", headers=bearer(drill.facilitator))
        assert r.status_code == 200, r.text


@pytest.mark.parametrize("role", ["player", "observer"])
async def test_hidden_truth_never_reaches_players_or_observers(
    live: Live, http: httpx.AsyncClient, peers: Connect, role: str
) -> None:
    """Snapshots, events, state and log exports hold no facilitator-only facts."""
    drill = await create_drill(http, speed=240)
    token = await join(
        http,
        drill,
        drill.player_code if role == "player" else drill.observer_code,
        "pat" if role == "player" else None,
    )
    fac = await peers(live.ws, drill.id, drill.facilitator)
    await fac.control("start")
    await fac.event(lambda e: e["data"].get("what") == "fault started")
    await fac.act({"type": "note", "text": "the fault is the v143 deploy"})
    await fac.control("pause")

    p = await peers(live.ws, drill.id, token)
    assert "truth" not in p.welcome["snapshot"] and "injects" not in p.welcome["snapshot"]
    assert "truth" in fac.welcome["snapshot"]
    await p.until(lambda: p.events and p.events[-1]["seq"] >= fac.last_seq - 3)
    assert p.events and all(e["vis"] == "all" for e in p.events)
    state = (await http.get(f"/api/drills/{drill.id}", headers=bearer(token))).json()
    assert "truth" not in state["snapshot"]
    body = (await http.get(f"/api/drills/{drill.id}/log", headers=bearer(token))).content
    for secret in (b"fault started", b"v143 deploy", b"CouponResolver", b'"vis":"facilitator"'):
        assert secret not in body
    r = await http.get(f"/api/drills/{drill.id}/log", headers=bearer(drill.facilitator))
    full = r.content
    assert b"fault started" in full and b"v143 deploy" in full
