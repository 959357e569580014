"""Sustained load on a live firedrill server, proving it keeps working and loses nothing.

:func:`run_load` plays rounds of D drills with C WebSocket clients each (one
facilitator, about half players, the rest observers) against a server in a
child process (:class:`ServerProcess`). Each round: create and join over
REST, connect, start every drill at the configured speed, let players send
jittered inputs (chat and real actions), observers ping and the facilitator
note, drop and resume some connections with ``last_seq``, then end every
drill. Every client checks every frame as it arrives (parses, ``v``, one
reply per request, strictly increasing seqs, its view only, the resume
catch-up) and finally compares what it received with the log export for its
token. Anything off is counted in :attr:`Tally.faults`; the test and the CLI
want none.

Memory: ended drills stay in a bounded cache (``Settings.ended_cache``), so
round 1 is a warm-up that first plays a wave of that many drills to fill it
(:attr:`LoadConfig.cache_fill`), then a normal wave; its end is the
baseline, and every later round must come back to it within
:attr:`LoadConfig.rss_tolerance` (a share) plus :attr:`LoadConfig.rss_slack_mib`.
A drill pushed out of the cache is a web of reference cycles (the engine's
drill and its SimPy callbacks, the session and its pacer), so only one of
CPython's rare full collections frees it; until then RSS creeps by about
0.3 MiB per such 8 s drill, then falls flat once one has run. A long run of
small rounds can therefore cross the tolerance before the first full
collection: that is collector lag, not a leak (with a full collection after
each round, RSS stays within 1 MiB over 12 rounds).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from server.settings import Settings

SCENARIO = "checkout-deploy-500s"
MiB = 1024 * 1024
REPLY_TIMEOUT = 30.0  # generous: a loaded 2-core machine can stall for seconds
END_TIMEOUT = 30.0
Frame = dict[str, Any]


# ------------------------------------------------------------------ config
@dataclass(frozen=True)
class LoadConfig:
    drills: int = 50
    clients: int = 10  # per drill: 1 facilitator, clients // 2 players, the rest observers
    seconds: float = 60.0  # wall seconds each drill runs
    speed: float = 10.0
    rounds: int = 3  # the first is the warm-up
    seed: int = 1
    per_minute: float = 3.0  # inputs per player per *simulated* minute
    reconnect_share: float = 0.2  # clients per drill that drop once and resume
    rss_tolerance: float = 0.05
    rss_slack_mib: float = 8.0
    settle: float = 1.5  # wall seconds for the server to go quiet before measuring RSS

    @property
    def players(self) -> int:
        return self.clients // 2

    @property
    def observers(self) -> int:
        return self.clients - 1 - self.players

    @property
    def cache_fill(self) -> int:
        """Drills the warm-up plays first, in a wave of their own: a full ended-drill cache.

        A later round runs ``drills`` live drills while the cache holds
        ``ended_cache`` ended ones, played and checked exactly like them; freed
        memory mostly stays with the process (Python's allocator keeps partly
        used arenas), so the warm-up must reach that state once, or the next
        rounds would look like a leak while they replace the cache's contents.
        """
        return Settings().ended_cache

    def gap(self, per_input: float = 1.0) -> float:
        """Mean wall seconds between a player's inputs, times ``per_input``."""
        return 60.0 / (self.per_minute * self.speed) * per_input


# ------------------------------------------------------------------ tally
@dataclass
class Tally:
    """Counts of one round; ``faults`` holds everything that must stay zero."""

    requests: int = 0
    inputs: int = 0  # input and control frames meant to be applied
    acked: int = 0  # of those, acked
    pings: int = 0
    provoked: int = 0  # deliberate errors answered with the expected code
    frames: int = 0
    events: int = 0
    reconnects: int = 0
    drops: int = 0  # drops planned (each is followed by a reconnect)
    skipped: int = 0  # planned steps not reached before the drill's time was up
    checked: int = 0  # events of log exports compared with what clients received
    latency: list[float] = field(default_factory=list)  # request -> reply, seconds
    faults: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)

    def fault(self, kind: str, detail: str, n: int = 1) -> None:
        self.faults[kind] += n
        self.examples.setdefault(kind, detail)

    @property
    def errors(self) -> int:
        """Faults other than lost/duplicate events (those get their own columns)."""
        return sum(n for k, n in self.faults.items() if k not in ("lost", "duplicate"))


