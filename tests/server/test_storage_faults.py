"""A store that cannot be written: the drill pauses, everyone is told, nothing is lost or doubled.

Two ways of failing: a store double at the Store interface (its writes raise
what a full disk raises), and a real server process whose file-size limit is
lowered to one byte, so SQLite's own writes fail with an I/O error.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import websockets

from server.errors import StorageUnavailable
from server.settings import Backoff, Settings
from server.store import SqliteStore

from .drillkit import (
    SCENARIO,
    Drill,
    Live,
    Peer,
    Process,
    bearer,
    create_drill,
    join,
    open_peer,
    scraped,
    start_in_thread,
)

PROTOCOL = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text()


class FlakyStore(SqliteStore):
    """The real SQLite store, whose writes fail while ``failing`` is set (and store nothing)."""

    failing = False
    refused = 0

    def _gate(self) -> None:
        if self.failing:
            self.refused += 1
            full = sqlite3.OperationalError("database or disk is full")
            raise StorageUnavailable(f"the drill store cannot be used ({full})") from full

    def create_drill(self, *args: Any, **kwargs: Any) -> None:
        self._gate()
        super().create_drill(*args, **kwargs)

    def update_drill(self, *args: Any, **kwargs: Any) -> None:
        self._gate()
        super().update_drill(*args, **kwargs)

    def add_token(self, *args: Any, **kwargs: Any) -> None:
        self._gate()
        super().add_token(*args, **kwargs)

    def append_input(self, *args: Any, **kwargs: Any) -> int:
        self._gate()
        return super().append_input(*args, **kwargs)

    def drop_input(self, *args: Any, **kwargs: Any) -> None:
        self._gate()
        super().drop_input(*args, **kwargs)


def _after(peer: Peer, frame: dict[str, Any], kind: str, status: str) -> dict[str, Any] | None:
    """The first ``clock`` frame with ``status`` that came after ``frame``."""
    later = peer.frames[peer.frames.index(frame) + 1 :]
    return next((f for f in later if f["type"] == kind and f.get("status") == status), None)


def _stall_frame(peer: Peer) -> dict[str, Any] | None:
    return next((f for f in peer.frames if f["type"] == "error" and f["id"] is None), None)


async def _through_a_fault(
    http: httpx.AsyncClient,
    ws: str,
    fail: Any,
    recover: Any,
    cause: str,
) -> tuple[Drill, Peer, Peer]:
    """Run a drill through one storage fault; return it and its two peers.

    Asserts everything a user notices while it lasts: the error frame and the
    pause for everyone, degraded health, refused inputs, a JSON 503 on create,
    a clock that does not move; then the resume where it was.
    """
    drill = await create_drill(http, speed=60)
    ptoken = await join(http, drill, drill.player_code, "alice")
    fac = await open_peer(ws, drill.id, drill.facilitator)
    ply = await open_peer(ws, drill.id, ptoken)
    assert (await fac.control("start"))["type"] == "ack"
    await fac.until(lambda: len(fac.events) >= 6)
    assert (await ply.act({"type": "chat", "text": "before"}))["type"] == "ack"

    fail()
    for peer in (fac, ply):
        stall = await peer.until(lambda p=peer: _stall_frame(p))
        assert stall["code"] == "storage_unavailable", stall
        assert cause in stall["message"] and "paused" in stall["message"], stall
        assert await peer.until(lambda p=peer, s=stall: _after(p, s, "clock", "paused"))
    health = (await http.get("/api/health")).json()
    assert health["status"] == "degraded", health
    assert health["storage"]["ok"] is False and health["storage"]["drills_waiting"] == 1
    assert cause in health["storage"]["error"]
    # the probes agree: not ready (a balancer sends new clients elsewhere), yet alive
    ready = await http.get("/readyz")
    assert ready.status_code == 503 and ready.json()["status"] == "not_ready"
    assert [r for r in ready.json()["reasons"] if r.startswith("store: ") and cause in r]
    assert (await http.get("/healthz")).status_code == 200
    assert scraped(await http.get("/metrics"), "firedrill_store_ok") == 0
    assert scraped(await http.get("/metrics"), "firedrill_store_write_failures_total") >= 1
    refused = await ply.act({"type": "chat", "text": "during"})
    assert refused["type"] == "error" and refused["code"] == "storage_unavailable", refused
    assert "nothing was applied" in refused["message"]
    created = await http.post("/api/drills", json={"scenario": SCENARIO, "seed": 2})
    assert created.status_code == 503, created.text
    assert created.json()["error"] == "storage_unavailable"
    assert created.headers["content-type"] == "application/json"
    seen, t = len(fac.events), fac.frames[-1].get("t")
    await asyncio.sleep(1.0)  # 60 simulated seconds at 60x: a running drill would log events
    assert len(fac.events) == seen, "a drill that could not be saved advanced"

    recover()
    stall = _stall_frame(fac)
    assert stall is not None
    resumed = await fac.until(lambda: _after(fac, stall, "clock", "running"), timeout=15)
    assert t is None or resumed["t"] >= t
    await fac.until(lambda: len(fac.events) >= seen + 3)
    health = (await http.get("/api/health")).json()
    assert health["status"] == "ok" and health["storage"]["drills_waiting"] == 0, health
    assert (await http.get("/readyz")).json() == {"status": "ready", "reasons": []}
    assert (await ply.act({"type": "chat", "text": "after"}))["type"] == "ack"
    await fac.until(lambda: any(e.get("data", {}).get("text") == "after" for e in fac.events))
    return drill, fac, ply


def _chats(events: list[dict[str, Any]]) -> list[str]:
    return [
        e["data"]["text"] for e in events if e["type"] == "input" and e["data"]["type"] == "chat"
    ]


async def _export(http: httpx.AsyncClient, drill_id: str, token: str) -> list[dict[str, Any]]:
    r = await http.get(f"/api/drills/{drill_id}/log", headers=bearer(token))
    assert r.status_code == 200, r.text
    return [orjson.loads(line) for line in r.content.splitlines()]


async def test_a_failing_store_pauses_the_drill_and_it_resumes_where_it_was(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Store double: error frame, pause, degraded health, retries, resume; log == what was seen."""
    caplog.set_level(logging.WARNING, logger="firedrill.server")
    store = FlakyStore(tmp_path / "flaky.db")
    settings = Settings(db=str(tmp_path / "flaky.db"), store_retry=Backoff(first=0.05, most=0.2))
    server = start_in_thread(settings, store)

    def fail() -> None:
        store.failing = True

    def recover() -> None:
        assert store.refused >= 4  # the stalled save, the input, the create, and retries
        store.failing = False

    try:
        async with httpx.AsyncClient(base_url=server.http, timeout=10) as http:
            drill, fac, ply = await _through_a_fault(
                http, server.ws, fail, recover, "database or disk is full"
            )
            assert (await fac.control("end"))["type"] == "ack"
            await fac.until(lambda: any(f.get("status") == "ended" for f in fac.frames))
            exported = await _export(http, drill.id, drill.facilitator)  # the whole log
            await fac.close()
            await ply.close()
    finally:
        server.stop()
    assert fac.events == exported  # every event once, in order, none held back or repeated
    assert _chats(exported) == ["before", "after"]
    stored = [i.data.get("text") for i in SqliteStore(settings.db).inputs(drill.id)]
    assert stored.count("before") == 1 and stored.count("after") == 1 and "during" not in stored
    lines = [r.getMessage() for r in caplog.records if r.name == "firedrill.server"]
    failed = [m for m in lines if "cannot be written" in m]
    assert len(failed) == 1 and "database or disk is full" in failed[0], lines
    assert len([m for m in lines if "works again" in m]) == 1, lines


