"""Bad frames and bad bodies: a clear error for each, and the drill is unharmed."""

from __future__ import annotations

import asyncio

import httpx
import orjson
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from .drillkit import Connect, Live, bearer, create_drill, hello, join


async def test_garbage_frames_get_error_frames_and_change_nothing(
    live: Live, http: httpx.AsyncClient, peers: Connect
) -> None:
    """Each bad frame gets exactly one error naming what was wrong; the log does not move."""
    drill = await create_drill(http)
    token = await join(http, drill, drill.player_code, "gus")
    p = await peers(live.ws, drill.id, token)
    fac = await peers(live.ws, drill.id, drill.facilitator)
    seq = p.welcome["seq"]

    cases: list[tuple[str | bytes, str | None, str, str]] = [
        ("not json", None, "bad_frame", "a frame must be one JSON object; this is not JSON"),
        ("[1, 2]", None, "bad_frame", "a frame must be a JSON object (got an array)"),
        (
            '{"id": "a", "type": "dance"}',
            "a",
            "bad_frame",
            "unknown frame type 'dance'; expected one of: hello, input, control, ping",
        ),
        (
            '{"type": "input", "input": {"type": "chat", "text": "x"}}',
            None,
            "bad_frame",
            "input frame: `id` is required",
        ),
        ('{"id": 7, "type": "ping"}', None, "bad_frame", "ping frame: `id`: input should be"),
        (
            '{"id": "b", "type": "input", "input": "rollback"}',
            "b",
            "bad_frame",
            "input frame: `input`: input should be a valid dictionary",
        ),
        (
            '{"id": "c", "type": "input", "input": {"type": "chat", "text": "x"}, "token": "t"}',
            "c",
            "bad_frame",
            "input frame: `token` is not a field of this frame (the token belongs in the hello "
            "frame only)",
        ),
        (
            '{"id": "d", "type": "hello", "v": 1, "token": "t"}',
            "d",
            "bad_frame",
            "this connection already said hello",
        ),
        (
            '{"id": "e", "type": "input", "input": {"type": "launch_missiles"}}',
            "e",
            "unknown_action",
            "unknown action 'launch_missiles'; valid actions: declare_incident",
        ),
        (
            '{"id": "f", "type": "input", "input": {"type": "rollback"}}',
            "f",
            "invalid_input",
            "rollback: `service` is required; rollback takes: service",
        ),
        (
            '{"id": "g", "type": "control", "action": "rewind"}',
            "g",
            "bad_frame",
            "control frame: `action`: input should be 'start', 'pause'",
        ),
        (
            '{"id": "h", "type": "ping", "v": 2}',
            "h",
            "bad_frame",
            "ping frame: `v`: input should be 1",
        ),
        (
            b'{"id": "i", "type": "ping"}',
            None,
            "bad_frame",
            "binary frames are not accepted; send JSON in text frames",
        ),
    ]
    for raw, fid, code, start in cases:
        n = len(p.frames)
        await p.ws.send(raw)

        def replies(n: int = n) -> list[dict]:  # event frames of a running drill interleave
            return [f for f in p.frames[n:] if f["type"] in ("error", "ack")]

        await p.until(lambda: bool(replies()))
        reply = replies()[0]
        assert (reply["type"], reply["id"], reply["code"]) == ("error", fid, code), raw
        assert reply["message"].startswith(start), reply["message"]

    # the engine's own refusal of a bad target is also an error, not a change
    bad = await fac.act({"type": "inject", "id": "nope"})
    assert (bad["code"], bad["message"]) == (
        "invalid_input",
        "unknown inject 'nope'; valid: support-tickets, vp-eta",
    )

    pong = await p.request({"type": "ping"})
    assert (pong["type"], pong["seq"]) == ("ack", seq)
    log = await http.get(f"/api/drills/{drill.id}/log", headers=bearer(drill.facilitator))
    assert len(log.content.splitlines()) == seq
    # a frame over 64 KiB closes the socket with 1009; the drill is still fine
    await p.ws.send(
        orjson.dumps(
            {"id": "big", "type": "input", "input": {"type": "chat", "text": "x" * 70_000}}
        ).decode()
    )
    assert (await p.wait_closed())[0] == 1009
    assert (await fac.request({"type": "ping"}))["seq"] == seq