# ------------------------------------------------------------------ server
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """``firedrill serve`` on a free loopback port with a temporary database.

    Like tests/server/drillkit.py's ``Process``, but its output goes to a
    file: a pipe nobody reads would block a server that logs a lot under load.
    """

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.http = f"http://127.0.0.1:{self.port}"
        self.ws = f"ws://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self._out: IO[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> None:
        exe = Path(sys.executable).parent / "firedrill"
        self._out = open(self.workdir / "server.log", "wb")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [str(exe), "serve", "--port", str(self.port), "--db",
             str(self.workdir / "load.db"), "--log-level", "warning"],
            stdout=self._out, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while not self._healthy():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"firedrill serve did not start: {self.output()}")
            time.sleep(0.05)

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.http}/api/health", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def output(self) -> str:
        """What the server printed (its banner, then any warnings or tracebacks)."""
        path = self.workdir / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
        if self._out is not None:
            self._out.close()
            self._out = None

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def rss(pid: int) -> int:
    """Resident set size in bytes (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process so far."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()  # the name may contain spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------ plans
CHAT = (
    "looking at checkout now", "seeing 500s on POST /checkout", "anyone touching checkout-api?",
    "support says coupons fail", "I'll take the dashboards", "payments look fine from here",
    "rolling back is on the table", "who is on comms?", "error rate still climbing",
    "need a decision in 2 min",
)
ACTIONS: tuple[Frame, ...] = (
    {"type": "take_command"},
    {"type": "declare_incident", "severity": "SEV2", "summary": "checkout 5xx after deploy"},
    {"type": "list_changes"},
    {"type": "read_logs", "service": "checkout-api"},
    {"type": "read_logs", "service": "search-api"},
    {"type": "view_dashboard", "service": "checkout-api", "breakdown": "endpoint"},
    {"type": "view_dashboard", "service": "checkout-api", "breakdown": "pod"},
    {"type": "check_migration", "service": "checkout-api"},
    {"type": "ask_sme", "team": "checkout", "question": "what shipped today?"},
    {"type": "inspect_dependency", "dependency": "payments"},
    {"type": "inspect_database", "database": "orders-db"},
    {"type": "hypothesis", "text": "v143 broke the coupon path"},
    {"type": "decide", "text": "roll back checkout-api if errors persist 5 more minutes"},
    {"type": "page_team", "team": "checkout"},
    {"type": "status_update", "audience": "internal", "state": "investigating",
     "impact": "some checkouts fail with 500", "next_update_min": 15},
    {"type": "state_impact", "users_pct": 12, "trend": "rising", "data": "intact"},
    {"type": "set_breaker", "dependency": "payments", "state": "closed"},
)
# Deliberate mistakes and the error code each must get (nothing else may fail).
PROVOKE: dict[str, tuple[tuple[Frame, str], ...]] = {
    "player": (({"type": "input", "input": {"type": "rollback"}}, "invalid_input"),
               ({"type": "input", "input": {"type": "restart_everything"}}, "unknown_action"),
               ({"type": "input", "input": {"type": "note", "text": "x"}}, "forbidden")),
    "observer": (({"type": "input", "input": {"type": "chat", "text": "hi"}}, "forbidden"),),
    "facilitator": (({"type": "control", "action": "start"}, "illegal_transition"),),
}


@dataclass(frozen=True)
class Step:
    """One thing a client does, ``at`` wall seconds after its drill started."""

    at: float
    kind: str  # "send" (ack expected), "provoke" (error ``expect`` expected), "drop"
    frame: Frame | None = None
    expect: str | None = None
    abort: bool = False  # drop: cut the TCP connection instead of closing cleanly
    pause: float = 0.0  # drop: wall seconds offline before resuming


def player_input(rng: random.Random) -> Frame:
    if rng.random() < 0.4:
        return {"type": "chat", "text": rng.choice(CHAT)}
    if rng.random() < 0.1:
        return {"type": "scale", "service": "checkout-api", "pods": rng.randint(6, 10)}
    return dict(rng.choice(ACTIONS))


def routine(role: str, rng: random.Random) -> Frame:
    if role == "player":
        return {"type": "input", "input": player_input(rng)}
    if role == "facilitator":
        return {"type": "input", "input": {"type": "note", "text": f"note {rng.randrange(999)}"}}
    return {"type": "ping"}


def plan(role: str, rng: random.Random, cfg: LoadConfig, drops: bool) -> list[Step]:
    """A client's agenda: routine frames at jittered gaps, one mistake, maybe one drop."""
    gap = cfg.gap({"player": 1.0, "facilitator": 5.0, "observer": 3.0}[role])
    steps, at = [], rng.uniform(0.1, 1.0) * gap
    while at < cfg.seconds:
        steps.append(Step(at, "send", routine(role, rng)))
        at += gap * rng.uniform(0.4, 1.6)
    frame, code = rng.choice(PROVOKE[role])
    steps.append(Step(rng.uniform(0.1, 0.9) * cfg.seconds, "provoke", frame, code))
    if drops:
        steps.append(Step(rng.uniform(0.2, 0.6) * cfg.seconds, "drop",
                          abort=rng.random() < 0.5, pause=rng.uniform(0.2, 1.0)))
    return sorted(steps, key=lambda s: s.at)


