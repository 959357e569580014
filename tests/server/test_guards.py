"""One server per database, allowed Host names, no token in any log line, JSON for every error."""

from __future__ import annotations

import asyncio
import logging
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from server.errors import StoreLocked
from server.hosts import host_allowed
from server.logs import RedactQuery
from server.settings import Settings
from server.store import SqliteStore

from .drillkit import Live, Process, create_drill, start_in_thread
from .pgkit import schema_url


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
async def test_a_second_server_on_the_same_database_refuses_to_start(
    process: Process, kind: str, request: pytest.FixtureRequest
) -> None:
    """The second `firedrill serve` exits 1 with a clear message and leaves the drill running."""
    if kind == "postgresql":
        schema = request.getfixturevalue("pg_schema")
        process.db = schema_url(schema)
        held = (
            f"Error: postgresql://postgres@127.0.0.1:5432/test (schema {schema}) is in use by "
            "another firedrill server; stop that server first"
        )
    process.start()
    if kind == "sqlite":
        held = f"Error: {process.db} is in use by another firedrill server (pid {process.pid})"
    async with httpx.AsyncClient(base_url=process.http, timeout=5) as http:
        drill = await create_drill(http)
        r = await http.post(
            f"/api/drills/{drill.id}/control",
            json={"action": "start"},
            headers={"Authorization": f"Bearer {drill.facilitator}"},
        )
        assert r.status_code == 200, r.text
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            other_port = s.getsockname()[1]
        exe = Path(sys.executable).parent / "firedrill"
        second = subprocess.run(
            [str(exe), "serve", "--store", str(process.db), "--port", str(other_port)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert second.returncode == 1
        assert held in second.stderr, second.stderr
        assert "Traceback" not in second.stderr
        state = await http.get(
            f"/api/drills/{drill.id}", headers={"Authorization": f"Bearer {drill.facilitator}"}
        )
        assert state.json()["status"] == "running"  # not recovered, not paused by the second


def test_the_store_lock_is_released_on_close(tmp_path: Path) -> None:
    """Closing the store frees the database for the next server; holding it refuses."""
    first = SqliteStore(tmp_path / "a.db")
    with pytest.raises(StoreLocked, match="is in use by another firedrill server"):
        SqliteStore(tmp_path / "a.db")
    first.close()
    SqliteStore(tmp_path / "a.db").close()


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("127.0.0.1:8000", True),
        ("localhost:8000", True),
        ("app.localhost", True),
        ("[::1]:8000", True),
        ("192.168.1.20:8000", True),
        ("drills.example.com", False),
        ("evil.example:8000", False),
        ("", False),
        (None, False),
    ],
)
def test_host_names_by_default(host: str | None, allowed: bool) -> None:
    """Loopback names and IP literals pass; any other name needs --allow-host."""
    assert host_allowed(host, ()) is allowed
    assert host_allowed(host, ("drills.example.com",)) is (allowed or host == "drills.example.com")


async def test_a_dns_rebinding_page_is_refused(live: Live) -> None:
    """A request or socket naming another host (same IP) gets a JSON 400 / a refused handshake."""
    async with httpx.AsyncClient(base_url=live.http, timeout=5) as http:
        r = await http.get("/api/health", headers={"Host": "evil.example:80"})
        assert r.status_code == 400
        assert r.json()["error"] == "bad_host"
        assert "--allow-host" in r.json()["message"]
        drill = await create_drill(http)
    port = int(live.http.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"GET /ws/{drill.id} HTTP/1.1\r\nHost: evil.example\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\nOrigin: http://evil.example\r\n\r\n".encode()
    )
    answer = await asyncio.wait_for(reader.read(4096), 5)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 400 "), answer
    assert b'"error":"bad_host"' in answer, answer


async def test_an_allowed_public_name_is_served(tmp_path: Path) -> None:
    """--allow-host NAME makes that name work (with any port)."""
    server = start_in_thread(
        Settings(db=str(tmp_path / "h.db"), allowed_hosts=("drills.example.com",))
    )
    try:
        async with httpx.AsyncClient(base_url=server.http, timeout=5) as http:
            r = await http.get("/api/health", headers={"Host": "drills.example.com:443"})
            assert r.status_code == 200
    finally:
        server.stop()


def test_query_strings_never_reach_the_log() -> None:
    """A token pasted into a URL is redacted in uvicorn's access and WebSocket lines."""
    record = logging.LogRecord(
        "uvicorn.error",
        logging.INFO,
        __file__,
        1,
        '%s - "WebSocket %s" 400',
        ("127.0.0.1:5000", "/ws/abc123?token=SECRET&x=1"),
        None,
    )
    assert RedactQuery().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "WebSocket /ws/abc123?[redacted]" 400'


def test_a_token_in_the_websocket_url_is_not_written_by_a_real_server(tmp_path: Path) -> None:
    """`firedrill serve` at info level: the refused URL is logged without its query."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = Process(tmp_path / "log.db", port, "--log-level", "info")
    process.start()
    try:

        async def try_token_in_url() -> int:
            async with httpx.AsyncClient(base_url=process.http, timeout=5) as http:
                drill = await create_drill(http)
                r = await http.get(f"/api/drills/{drill.id}/log?token=SECRET-IN-QUERY")
            with pytest.raises(InvalidStatus) as refused:
                async with connect(f"{process.ws}/ws/{drill.id}?token=SECRET-IN-QUERY"):
                    pass
            return r.status_code + refused.value.response.status_code

        assert asyncio.run(try_token_in_url()) == 401 + 400
    finally:
        process.stop()
    out = process.output()
    assert "?[redacted]" in out, out
    assert "SECRET-IN-QUERY" not in out, out


async def test_a_server_bug_answers_json(tmp_path: Path) -> None:
    """An exception no handler expects still answers {"error": "internal", ...} with 500."""
    from server.app import create_app

    app = create_app(Settings(db=str(tmp_path / "bug.db")))

    @app.get("/api/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        r = await http.get("/api/boom")
    assert r.status_code == 500
    assert r.json() == {
        "error": "internal",
        "message": "the server failed on this request; it has been logged",
    }