async def test_the_handshake_refuses_what_it_must(live: Live, http: httpx.AsyncClient) -> None:
    """Foreign origins, tokens in URLs and unknown drills are refused before the upgrade."""
    drill = await create_drill(http)
    url = f"{live.ws}/ws/{drill.id}"
    refusals = [
        (dict(origin="http://evil.example"), 403),
        (dict(), 400, "?token=" + drill.facilitator),
        (dict(), 404, "", "/ws/nosuchdrill"),
    ]
    for case in refusals:
        kwargs, status = case[0], case[1]
        suffix = case[2] if len(case) > 2 else ""
        target = f"{live.ws}{case[3]}" if len(case) > 3 else url
        with pytest.raises(InvalidStatus) as info:
            async with connect(target + suffix, **kwargs):  # type: ignore[arg-type]
                pass
        assert info.value.response.status_code == status
    body = info.value.response.body or b""
    assert orjson.loads(body) == {"error": "not_found", "message": "no drill with id 'nosuchdrill'"}

    # the page's own origin is fine
    async with connect(url, origin=live.http) as ws:  # type: ignore[arg-type]
        await ws.send(hello(drill.facilitator))
        assert orjson.loads(await ws.recv())["type"] == "welcome"


async def test_hello_problems_close_the_socket_with_a_reason(
    live: Live, http: httpx.AsyncClient, tight
) -> None:
    """No hello in time, or a first frame that is not a hello, closes with 4002 / 4000."""
    drill = await create_drill(http)
    async with connect(f"{live.ws}/ws/{drill.id}") as ws:
        await ws.send('{"id": "1", "type": "ping"}')
        err = orjson.loads(await ws.recv())
        assert (err["code"], err["message"]) == (
            "bad_frame",
            "the first frame must be a hello, not ping",
        )
        await ws.wait_closed()
        assert (ws.close_code, ws.close_reason) == (4000, err["message"])

    quick: Live = tight(hello_timeout=0.2)
    async with httpx.AsyncClient(base_url=quick.http) as client:
        other = await create_drill(client)
    async with connect(f"{quick.ws}/ws/{other.id}") as ws:
        await ws.wait_closed()
        assert ws.close_code == 4002
        assert ws.close_reason.startswith("no hello within 0.2 s")


async def test_flooding_is_rate_limited_frame_by_frame(
    live: Live, http: httpx.AsyncClient, peers: Connect
) -> None:
    """Past the burst, frames are refused with rate_limited; every frame still gets one reply."""
    drill = await create_drill(http)
    p = await peers(live.ws, drill.id, drill.facilitator)
    await asyncio.gather(*(p.ws.send(f'{{"id": "{i}", "type": "ping"}}') for i in range(60)))
    await p.until(lambda: all(str(i) in p.replies for i in range(60)))
    codes = [p.replies[str(i)].get("code", "ack") for i in range(60)]
    assert codes.count("rate_limited") >= 15
    assert codes[:40] == ["ack"] * 40