def canonical(item: Any) -> bytes:
    """A digest of an event as the log writes it (sorted keys, compact)."""
    return hashlib.blake2b(orjson.dumps(item, option=orjson.OPT_SORT_KEYS),
                           digest_size=16).digest()


# ------------------------------------------------------------------ client
class LoadClient:
    """One participant: a socket (re-opened after a drop), every event it saw, its checks."""

    def __init__(self, ws_base: str, drill_id: str, token: str, role: str, name: str,
                 tally: Tally) -> None:
        self.url = f"{ws_base}/ws/{drill_id}"
        self.drill_id, self.token, self.role, self.name = drill_id, token, role, name
        self.tally = tally
        self.seqs: list[int] = []
        self.digests: list[bytes] = []
        self.running = asyncio.Event()
        self.ended = asyncio.Event()
        self.ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._pending: dict[str, asyncio.Future[Frame | None]] = {}
        self._leaving = False
        self._catchup = 0
        self._n = 0

    @property
    def last_seq(self) -> int | None:
        return self.seqs[-1] if self.seqs else None

    def fault(self, kind: str, detail: str, n: int = 1) -> None:
        self.tally.fault(kind, f"{self.drill_id} {self.name}: {detail}", n)

    # -------------------------------------------------------- connection
    async def connect(self, last_seq: int | None = None) -> bool:
        """Open a socket and say hello; False (and a fault) if that failed."""
        try:
            ws = await connect(self.url, compression=None, max_size=4 * MiB, open_timeout=30)
            await ws.send(orjson.dumps({"type": "hello", "v": 1, "token": self.token,
                                        "last_seq": last_seq}).decode())
            welcome = orjson.loads(await asyncio.wait_for(ws.recv(), REPLY_TIMEOUT))
        except (OSError, TimeoutError, WebSocketException, orjson.JSONDecodeError) as exc:
            self.ws = None
            self.fault("connect", f"(last_seq {last_seq}): {exc!r}")
            return False
        self.tally.frames += 1
        self.ws = ws
        try:
            self._check_welcome(welcome, last_seq)
        except (KeyError, TypeError, AttributeError) as exc:
            self.fault("protocol", f"malformed welcome ({exc!r}): {str(welcome)[:200]}")
        self._reader = asyncio.create_task(self._read(ws))
        return True

    def _check_welcome(self, welcome: Frame, last_seq: int | None) -> None:
        if welcome.get("type") != "welcome" or welcome.get("v") != 1:
            self.fault("protocol", f"expected a welcome, got {str(welcome)[:200]}")
            return
        resume = welcome["resume"]
        if resume["from"] != last_seq or resume["mode"] != "events":
            self.fault("resume", f"sent last_seq {last_seq}, welcome says {resume}")
        self._catchup = resume["events"]
        self._status(welcome["status"])

    async def _read(self, ws: ClientConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in ws:
                try:
                    self._on_frame(raw)
                except (KeyError, TypeError, AttributeError) as exc:  # a field missing
                    self.fault("bad_frame", f"malformed ({exc!r}): {raw[:160]!r}")
        if not self._leaving:
            self.fault("closed", f"closed by the server: {ws.close_code} {ws.close_reason}")
        for fut in self._pending.values():
            if not fut.done():
                fut.set_result(None)

    async def drop(self, abort: bool, pause: float) -> None:
        """Lose the connection (a cut or a clean close), wait, and resume from the last seq."""
        assert self.ws is not None and self._reader is not None
        self._leaving = True
        if abort:
            self.ws.transport.abort()
        else:
            await self.ws.close()
        await self._reader
        self._leaving = False
        await asyncio.sleep(pause)
        resumed = await self.connect(self.last_seq)  # not `+= await`: that loses updates
        self.tally.reconnects += resumed

    async def close(self) -> None:
        if self.ws is None or self._reader is None:
            return
        if self._reader.done():
            return  # already closed (and counted) by the server
        self._leaving = True
        await self.ws.close()
        await self._reader

    # -------------------------------------------------------- frames
    def _on_frame(self, raw: str | bytes) -> None:
        self.tally.frames += 1
        try:
            frame = orjson.loads(raw)
        except orjson.JSONDecodeError:
            self.fault("bad_frame", f"not JSON: {raw[:120]!r}")
            return
        kind = frame.get("type") if isinstance(frame, dict) else None
        if kind is None or frame.get("v") != 1:
            self.fault("bad_frame", f"no type or v: {str(frame)[:120]}")
            return
        if self._catchup > 0 and kind != "events":
            self.fault("resume", f"a {kind} frame before the catch-up finished")
            self._catchup = 0
        if kind == "events":
            self._on_events(frame)
        elif kind in ("ack", "error"):
            self._on_reply(frame)
        elif kind == "clock":
            self._status(frame["status"])
        elif kind != "roster":
            self.fault("protocol", f"unexpected {kind} frame")

    def _status(self, status: str) -> None:
        if status == "running":
            self.running.set()
        elif status == "ended":
            self.ended.set()

    def _on_events(self, frame: Frame) -> None:
        items = frame["items"]
        if not items or frame["seq"] != items[-1]["seq"]:
            self.fault("protocol", f"events frame seq {frame['seq']} vs its items")
        self._catchup = max(0, self._catchup - len(items))
        self.tally.events += len(items)
        for item in items:
            seq = item["seq"]
            last = self.last_seq
            if last is not None and seq <= last:
                kind = "duplicate" if seq in self.seqs else "out_of_order"
                self.fault(kind, f"seq {seq} after {last}")
                continue
            if self.role != "facilitator" and item.get("vis") != "all":
                self.fault("leak", f"{item.get('vis')} event {seq} reached a {self.role}")
            self.seqs.append(seq)
            self.digests.append(canonical(item))

    def _on_reply(self, frame: Frame) -> None:
        fid = frame.get("id")
        fut = self._pending.get(fid) if isinstance(fid, str) else None
        if fut is None or fut.done():
            self.fault("stray_reply", f"reply to no open request: {str(frame)[:160]}")
            return
        fut.set_result(frame)

    # -------------------------------------------------------- requests
    async def request(self, frame: Frame, expect: str | None = None) -> Frame | None:
        """Send one frame; its one reply must be an ack, or the error ``expect``."""
        if self.ws is None:
            return None  # never connected: already counted
        self._n += 1
        fid = f"{self.name}-{self._n}"
        fut: asyncio.Future[Frame | None] = asyncio.get_running_loop().create_future()
        self._pending[fid] = fut
        applied = expect is None and frame["type"] != "ping"
        self.tally.requests += 1
        self.tally.inputs += applied
        self.tally.pings += frame["type"] == "ping"
        why = "the connection was lost"
        try:
            await self.ws.send(orjson.dumps({**frame, "id": fid}).decode())
            sent = time.monotonic()
            reply = await asyncio.wait_for(fut, REPLY_TIMEOUT)
            self.tally.latency.append(time.monotonic() - sent)
        except (TimeoutError, ConnectionClosed) as exc:
            reply, why = None, repr(exc)
        finally:
            del self._pending[fid]
        if reply is None:
            self.fault("unanswered", f"{frame}: {why}")
        else:
            self._check_reply(frame, reply, expect, applied)
        return reply

    def _check_reply(self, frame: Frame, reply: Frame, expect: str | None, applied: bool) -> None:
        got = reply.get("code") if reply["type"] == "error" else "ack"
        if got != (expect or "ack"):
            self.fault("error_reply", f"{frame} answered {str(reply)[:240]}")
        elif expect is not None:
            self.tally.provoked += 1
        elif applied:
            self.tally.acked += 1
            seq, last = reply.get("seq"), self.last_seq
            if not isinstance(seq, int) or last is None or last < seq:  # events come first
                self.fault("protocol", f"ack {seq} before its event (last seq {last})")


# ------------------------------------------------------------------ one drill
@dataclass
class DrillRun:
    """One drill of a round: its clients (the facilitator first) and what each will do."""

    id: str
    clients: list[LoadClient]
    plans: dict[str, list[Step]] = field(default_factory=dict)

    @property
    def facilitator(self) -> LoadClient:
        return self.clients[0]


class Rest:
    """REST calls that count every unexpected status or transport error as a fault."""

    def __init__(self, client: httpx.AsyncClient, tally: Tally) -> None:
        self.client, self.tally = client, tally

    async def call(self, method: str, path: str, status: int = 200, **kw: Any
                   ) -> httpx.Response | None:
        try:
            r = await self.client.request(method, path, **kw)
        except httpx.HTTPError as exc:
            self.tally.fault("http", f"{method} {path}: {exc!r}")
            return None
        if r.status_code != status:
            self.tally.fault("http", f"{method} {path}: {r.status_code} {r.text[:200]}")
            return None
        return r


async def setup_drill(rest: Rest, ws: str, cfg: LoadConfig, rng: random.Random
                      ) -> DrillRun | None:
    """Create a drill, join everyone, plan what each will do, connect everyone."""
    r = await rest.call("POST", "/api/drills", 201, json={
        "scenario": SCENARIO, "seed": rng.randrange(1 << 30), "speed": cfg.speed})
    if r is None:
        return None
    body = r.json()
    did, tally = body["drill_id"], rest.tally
    run = DrillRun(did, [LoadClient(ws, did, body["facilitator_token"], "facilitator",
                                    "facilitator", tally)])
    people = [("player", f"p{i}", body["player_code"]) for i in range(1, cfg.players + 1)]
    people += [("observer", f"o{i}", body["observer_code"]) for i in range(1, cfg.observers + 1)]
    for role, name, code in people:
        j = await rest.call("POST", f"/api/drills/{did}/join", 201,
                            json={"code": code, "name": name})
        if j is not None:
            run.clients.append(LoadClient(ws, did, j.json()["token"], role, name, tally))
    n = len(run.clients)
    droppers = set(rng.sample(range(n), round(cfg.reconnect_share * n)))
    tally.drops += len(droppers)
    for i, c in enumerate(run.clients):
        run.plans[c.name] = plan(c.role, rng, cfg, i in droppers)
    for c in run.clients:
        await c.connect()
    return run


async def act(client: LoadClient, steps: list[Step], start: float, stop: asyncio.Event
              ) -> None:
    """Walk a client's agenda until the drill's time is up."""
    loop = asyncio.get_running_loop()
    try:
        await asyncio.wait_for(client.running.wait(), END_TIMEOUT)
    except TimeoutError:
        client.fault("no_start", "never saw the drill running")
        return
    for i, step in enumerate(steps):
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max(0.0, start + step.at - loop.time()))
        if stop.is_set() or client.ws is None:
            client.tally.skipped += len(steps) - i
            return
        if step.kind == "drop":
            await client.drop(step.abort, step.pause)
        else:
            assert step.frame is not None
            await client.request(step.frame, step.expect)


