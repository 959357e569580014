"""Test kit for the live server: real servers (thread or process) and a real WebSocket client."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import uvicorn
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import ClientConnection, connect

from server.app import create_app
from server.cli.serve import uvicorn_options
from server.settings import Settings
from server.store import Store

SCENARIO = "checkout-deploy-500s"
_PEERS = itertools.count(1)


# ------------------------------------------------------------------ servers
@dataclass
class Live:
    """A running server: its base URLs and database."""

    http: str
    ws: str
    db: Path
    stop: Callable[[], None] = field(repr=False)


def start_in_thread(settings: Settings, store: Store | None = None) -> Live:
    """A real uvicorn server in a thread (on ``store`` if given, else on ``settings.db``)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(settings, store), log_level="warning", **uvicorn_options(settings.limits)
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.01)

    def stop() -> None:
        server.should_exit = True
        thread.join(15)
        sock.close()

    return Live(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}", Path(settings.db), stop)


class Process:
    """``firedrill serve`` in a child process (for crash tests: it can be SIGKILLed)."""

    def __init__(self, db: Path | str, port: int, *args: str) -> None:
        # db: an SQLite file or a postgresql:// URL
        self.db, self.port, self.args = db, port, args
        self._err: list[str] = []  # stderr lines of every start (read by a thread: never blocks)
        self.http = f"http://127.0.0.1:{port}"
        self.ws = f"ws://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.banner = ""

    def start(self) -> None:
        exe = Path(sys.executable).parent / "firedrill"
        self.proc = subprocess.Popen(
            [
                str(exe),
                "serve",
                "--port",
                str(self.port),
                "--store",
                str(self.db),
                "--log-level",
                "warning",
                *self.args,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ},
        )
        threading.Thread(target=self._drain, args=(self.proc.stderr,), daemon=True).start()
        self._wait_healthy()

    def _drain(self, pipe: Any) -> None:
        with contextlib.suppress(ValueError, OSError):  # the pipe was closed after a kill
            for line in pipe:
                self._err.append(line.decode(errors="replace"))

    def _wait_healthy(self) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{self.http}/api/health", timeout=1).status_code == 200:
                    assert self.proc.stdout is not None
                    self.banner = self.proc.stdout.readline().decode()
                    return
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"firedrill serve did not start: {self.output()}")
            time.sleep(0.05)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def output(self) -> str:
        """Everything the server wrote to stderr so far (over all its starts)."""
        return "".join(self._err)

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, no flush; the store must already hold everything."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self._close_pipes()

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self._close_pipes()

    def _close_pipes(self) -> None:
        assert self.proc is not None
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()
        self.proc = None


@dataclass
class Drill:
    """A drill created over REST, with everyone's credentials."""

    id: str
    facilitator: str
    player_code: str
    observer_code: str
    created: dict[str, Any]


async def create_drill(client: httpx.AsyncClient, speed: float = 120, seed: int = 1) -> Drill:
    r = await client.post("/api/drills", json={"scenario": SCENARIO, "seed": seed, "speed": speed})
    assert r.status_code == 201, r.text
    body = r.json()
    return Drill(
        body["drill_id"],
        body["facilitator_token"],
        body["player_code"],
        body["observer_code"],
        body,
    )


async def join(
    client: httpx.AsyncClient,
    drill: Drill,
    code: str,
    name: str | None = None,
    role: str | None = None,
) -> str:
    body: dict[str, Any] = {"code": code}
    if name is not None:
        body["name"] = name
    if role is not None:
        body["role"] = role
    r = await client.post(f"/api/drills/{drill.id}/join", json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["token"])


def solo_run(
    c: httpx.Client,
    name: str,
    seed: int,
    steps: list[dict[str, object]],
    cohort: str | None = None,
) -> tuple[str, str, str]:
    """A solo drill of gateway-bad-pod played over REST: start, jump past the page, the
    steps, end; (drill id, player token, clock token)."""
    body: dict[str, object] = {"scenario": "gateway-bad-pod", "seed": seed, "name": name}
    if cohort is not None:
        body["cohort"] = cohort
    d = c.post("/api/solo", json=body).json()
    me, clock = bearer(d["token"]), bearer(d["clock_token"])
    url = f"/api/drills/{d['drill_id']}"
    c.post(f"{url}/control", json={"action": "start"}, headers=clock)
    c.post(f"{url}/control", json={"action": "jump", "seconds": 300}, headers=clock)
    for inp in steps:
        assert c.post(f"{url}/inputs", json={"input": inp}, headers=me).status_code == 200
    c.post(f"{url}/control", json={"action": "end"}, headers=clock)
    return str(d["drill_id"]), str(d["token"]), str(d["clock_token"])


