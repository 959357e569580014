"""Crash recovery: SIGKILL the server mid-drill; the drill comes back paused and loses nothing."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from typing import Any

import httpx
import orjson

from .drillkit import Peer, Process, bearer, create_drill, join, open_peer


async def export(client: httpx.AsyncClient, drill_id: str, token: str) -> bytes:
    r = await client.get(f"/api/drills/{drill_id}/log", headers=bearer(token))
    assert r.status_code == 200, r.text
    assert r.headers["x-log-digest"] == hashlib.sha256(r.content).hexdigest()
    return r.content


def parse(log: bytes) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in log.splitlines()]


async def test_stopped_paused_and_ended_drills_come_back_byte_identical(process: Process) -> None:
    """A drill paused or ended before the kill is rebuilt to exactly the same bytes."""
    process.start()
    assert process.banner.startswith(f"firedrill is serving http://127.0.0.1:{process.port}/")
    async with httpx.AsyncClient(base_url=process.http, timeout=10) as client:
        paused = await create_drill(client, speed=120, seed=7)
        ended = await create_drill(client, speed=120, seed=9)
        erin = await join(client, paused, paused.player_code, "erin", "ic")
        fac = await open_peer(process.ws, paused.id, paused.facilitator)
        player = await open_peer(process.ws, paused.id, erin)
        try:
            assert (await fac.control("start"))["type"] == "ack"
            assert (await fac.control("jump", seconds=300))["type"] == "ack"
            assert (await player.act({"type": "take_command"}))["type"] == "ack"
            assert (await player.act({"type": "rollback", "service": "checkout-api"}))[
                "type"
            ] == "ack"
            assert (await fac.act({"type": "note", "text": "good call"}))["type"] == "ack"
            assert (await fac.control("speed", speed=60))["type"] == "ack"
            assert (await fac.control("pause"))["type"] == "ack"
        finally:
            for peer in (fac, player):
                await peer.close()
        r = await client.post(
            f"/api/drills/{ended.id}/control",
            json={"action": "end"},
            headers=bearer(ended.facilitator),
        )
        assert r.status_code == 200
        before = {
            "paused": await export(client, paused.id, paused.facilitator),
            "player": await export(client, paused.id, erin),
            "ended": await export(client, ended.id, ended.facilitator),
        }

    process.kill()
    process.start()

    async with httpx.AsyncClient(base_url=process.http, timeout=10) as client:
        state = (await client.get(f"/api/drills/{paused.id}", headers=bearer(erin))).json()
        assert (state["status"], state["speed"]) == ("paused", 60)
        assert await export(client, paused.id, paused.facilitator) == before["paused"]
        assert await export(client, paused.id, erin) == before["player"]
        assert await export(client, ended.id, ended.facilitator) == before["ended"]
        r = await client.post(
            f"/api/drills/{paused.id}/join", json={"code": paused.player_code, "name": "erin"}
        )
        assert (r.status_code, r.json()["error"]) == (409, "conflict")


async def _chatter(peer: Peer, name: str, acked: dict[int, tuple[str, str, str]]) -> None:
    """Send chat until the connection dies; remember every input the server acknowledged."""
    n = 0
    with contextlib.suppress(Exception):
        while True:
            n += 1
            text = f"{name} update {n}"
            reply = await peer.request(
                {"type": "input", "input": {"type": "chat", "text": text}}, timeout=5
            )
            if reply["type"] == "ack":
                acked[reply["seq"]] = (name, reply["id"], text)
            await asyncio.sleep(0.06)  # within the 20 inputs/s rate limit


async def test_a_server_killed_mid_drill_with_clients_connected_loses_nothing(
    process: Process,
) -> None:
    """SIGKILL while a drill runs and players type: every acked input survives, the rebuilt
    log extends every client's view byte for byte, and each client, reconnecting with its
    last seq, receives exactly what it missed."""
    process.start()
    async with httpx.AsyncClient(base_url=process.http, timeout=10) as client:
        drill = await create_drill(client, speed=120, seed=8)
        tokens = {
            "facilitator": drill.facilitator,
            "finn": await join(client, drill, drill.player_code, "finn", "ic"),
            "gwen": await join(client, drill, drill.player_code, "gwen", "comms"),
            "watcher": await join(client, drill, drill.observer_code, "watcher"),
        }
        peers = {name: await open_peer(process.ws, drill.id, t) for name, t in tokens.items()}
        fac = peers["facilitator"]
        assert (await fac.control("start"))["type"] == "ack"
        assert (await peers["finn"].act({"type": "take_command"}))["type"] == "ack"
        acked: dict[int, tuple[str, str, str]] = {}
        typing = [asyncio.create_task(_chatter(peers[n], n, acked)) for n in ("finn", "gwen")]
        await fac.until(lambda: len(acked) >= 20 and fac.last_seq and fac.last_seq > 60)
        early = await export(client, drill.id, drill.facilitator)

        process.kill()  # mid-drill, mid-typing, four sockets open
        for peer in peers.values():
            code, _ = await peer.wait_closed()
            assert code == 1006  # abnormal: no close frame from a killed process
        await asyncio.gather(*typing)

    process.start()
    async with httpx.AsyncClient(base_url=process.http, timeout=10) as client:
        state = (await client.get(f"/api/drills/{drill.id}", headers=bearer(tokens["finn"]))).json()
        assert state["status"] == "paused"
        rebuilt = await export(client, drill.id, drill.facilitator)
        assert rebuilt.startswith(early)
        log = parse(rebuilt)
        by_seq = {e["seq"]: e for e in log}
        for seq, (name, _, text) in acked.items():
            assert (by_seq[seq]["type"], by_seq[seq]["actor"]) == ("input", name)
            assert by_seq[seq]["data"]["text"] == text
        for name, peer in peers.items():  # what each client saw before the crash is still there
            view = parse(await export(client, drill.id, tokens[name]))
            assert peer.events == view[: len(peer.events)], name

        # everyone reconnects at once with the last seq they saw
        again = dict(
            zip(
                peers,
                await asyncio.gather(
                    *(
                        open_peer(process.ws, drill.id, tokens[n], last_seq=p.last_seq)
                        for n, p in peers.items()
                    )
                ),
                strict=True,
            )
        )
        try:
            for name, peer in again.items():
                assert peer.welcome["status"] == "paused"
                assert peer.welcome["resume"]["mode"] == "events", name
            # a client re-sending an input acked before the crash is told it was applied
            seq, (name, fid, text) = max(acked.items())
            dup = await again[name].request(
                {"id": fid, "type": "input", "input": {"type": "chat", "text": text}}
            )
            assert (dup["code"], dup["seq"]) == ("duplicate_frame", seq)
            fac2 = again["facilitator"]
            assert (await fac2.control("resume"))["type"] == "ack"
            assert (await again["gwen"].act({"type": "chat", "text": "we are back"}))[
                "type"
            ] == "ack"
            await fac2.until(lambda: fac2.last_seq and fac2.last_seq > len(log) + 20)
            assert (await fac2.control("pause"))["type"] == "ack"
            for name, peer in again.items():
                view = parse(await export(client, drill.id, tokens[name]))
                before = peers[name].events
                await peer.until(lambda p=peer, b=before, v=view: len(b) + len(p.events) >= len(v))
                assert before + peer.events == view, name  # no gap, no repeat
        finally:
            for peer in again.values():
                await peer.close()