async def finish(run: DrillRun, rest: Rest) -> None:
    """End the drill; every client must see the end; then everyone leaves."""
    fac = run.facilitator
    reply = await fac.request({"type": "control", "action": "end", "reason": "load test"})
    if reply is None or reply["type"] != "ack":  # already a fault; still end it over REST
        await rest.call("POST", f"/api/drills/{run.id}/control", json={"action": "end"},
                        headers={"Authorization": f"Bearer {fac.token}"})
    for c in run.clients:
        try:
            if c.ws is not None:
                await asyncio.wait_for(c.ended.wait(), END_TIMEOUT)
        except TimeoutError:
            c.fault("no_end", f"never saw the drill end (last seq {c.last_seq})")
    await asyncio.gather(*(c.close() for c in run.clients))


async def verify(rest: Rest, client: LoadClient) -> None:
    """What the client received must be exactly its view of the log."""
    if client.ws is None:
        return  # its socket could not be (re)opened: counted as a fault already
    r = await rest.call("GET", f"/api/drills/{client.drill_id}/log",
                        headers={"Authorization": f"Bearer {client.token}"})
    if r is None:
        return
    items = [orjson.loads(line) for line in r.content.splitlines()]
    want = {e["seq"]: canonical(e) for e in items}
    client.tally.checked += len(want)
    if list(want) != sorted(want) or len(want) != len(items):
        client.fault("export", "the log export's seqs are not strictly increasing")
    got = dict(zip(client.seqs, client.digests, strict=True))
    lost = [s for s in want if s not in got]
    extra = [s for s in got if s not in want]
    differ = [s for s in got if s in want and got[s] != want[s]]
    if lost:
        client.fault("lost", f"{len(lost)} events never arrived, seqs {lost[:8]}", len(lost))
    if extra:
        client.fault("extra", f"events not in the log export: {extra[:8]}", len(extra))
    if differ:
        client.fault("differ", f"events differing from the export: {differ[:8]}", len(differ))