async def test_bad_http_bodies_get_400_or_422_saying_what_was_expected(
    http: httpx.AsyncClient,
) -> None:
    """Non-JSON is a 400; JSON of the wrong shape a 422 naming the field; unknown ids a 404."""
    r = await http.post(
        "/api/drills", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert r.status_code == 400
    assert r.json()["error"] == "bad_request"
    assert r.json()["message"].startswith("the body is not valid JSON")

    cases = [
        (
            {"scenario": "checkout-deploy-500s", "speed": "fast"},
            422,
            "`body.speed`: Input should be a valid number, unable to parse string as a number "
            "(got 'fast')",
        ),
        (
            {"scenario": "checkout-deploy-500s", "speed": 0},
            422,
            "`body.speed`: Input should be greater than 0 (got 0)",
        ),
        (
            {"scenario": "checkout-deploy-500s", "sped": 2},
            422,
            "`body.sped` is not a field of this request",
        ),
        ({}, 422, "`body.scenario` is required"),
        ({"scenario": "../../etc/passwd"}, 422, "`body.scenario`: String should match pattern"),
        ({"scenario": "no-such-scenario"}, 404, "unknown scenario 'no-such-scenario'; available: "),
        (
            {"scenario": "checkout-deploy-500s", "facilitator": "SYSTEM"},
            422,
            "the name 'system' is reserved for the simulation's own events",
        ),
    ]
    for body, status, start in cases:
        r = await http.post("/api/drills", json=body)
        assert r.status_code == status, r.text
        assert r.json()["message"].startswith(start), r.json()["message"]

    drill = await create_drill(http)
    join_cases = [
        ({"name": "x"}, 422, "`body.code` is required"),
        ({"code": drill.player_code}, 422, "players need a `name`"),
        ({"code": drill.player_code, "name": "a\nb"}, 422, "`body.name`: String should match"),
        ({"code": drill.observer_code, "role": "ic"}, 422, "observers take no incident `role`"),
        ({"code": drill.player_code, "name": "ann", "role": "king"}, 422, "`body.role`: Input"),
        ({"code": "wrong", "name": "ann"}, 401, "join code not valid for this drill"),
        ({"code": drill.player_code, "name": "System"}, 409, "the name 'System' is taken"),
    ]
    for body, status, start in join_cases:
        r = await http.post(f"/api/drills/{drill.id}/join", json=body)
        assert r.status_code == status, r.text
        assert r.json()["message"].startswith(start), r.json()["message"]
    await join(http, drill, drill.player_code, "ann")
    r = await http.post(
        f"/api/drills/{drill.id}/join", json={"code": drill.player_code, "name": "ANN"}
    )
    assert (r.status_code, r.json()["message"]) == (
        409,
        "the name 'ANN' is taken in this drill; choose another",
    )

    r = await http.get("/api/drills/nosuchdrill/log", headers=bearer("x"))
    assert (r.status_code, r.json()) == (
        404,
        {"error": "not_found", "message": "no drill with id 'nosuchdrill'"},
    )
    r = await http.get("/api/drills/" + "a" * 2000, headers=bearer("x"))
    assert (r.status_code, r.json()["message"]) == (404, f"no drill with id '{'a' * 37}...'")
    r = await http.get("/api/nothing")
    assert (r.status_code, r.json()["error"]) == (404, "not_found")
    r = await http.post(
        f"/api/drills/{drill.id}/control",
        json={"action": "warp"},
        headers=bearer(drill.facilitator),
    )
    assert r.status_code == 422
    assert r.json()["message"].startswith("`body.action`: Input should be 'start'")


async def test_replayed_frames_are_refused_and_ids_need_no_order(
    live: Live, http: httpx.AsyncClient, peers: Connect
) -> None:
    """Ids are opaque (any order is fine); re-sending an applied input's id, even from a new
    connection, gets `duplicate_frame` with the first copy's seq, and nothing is applied."""
    drill = await create_drill(http)
    token = await join(http, drill, drill.player_code, "rex")
    fac = await peers(live.ws, drill.id, drill.facilitator)
    p = await peers(live.ws, drill.id, token)
    await fac.control("start")
    acks = {
        fid: await p.request({"id": fid, "type": "input", "input": {"type": "chat", "text": fid}})
        for fid in ("9", "3", "zz", "1")
    }
    assert {a["type"] for a in acks.values()} == {"ack"}

    again = await peers(live.ws, drill.id, token)  # a client retrying after a reconnect
    for conn in (p, again):
        dup = await conn.request(
            {"id": "3", "type": "input", "input": {"type": "chat", "text": "3"}}
        )
        assert (dup["type"], dup["code"], dup["seq"]) == (
            "error",
            "duplicate_frame",
            acks["3"]["seq"],
        )
        assert dup["message"] == (
            f"frame id '3' was already applied, as seq {acks['3']['seq']}; "
            "it is not applied again (use a new id for a new input)"
        )
    # a refused frame applied nothing, so its id stays free; another sender's ids are theirs
    bad = await p.request({"id": "r", "type": "input", "input": {"type": "rollback"}})
    assert bad["code"] == "invalid_input"
    assert (await p.request({"id": "r", "type": "input", "input": {"type": "chat", "text": "r"}}))[
        "type"
    ] == "ack"
    assert (
        await fac.request({"id": "3", "type": "input", "input": {"type": "note", "text": "mine"}})
    )["type"] == "ack"
    await fac.control("pause")
    r = await http.get(f"/api/drills/{drill.id}/log", headers=bearer(drill.facilitator))
    chats = [
        e["data"]["text"]
        for e in map(orjson.loads, r.content.splitlines())
        if e["data"].get("type") == "chat"
    ]
    assert chats == ["9", "3", "zz", "1", "r"]
