"""Hostile connections: silent, slow, too many from one address, no descriptors left.

Attackers connect from other loopback addresses (127.0.0.2, 127.0.0.3) so
the per-address limit tells them apart from the well-behaved client on
127.0.0.1. Every loop is bounded; nothing leaves the loopback interface.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import socket
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import orjson
import pytest

from .drillkit import Live, Process, create_drill, open_peer

ATTACKER, SLOW = "127.0.0.2", "127.0.0.3"


def _port(server: Live | Process) -> int:
    return int(server.http.rsplit(":", 1)[1])


async def _connect(port: int, source: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))


async def _closed_within(reader: asyncio.StreamReader, seconds: float) -> bytes:
    """Everything the server sent before closing; TimeoutError if it keeps the socket open."""
    data = b""
    async with asyncio.timeout(seconds):
        with contextlib.suppress(ConnectionError):  # closed while we were still writing
            while chunk := await reader.read(65536):
                data += chunk
    return data


def _json_body(response: bytes) -> dict[str, object]:
    head, _, body = response.partition(b"\r\n\r\n")
    assert b"content-type: application/json" in head.lower(), response
    return orjson.loads(body)  # type: ignore[no-any-return]


async def _served(http: httpx.AsyncClient, times: int, bound: float) -> list[float]:
    """``times`` health checks by the well-behaved client; each must answer within ``bound`` s."""
    took = []
    for _ in range(times):
        start = time.monotonic()
        r = await http.get("/api/health", timeout=bound)
        assert r.status_code == 200
        took.append(time.monotonic() - start)
        await asyncio.sleep(0.1)
    return took


async def test_silent_and_slow_requests_are_cut_off_and_others_are_served(
    tight: Callable[..., Live],
) -> None:
    """Silent sockets, a header a byte at a time, a body that stops: 408/closed within 1 s."""
    server = tight(request_seconds=1.0)
    port = _port(server)
    silent = [await _connect(port, ATTACKER) for _ in range(40)]
    slow = [await _connect(port, SLOW) for _ in range(20)]
    stalled_body = [await _connect(port, SLOW) for _ in range(5)]
    for _, w in stalled_body:
        w.write(b"POST /api/drills HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-length: 100\r\n\r\n{")
        await w.drain()

    async def drip() -> None:
        for _, w in slow:
            w.write(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        for n in range(30):  # a header line every 0.1 s: never a whole request
            for _, w in slow:
                with contextlib.suppress(ConnectionError):
                    w.write(f"X-Drip-{n}: 1\r\n".encode())
            await asyncio.sleep(0.1)

    dripping = asyncio.create_task(drip())
    async with httpx.AsyncClient(base_url=server.http) as http:
        took = await _served(http, 10, bound=2.0)
    silent_answers = await asyncio.gather(*(_closed_within(r, 3.0) for r, _ in silent))
    slow_answers = await asyncio.gather(*(_closed_within(r, 3.0) for r, _ in slow))
    await asyncio.gather(*(_closed_within(r, 3.0) for r, _ in stalled_body))
    dripping.cancel()
    await asyncio.gather(dripping, return_exceptions=True)
    for answer in silent_answers:
        assert answer.startswith(b"HTTP/1.1 408 "), answer
        assert _json_body(answer)["error"] == "request_timeout"
    # a dripping client that keeps writing may see the reset before the 408: closed is the point
    assert all(a == b"" or a.startswith(b"HTTP/1.1 408 ") for a in slow_answers)
    assert max(took) < 2.0
    for _, w in (*silent, *slow, *stalled_body):
        w.close()


async def test_one_address_cannot_hold_more_than_its_share(tight: Callable[..., Live]) -> None:
    """30 sockets from one address with a limit of 10: 20 get a JSON 503, others are served."""
    server = tight(connections_per_address=10, request_seconds=30.0)
    port = _port(server)
    held = [await _connect(port, ATTACKER) for _ in range(30)]
    refused, kept = [], []
    for reader, writer in held:
        try:
            refused.append(await _closed_within(reader, 0.5))
        except TimeoutError:
            kept.append(writer)
    assert len(kept) == 10 and len(refused) == 20
    for answer in refused:
        assert answer.startswith(b"HTTP/1.1 503 "), answer
        body = _json_body(answer)
        assert body["error"] == "limit_reached" and "127.0.0.2" in str(body["message"])
    async with httpx.AsyncClient(base_url=server.http, timeout=5) as http:
        await _served(http, 3, bound=2.0)
        drill = await create_drill(http)
        peer = await open_peer(server.ws, drill.id, drill.facilitator)  # WebSockets too
        assert (await peer.request({"type": "ping"}))["type"] == "ack"
        await peer.close()
    for _, w in held:
        w.close()
    for _ in range(50):  # the address gets its share back once its sockets are closed
        reader, writer = await _connect(port, ATTACKER)
        writer.write(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        answer = await _closed_within(reader, 2.0)
        writer.close()
        if answer.startswith(b"HTTP/1.1 200 "):
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail("the address stayed locked out after closing its sockets")


def _fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc")
async def test_running_out_of_descriptors_logs_one_line_and_keeps_serving(tmp_path: Path) -> None:
    """Ten addresses exhaust the descriptors: one log line, no traceback, the open socket is
    served throughout, and new clients are served as soon as the flood lets go."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = Process(tmp_path / "fd.db", port)
    process.start()
    try:
        async with httpx.AsyncClient(base_url=process.http, timeout=5) as http:
            drill = await create_drill(http)
            peer = await open_peer(process.ws, drill.id, drill.facilitator)
        soft = _fds(process.pid) + 40  # each address may hold a quarter of that
        hard = resource.prlimit(process.pid, resource.RLIMIT_NOFILE)[1]
        resource.prlimit(process.pid, resource.RLIMIT_NOFILE, (soft, hard))
        sources = [f"127.0.0.{n}" for n in range(2, 12)]
        flood = [await _connect(port, src) for _ in range(soft // 4) for src in sources]
        for _ in range(40):  # until the server has run out (bounded: 4 s)
            if _fds(process.pid) >= soft - 1 and "cannot accept" in process.output():
                break
            await asyncio.sleep(0.1)
        else:
            pytest.fail(f"the flood did not exhaust {soft} descriptors: {_fds(process.pid)} open")
        for _ in range(3):  # the client already connected is served all along
            assert (await peer.request({"type": "ping"}, timeout=2))["type"] == "ack"
            await asyncio.sleep(0.5)
        for _, w in flood:
            w.close()
        start = time.monotonic()
        async with httpx.AsyncClient(base_url=process.http) as http:
            r = await http.get("/api/health", timeout=10)
        assert r.status_code == 200
        assert time.monotonic() - start < 5.0  # the queued flood drains in well under that
        assert (await peer.request({"type": "ping"}, timeout=2))["type"] == "ack"
        await peer.close()
    finally:
        process.stop()
    out = process.output()
    assert "Traceback" not in out, out[:2000]
    lines = [line for line in out.splitlines() if "cannot accept new connections" in line]
    assert len(lines) == 1, out[:2000]
    assert "Too many open files" in lines[0]
