"""Fixtures: a real uvicorn server on a free loopback port, real WebSocket peers."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.settings import Limits, Settings

from .drillkit import Connect, Live, Peer, Process, open_peer, start_in_thread
from .pgkit import pg_schema  # noqa: F401  (a fixture: a fresh PostgreSQL schema)


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """One shared server; every test makes its own drills on it."""
    db = tmp_path_factory.mktemp("live") / "firedrill.db"
    server = start_in_thread(Settings(db=str(db)))
    yield server
    server.stop()


@pytest.fixture
def tight(tmp_path: Path) -> Iterator[Callable[..., Live]]:
    """Start a private server with some limits lowered (for limit tests)."""
    started: list[Live] = []

    def start(**limits: Any) -> Live:
        server = start_in_thread(
            Settings(db=str(tmp_path / f"t{len(started)}.db"), limits=Limits(**limits))
        )
        started.append(server)
        return server

    yield start
    for s in started:
        s.stop()


@pytest.fixture
def process(tmp_path: Path) -> Iterator[Process]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    p = Process(tmp_path / "firedrill.db", port)
    yield p
    p.stop()


@pytest.fixture
async def http(live: Live) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live.http, timeout=10) as client:
        yield client


@pytest.fixture
async def peers() -> AsyncIterator[Connect]:
    """``await peers(ws_base, drill_id, token, last_seq=None)``: a Peer past its welcome."""
    opened: list[Peer] = []

    async def open_(
        base: str, drill_id: str, token: str, last_seq: int | None = None, **kwargs: Any
    ) -> Peer:
        peer = await open_peer(base, drill_id, token, last_seq, **kwargs)
        opened.append(peer)
        return peer

    yield open_
    for p in opened:
        await p.close()
