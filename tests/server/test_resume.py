"""Reconnecting with the last seq: exactly the missed events, once, in order (or a snapshot)."""

from __future__ import annotations

import asyncio

import httpx
import orjson

from .drillkit import Connect, Live, bearer, create_drill, join, open_peer


async def test_a_reconnecting_player_gets_exactly_what_it_missed(
    live: Live, http: httpx.AsyncClient, peers: Connect
) -> None:
    """Events seen before + after reconnecting = the player's view of the log, no gap, no repeat."""
    drill = await create_drill(http, speed=120)
    token = await join(http, drill, drill.player_code, "dana")
    fac = await peers(live.ws, drill.id, drill.facilitator)
    await fac.control("start")

    first = await peers(live.ws, drill.id, token)
    await first.until(lambda: len(first.events) >= 8)
    await first.close()
    seen = list(first.events)
    last = seen[-1]["seq"]

    await fac.until(lambda: fac.last_seq > last + 15)  # the drill moves on meanwhile
    again = await peers(live.ws, drill.id, token, last_seq=last)
    resume = again.welcome["resume"]
    assert (resume["from"], resume["mode"]) == (last, "events")
    assert resume["events"] >= 10
    await again.act({"type": "chat", "text": "back"})
    await fac.control("pause")
    await again.until(
        lambda: any(f["type"] == "clock" and f["status"] == "paused" for f in again.frames)
    )

    r = await http.get(f"/api/drills/{drill.id}/log", headers=bearer(token))
    view = [orjson.loads(line) for line in r.content.splitlines()]
    assert seen + again.events == view
    assert [e["seq"] for e in again.events][:1] == [next(e["seq"] for e in view if e["seq"] > last)]
    # the catch-up frames came right after the welcome, before anything live
    first_frames = again.frames[1:3]
    assert first_frames[0]["type"] == "events"
    assert first_frames[0]["items"][0]["seq"] > last


async def test_a_client_too_far_behind_or_ahead_gets_a_snapshot(
    tight, http: httpx.AsyncClient, peers: Connect
) -> None:
    """Past the backlog limit (or ahead of the log) the welcome's snapshot replaces replay."""
    server: Live = tight(backlog_events=5, chunk_events=2)
    async with httpx.AsyncClient(base_url=server.http) as client:
        drill = await create_drill(client, speed=240)
        fac = await peers(server.ws, drill.id, drill.facilitator)
        assert fac.welcome["resume"] == {"from": None, "mode": "events", "events": 2}
        await fac.control("start")
        await fac.until(lambda: fac.last_seq and fac.last_seq > 12)
        await fac.control("pause")

        behind = await peers(server.ws, drill.id, drill.facilitator, last_seq=0)
        assert behind.welcome["resume"]["mode"] == "snapshot"
        assert behind.welcome["snapshot"]["seq"] == behind.welcome["seq"]

        seq = behind.welcome["seq"]
        near = await peers(server.ws, drill.id, drill.facilitator, last_seq=seq - 4)
        assert near.welcome["resume"] == {"from": seq - 4, "mode": "events", "events": 4}
        await near.until(lambda: len(near.events) == 4)
        assert [e["seq"] for e in near.events] == [seq - 3, seq - 2, seq - 1, seq]
        assert [len(f["items"]) for f in near.frames if f["type"] == "events"] == [2, 2]

        ahead = await peers(server.ws, drill.id, drill.facilitator, last_seq=seq + 100)
        assert ahead.welcome["resume"] == {"from": seq + 100, "mode": "snapshot", "events": 0}


async def test_a_reconnect_storm_leaves_no_gap_and_no_duplicate(
    live: Live, http: httpx.AsyncClient
) -> None:
    """Forty clients of a running drill drop at once, three times, and all rejoin together with
    their last seq while players keep acting: each ends with exactly its view of the log."""
    drill = await create_drill(http, speed=240, seed=5)
    tokens = [drill.facilitator]
    tokens += [await join(http, drill, drill.player_code, f"p{i}") for i in range(12)]
    tokens += [await join(http, drill, drill.observer_code) for _ in range(27)]
    seen: list[list[dict]] = [[] for _ in tokens]
    clients = await asyncio.gather(*(open_peer(live.ws, drill.id, t) for t in tokens))
    fac = clients[0]
    await fac.control("start")
    try:
        for storm in range(3):
            await fac.until(lambda f=fac: len(f.events) >= 30)  # the drill moves on
            for i in range(1, 6):  # players act right up to the storm
                await clients[i].act({"type": "chat", "text": f"storm {storm}"})
            for c in clients:  # the network drops: no close handshake
                c.ws.transport.abort()
            await asyncio.gather(*(c.wait_closed() for c in clients))
            for i, c in enumerate(clients):
                seen[i] += c.events
            clients = await asyncio.gather(
                *(
                    open_peer(
                        live.ws, drill.id, t, last_seq=seen[i][-1]["seq"] if seen[i] else None
                    )
                    for i, t in enumerate(tokens)
                )
            )
            assert {c.welcome["resume"]["mode"] for c in clients} == {"events"}
            fac = clients[0]
        await clients[1].act({"type": "chat", "text": "after the storms"})
        await fac.control("pause")
        for i, (t, c) in enumerate(zip(tokens, clients, strict=True)):
            r = await http.get(f"/api/drills/{drill.id}/log", headers=bearer(t))
            view = [orjson.loads(line) for line in r.content.splitlines()]
            await c.until(lambda c=c, i=i, v=view: len(seen[i]) + len(c.events) >= len(v))
            got = seen[i] + c.events
            assert [e["seq"] for e in got] == [e["seq"] for e in view], i
            assert got == view
    finally:
        await asyncio.gather(*(c.close() for c in clients))