# ------------------------------------------------------------------ rounds
@dataclass
class RoundResult:
    index: int
    drills: int
    clients: int
    tally: Tally
    seconds: float = 0.0  # wall seconds of the load phase (start to stop)
    frames: int = 0  # frames and events delivered during the load phase
    events: int = 0
    cpu: float = 0.0  # server CPU seconds during the load phase
    driver_cpu: float = 0.0  # this process's CPU seconds, same window (is the driver the limit?)
    rss_before: int = 0
    rss_peak: int = 0
    rss_after: int = 0
    tick_p50: float | None = None
    tick_p99: float | None = None

    @property
    def cpu_pct(self) -> float:
        return 100 * self.cpu / self.seconds if self.seconds else 0.0

    @property
    def driver_cpu_pct(self) -> float:
        return 100 * self.driver_cpu / self.seconds if self.seconds else 0.0

    def reply_ms(self, q: float) -> float | None:
        """Request -> reply latency at quantile ``q``, in ms."""
        lat = sorted(self.tally.latency)
        return lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else None


class RssWatch:
    """Samples the server's RSS in the background; keeps the peak."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = rss(pid)
        self._task = asyncio.create_task(self._sample())

    async def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, rss(self.pid))
            await asyncio.sleep(0.2)

    async def stop(self) -> int:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self.peak = max(self.peak, rss(self.pid))
        return self.peak


async def bounded(n: int, coros: Iterable[Any]) -> list[Any]:
    """Run coroutines with at most ``n`` at a time (sockets and the server's backlog)."""
    sem = asyncio.Semaphore(n)

    async def one(c: Any) -> Any:
        async with sem:
            return await c

    return await asyncio.gather(*(one(c) for c in coros))


async def play_round(index: int, server: ServerProcess, cfg: LoadConfig) -> RoundResult:
    """One round: a wave of ``cfg.drills`` drills (the warm-up first plays a cache fill)."""
    waves = [cfg.cache_fill, cfg.drills] if index == 1 else [cfg.drills]
    drills = sum(waves)
    result = RoundResult(index, drills, drills * cfg.clients, Tally(),
                         rss_before=rss(server.pid))
    watch = RssWatch(server.pid)
    async with httpx.AsyncClient(base_url=server.http, timeout=60) as http:
        rest = Rest(http, result.tally)
        for wave, n in enumerate(waves):
            rngs = [random.Random(f"{cfg.seed}/{index}/{wave}/{i}") for i in range(n)]
            await play_wave(rngs, server, cfg, result, rest)
    result.rss_peak = await watch.stop()
    result.rss_after = rss(server.pid)
    return result


async def play_wave(rngs: list[random.Random], server: ServerProcess, cfg: LoadConfig,
                    result: RoundResult, rest: Rest) -> None:
    """Set up one drill per RNG, play them all at once, end them, check every client."""
    made = await bounded(16, (setup_drill(rest, server.ws, cfg, rng) for rng in rngs))
    runs: list[DrillRun] = [r for r in made if r is not None]
    await load_phase(runs, server, cfg, result, rest)
    await asyncio.gather(*(finish(r, rest) for r in runs))
    await bounded(8, (verify(rest, c) for r in runs for c in r.clients))
    await asyncio.sleep(cfg.settle)
    await check_idle(rest)


async def load_phase(runs: list[DrillRun], server: ServerProcess, cfg: LoadConfig,
                     result: RoundResult, rest: Rest) -> None:
    """Start every drill, let everyone act for ``cfg.seconds``, then stop them."""
    loop = asyncio.get_running_loop()
    tally = result.tally
    frames, events, t0 = tally.frames, tally.events, loop.time()
    cpu0, mine0 = cpu_seconds(server.pid), time.process_time()
    await asyncio.gather(*(r.facilitator.request({"type": "control", "action": "start"})
                           for r in runs))
    stop, started = asyncio.Event(), loop.time()
    agenda = asyncio.gather(*(act(c, r.plans[c.name], started, stop)
                              for r in runs for c in r.clients))
    await asyncio.sleep(cfg.seconds)
    health = await rest.call("GET", "/api/health")
    if health is not None:
        lateness = health.json()["tick_lateness"]
        result.tick_p50, result.tick_p99 = lateness["p50_ms"], lateness["p99_ms"]
    stop.set()
    await agenda
    result.seconds += loop.time() - t0  # the warm-up's two waves add up
    result.cpu += cpu_seconds(server.pid) - cpu0
    result.driver_cpu += time.process_time() - mine0
    result.frames += tally.frames - frames
    result.events += tally.events - events


async def check_idle(rest: Rest) -> None:
    """After a round no drill is live and no client is counted (nothing left behind)."""
    r = await rest.call("GET", "/api/health")
    if r is not None:
        body = r.json()
        if body["drills"]["live"] or body["clients"]:
            rest.tally.fault("leftover", f"after the round: {body}")


# ------------------------------------------------------------------ the run
@dataclass
class LoadReport:
    config: LoadConfig
    rounds: list[RoundResult]
    server_output: str = ""

    @property
    def baseline(self) -> int:
        return self.rounds[0].rss_after

    @property
    def rss_limit(self) -> int:
        return int(self.baseline * (1 + self.config.rss_tolerance)
                   + self.config.rss_slack_mib * MiB)

    def memory_ok(self, r: RoundResult) -> bool:
        return r.index == 1 or r.rss_after <= self.rss_limit

    @property
    def faults(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for r in self.rounds:
            total.update(r.tally.faults)
        return total

    def problems(self) -> list[str]:
        """Why the run failed (empty: it passed)."""
        out = [f"{k}: {n} (e.g. {ex})" for r in self.rounds for k, n in r.tally.faults.items()
               for ex in [r.tally.examples[k]]]
        out += [f"round {r.index}: RSS after {r.rss_after / MiB:.1f} MiB > limit "
                f"{self.rss_limit / MiB:.1f} MiB" for r in self.rounds if not self.memory_ok(r)]
        out += [f"round {r.index}: {r.tally.inputs - r.tally.acked} inputs not acked"
                for r in self.rounds if r.tally.acked != r.tally.inputs]
        if self.server_output.strip():
            out.append("the server logged:\n" + self.server_output[-2000:])
        return out


async def run_load(server: ServerProcess, cfg: LoadConfig,
                   progress: Callable[[RoundResult], None] | None = None) -> LoadReport:
    """Play ``cfg.rounds`` rounds against a running server (the first is the warm-up)."""
    report = LoadReport(cfg, [])
    for index in range(1, cfg.rounds + 1):
        result = await play_round(index, server, cfg)
        report.rounds.append(result)
        if progress is not None:
            progress(result)
    banner, _, rest = server.output().partition("\n")
    report.server_output = rest if banner.startswith("firedrill is serving") else banner + rest
    return report


def run_with_server(cfg: LoadConfig,
                    progress: Callable[[RoundResult], None] | None = None) -> LoadReport:
    """Start a server in a temporary directory, load it, stop it."""
    with tempfile.TemporaryDirectory(prefix="firedrill-load-") as tmp, \
            ServerProcess(Path(tmp)) as server:
        return asyncio.run(run_load(server, cfg, progress))