def scraped(response: httpx.Response, name: str, **labels: str) -> float:
    """The value of sample ``name`` (with ``labels``) in a /metrics answer, parsed by the
    Prometheus client's own parser; KeyError if it is not there."""
    assert response.status_code == 200 and response.headers["content-type"].startswith(
        "text/plain"
    ), response.text
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    raise KeyError(f"{name} {labels} not in /metrics")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Peer:
    """A WebSocket client that records every frame it receives, in order."""

    def __init__(self, ws: ClientConnection, welcome: dict[str, Any]) -> None:
        self.ws = ws
        self.welcome = welcome
        self.frames: list[dict[str, Any]] = [welcome]
        self.events: list[dict[str, Any]] = []
        self.replies: dict[str | None, dict[str, Any]] = {}
        self.closed: tuple[int | None, str] | None = None
        self._changed = asyncio.Event()
        self._n = 0
        # frame ids are unique per sender and drill (a re-used one is refused as a replay)
        self._prefix = f"{next(_PEERS)}-"
        self._reader = asyncio.create_task(self._read())

    @property
    def last_seq(self) -> int | None:
        return self.events[-1]["seq"] if self.events else None

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                frame = orjson.loads(raw)
                self.frames.append(frame)
                if frame["type"] == "events":
                    self.events.extend(frame["items"])
                elif frame["type"] in ("ack", "error"):
                    self.replies[frame["id"]] = frame
                self._pulse()
        except Exception:  # connection closed abnormally: recorded below
            pass
        self.closed = (self.ws.close_code, self.ws.close_reason or "")
        self._pulse()

    def _pulse(self) -> None:
        ev, self._changed = self._changed, asyncio.Event()
        ev.set()

    async def until(self, pred: Callable[[], Any], timeout: float = 20) -> Any:
        """Wait until ``pred()`` is truthy; return its value."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            value = pred()
            if value:
                return value
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise TimeoutError(f"not met in {timeout} s; last frames: {self.frames[-3:]}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), left)

    async def event(
        self, pred: Callable[[dict[str, Any]], bool], timeout: float = 20
    ) -> dict[str, Any]:
        return await self.until(lambda: next((e for e in self.events if pred(e)), None), timeout)

    async def request(self, frame: dict[str, Any], timeout: float = 10) -> dict[str, Any]:
        """Send a frame with a fresh id; return its ack or error frame."""
        self._n += 1
        fid = frame.get("id") or f"{self._prefix}{self._n}"
        self.replies.pop(fid, None)  # a re-sent id waits for its new reply
        await self.ws.send(orjson.dumps({**frame, "id": fid}).decode())
        return await self.until(lambda: self.replies.get(fid), timeout)  # type: ignore[no-any-return]

    async def act(self, inp: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return await self.request({"type": "input", "input": inp, **extra})

    async def control(self, action: str, **params: Any) -> dict[str, Any]:
        return await self.request({"type": "control", "action": action, **params})

    async def wait_closed(self, timeout: float = 10) -> tuple[int | None, str]:
        return await self.until(lambda: self.closed, timeout)  # type: ignore[no-any-return]

    async def close(self) -> None:
        await self.ws.close()
        await asyncio.gather(self._reader, return_exceptions=True)


Connect = Callable[..., Awaitable[Peer]]


async def open_peer(
    base: str, drill_id: str, token: str, last_seq: int | None = None, **kwargs: Any
) -> Peer:
    """Connect, say hello, and return the peer once its welcome arrived."""
    ws = await connect(f"{base}/ws/{drill_id}", compression=None, **kwargs)
    await ws.send(hello(token, last_seq))
    welcome = orjson.loads(await ws.recv())
    if welcome["type"] != "welcome":
        await ws.close()
        raise AssertionError(f"expected a welcome, got {welcome}")
    return Peer(ws, welcome)


def hello(token: str, last_seq: int | None = None) -> str:
    return orjson.dumps({"type": "hello", "v": 1, "token": token, "last_seq": last_seq}).decode()
