"""The load driver's clients: what each participant does, and what it checks on every frame.

Used by bench/loadkit.py (see there). A :class:`LoadClient` is one participant's
socket (re-opened after a drop, resuming with ``last_seq``); it keeps the seq
and a digest of every event it received, and counts in a :class:`Tally`
anything off: a frame that does not parse, a reply that is missing, extra or
unexpected, a seq that repeats or goes back, an event outside its view, a
resume that does not catch up exactly.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from server.settings import Settings

MiB = 1024 * 1024
REPLY_TIMEOUT = 30.0  # generous: a loaded 2-core machine can stall for seconds
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
    settle: float = 3.0  # wall seconds for the server to go quiet (and collect) before RSS
    workers: int = 1  # `firedrill serve --workers`; more than 1 needs store and bus
    store: str | None = None  # a postgresql:// URL (None: a temporary SQLite file)
    bus: str | None = None  # a redis:// URL

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


# ------------------------------------------------------------------ plans
CHAT = (
    "looking at checkout now",
    "seeing 500s on POST /checkout",
    "anyone touching checkout-api?",
    "support says coupons fail",
    "I'll take the dashboards",
    "payments look fine from here",
    "rolling back is on the table",
    "who is on comms?",
    "error rate still climbing",
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
    {
        "type": "status_update",
        "audience": "internal",
        "state": "investigating",
        "impact": "some checkouts fail with 500",
        "next_update_min": 15,
    },
    {"type": "state_impact", "users_pct": 12, "trend": "rising", "data": "intact"},
    {"type": "set_breaker", "dependency": "payments", "state": "closed"},
)
# Deliberate mistakes and the error code each must get (nothing else may fail).
PROVOKE: dict[str, tuple[tuple[Frame, str], ...]] = {
    "player": (
        ({"type": "input", "input": {"type": "rollback"}}, "invalid_input"),
        ({"type": "input", "input": {"type": "restart_everything"}}, "unknown_action"),
        ({"type": "input", "input": {"type": "note", "text": "x"}}, "forbidden"),
    ),
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
        steps.append(
            Step(
                rng.uniform(0.2, 0.6) * cfg.seconds,
                "drop",
                abort=rng.random() < 0.5,
                pause=rng.uniform(0.2, 1.0),
            )
        )
    return sorted(steps, key=lambda s: s.at)


def canonical(item: Any) -> bytes:
    """A digest of an event as the log writes it (sorted keys, compact)."""
    return hashlib.blake2b(orjson.dumps(item, option=orjson.OPT_SORT_KEYS), digest_size=16).digest()


# ------------------------------------------------------------------ client
class LoadClient:
    """One participant: a socket (re-opened after a drop), every event it saw, its checks."""

    def __init__(
        self, ws_base: str, drill_id: str, token: str, role: str, name: str, tally: Tally
    ) -> None:
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
            await ws.send(
                orjson.dumps(
                    {"type": "hello", "v": 1, "token": self.token, "last_seq": last_seq}
                ).decode()
            )
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
