"""Crash recovery: SIGKILL the server mid-drill; the drill comes back paused with its log intact."""

from __future__ import annotations

import hashlib

import httpx
import orjson

from .drillkit import Process, bearer, create_drill, join, open_peer


async def export(client: httpx.AsyncClient, drill_id: str, token: str) -> bytes:
    r = await client.get(f"/api/drills/{drill_id}/log", headers=bearer(token))
    assert r.status_code == 200, r.text
    assert r.headers["x-log-digest"] == hashlib.sha256(r.content).hexdigest()
    return r.content


async def test_a_killed_server_rebuilds_its_drills_from_stored_inputs(process: Process) -> None:
    """Paused: the rebuilt log is byte-identical. Running: it is a prefix-compatible rebuild."""
    process.start()
    assert process.banner.startswith(f"firedrill is serving http://127.0.0.1:{process.port}/")
    async with httpx.AsyncClient(base_url=process.http, timeout=10) as client:
        paused = await create_drill(client, speed=120, seed=7)
        running = await create_drill(client, speed=120, seed=8)
        ended = await create_drill(client, speed=120, seed=9)
        erin = await join(client, paused, paused.player_code, "erin", "ic")
        finn = await join(client, running, running.player_code, "finn")

        fac = await open_peer(process.ws, paused.id, paused.facilitator)
        player = await open_peer(process.ws, paused.id, erin)
        fac2 = await open_peer(process.ws, running.id, running.facilitator)
        p2 = await open_peer(process.ws, running.id, finn)
        try:
            for f in (fac, fac2):
                assert (await f.control("start"))["type"] == "ack"
            assert (await fac.control("jump", seconds=300))["type"] == "ack"
            assert (await player.act({"type": "take_command"}))["type"] == "ack"
            assert (await player.act({"type": "rollback", "service": "checkout-api"}))["type"] == "ack"
            assert (await p2.act({"type": "restart", "target": "checkout-api"}))["type"] == "ack"
            assert (await fac.act({"type": "note", "text": "good call"}))["type"] == "ack"
            assert (await fac.control("speed", speed=60))["type"] == "ack"
            await player.until(lambda: player.last_seq and player.last_seq > fac.last_seq - 1)
            assert (await fac.control("pause"))["type"] == "ack"
        finally:
            for peer in (fac, player, fac2, p2):
                await peer.close()
        r = await client.post(f"/api/drills/{ended.id}/control", json={"action": "end"},
                              headers=bearer(ended.facilitator))
        assert r.status_code == 200

        before_paused = await export(client, paused.id, paused.facilitator)
        before_running = await export(client, running.id, running.facilitator)
        before_ended = await export(client, ended.id, ended.facilitator)
        before_player = await export(client, paused.id, erin)

    process.kill()
    process.start()

    async with httpx.AsyncClient(base_url=process.http, timeout=10) as client:
        state = (await client.get(f"/api/drills/{paused.id}", headers=bearer(erin))).json()
        assert (state["status"], state["speed"]) == ("paused", 60)
        assert await export(client, paused.id, paused.facilitator) == before_paused
        assert await export(client, paused.id, erin) == before_player
        assert await export(client, ended.id, ended.facilitator) == before_ended

        # the running drill lost at most the few seconds since its last checkpoint
        state = (await client.get(f"/api/drills/{running.id}", headers=bearer(finn))).json()
        assert state["status"] == "paused"
        after = (await export(client, running.id, running.facilitator)).splitlines()
        lines = before_running.splitlines()
        n = min(len(after), len(lines))
        assert after[:n] == lines[:n]
        inputs = [line for line in lines if orjson.loads(line)["type"] == "input"]
        assert all(line in after for line in inputs)

        # it carries on from there when the facilitator resumes it
        fac = await open_peer(process.ws, running.id, running.facilitator, last_seq=len(after))
        try:
            assert fac.welcome["status"] == "paused"
            assert (await fac.control("resume"))["type"] == "ack"
            assert (await fac.control("jump", seconds=3600))["type"] == "ack"
            end = await fac.event(lambda e: e["type"] == "drill.ended")
            assert end["data"] == {"reason": "time"}
        finally:
            await fac.close()
        r = await client.post(f"/api/drills/{paused.id}/join",
                              json={"code": paused.player_code, "name": "erin"})
        assert (r.status_code, r.json()["error"]) == (409, "conflict")