@pytest.mark.skipif(not hasattr(resource, "prlimit"), reason="needs Linux prlimit")
async def test_a_full_disk_under_a_real_server_loses_nothing_and_doubles_nothing(
    process: Process,
) -> None:
    """A real `firedrill serve` whose file-size limit drops to 1 byte, then recovers; SIGKILL after."""
    process.start()
    unlimited = (resource.RLIM_INFINITY, resource.RLIM_INFINITY)

    def fail() -> None:
        resource.prlimit(process.pid, resource.RLIMIT_FSIZE, (1, resource.RLIM_INFINITY))

    def recover() -> None:
        resource.prlimit(process.pid, resource.RLIMIT_FSIZE, unlimited)

    async with httpx.AsyncClient(base_url=process.http, timeout=10) as http:
        drill, fac, ply = await _through_a_fault(http, process.ws, fail, recover, "I/O error")
        process.kill()  # what was acked and seen must be in the file, once
        await fac.wait_closed()
        await ply.wait_closed()
        process.start()
        exported = await _export(http, drill.id, drill.facilitator)
    assert fac.events == exported[: len(fac.events)]
    assert _chats(exported) == ["before", "after"]
    stall = _stall_frame(fac)
    assert stall is not None
    shown = orjson.dumps(stall).decode()  # the sample in protocol.md is this very frame
    assert shown.split(',"message"')[0] in PROTOCOL and stall["message"] in PROTOCOL, shown
    out = process.output()
    assert out.count("cannot be written") == 1, out
    assert "Traceback" not in out, out


class UnreadableStore(SqliteStore):
    """The real SQLite store, whose token and drill look-ups fail while ``failing`` is set."""

    failing = False

    def _gate(self) -> None:
        if self.failing:
            io = sqlite3.OperationalError("disk I/O error")
            raise StorageUnavailable(f"the drill store cannot be used ({io})") from io

    def principal(self, token_hash: str) -> Any:
        self._gate()
        return super().principal(token_hash)

    def drill(self, drill_id: str) -> Any:
        self._gate()
        return super().drill(drill_id)


@pytest.fixture
def unreadable(tmp_path: Path) -> Iterator[tuple[UnreadableStore, Live]]:
    """A server in a thread on an :class:`UnreadableStore` (working until told to fail)."""
    store = UnreadableStore(tmp_path / "unreadable.db")
    server = start_in_thread(Settings(db=str(tmp_path / "unreadable.db")), store)
    yield store, server
    server.stop()


async def test_a_hello_the_store_cannot_check_gets_storage_unavailable_not_unauthorized(
    unreadable: tuple[UnreadableStore, Live],
) -> None:
    """The token may be good: the client is told the store failed (close 1011), not to rejoin."""
    store, server = unreadable
    async with httpx.AsyncClient(base_url=server.http, timeout=10) as http:
        drill = await create_drill(http)
        store.failing = True
        async with websockets.connect(f"{server.ws}/ws/{drill.id}") as ws:
            await ws.send(orjson.dumps({"type": "hello", "v": 1, "id": "h1",
                                        "token": drill.facilitator}).decode())  # fmt: skip
            frame = orjson.loads(await ws.recv())
            with pytest.raises(websockets.ConnectionClosed):
                await ws.recv()
        assert frame["type"] == "error" and frame["id"] == "h1", frame
        assert frame["code"] == "storage_unavailable", frame
        assert "disk I/O error" in frame["message"], frame
        assert ws.close_code == 1011, (ws.close_code, ws.close_reason)
        assert "| 1011 |" in PROTOCOL
        store.failing = False  # the same token works once the store does
        peer = await open_peer(server.ws, drill.id, drill.facilitator)
        assert peer.welcome["role"] == "facilitator"
        await peer.close()


async def test_reads_the_store_cannot_answer_are_json_503_over_rest_and_the_upgrade(
    unreadable: tuple[UnreadableStore, Live],
) -> None:
    """A drill not in memory must be read from the store: when that fails, a REST request
    and a WebSocket upgrade both get JSON 503 `storage_unavailable`, not a 404 or a 500."""
    store, server = unreadable
    async with httpx.AsyncClient(base_url=server.http, timeout=10) as http:
        drill = await create_drill(http)
        store.failing = True
        r = await http.get("/api/drills/notinmemory1", headers=bearer(drill.facilitator))
        assert r.status_code == 503, r.text
        assert r.headers["content-type"] == "application/json"
        assert r.json()["error"] == "storage_unavailable", r.json()
        assert "disk I/O error" in r.json()["message"]
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(f"{server.ws}/ws/notinmemory1")
        response = refused.value.response
        assert response.status_code == 503
        assert orjson.loads(response.body)["error"] == "storage_unavailable"
