"""An agent in a live drill: the player interface over the server's WebSocket protocol.

:func:`join` trades a player code for a token over REST; :class:`LivePlayer`
says hello (docs/protocol.md) and is then a :class:`~agents.player.Player`
like the headless session: ``observe`` folds the events the server has sent
into the same :class:`~agents.player.View`, ``act`` sends an ``input`` frame
and waits for its ack or error, ``wait`` waits until the drill's clock (run
by the facilitator) has moved on. Thinking time here is real: the clock does
not wait for the agent. The facilitator starts, pauses and ends the drill;
while it is not running the server accepts only chat from players.
"""

from __future__ import annotations

import itertools
import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import orjson
from websockets.sync.client import ClientConnection, connect

from engine.log import Event

from .brief import WITHHELD
from .player import Acted, Observation, Refused, View

PROTOCOL = 1


class LiveError(RuntimeError):
    """The server refused to let this player in, or the connection failed."""


@dataclass(frozen=True)
class Joined:
    drill_id: str
    token: str
    name: str


def join(http_base: str, drill_id: str, code: str, name: str) -> Joined:
    """POST /api/drills/{id}/join: a player's token for ``name``."""
    body = json.dumps({"code": code, "name": name}).encode()
    req = urllib.request.Request(
        f"{http_base.rstrip('/')}/api/drills/{drill_id}/join",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            data = json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        raise LiveError(
            f"join refused ({exc.code}): {exc.read().decode(errors='replace')}"
        ) from None
    except urllib.error.URLError as exc:
        raise LiveError(f"cannot reach {http_base}: {exc.reason}") from None
    return Joined(data["drill_id"], data["token"], data["name"])


class LivePlayer:
    """One player's socket on a live drill (see the module docstring)."""

    def __init__(self, ws_base: str, joined: Joined, timeout: float = 10.0) -> None:
        self.name = joined.name
        self.timeout = timeout
        self._ids = itertools.count(1)
        self._stack = ExitStack()
        self._ws: ClientConnection = self._stack.enter_context(
            connect(f"{ws_base.rstrip('/')}/ws/{joined.drill_id}", open_timeout=timeout)
        )
        self._ws.send(
            orjson.dumps({"type": "hello", "v": PROTOCOL, "token": joined.token}).decode()
        )
        welcome = self._recv(timeout)
        if welcome is None or welcome.get("type") != "welcome":
            raise LiveError(f"no welcome from the server: {welcome}")
        snap = welcome["snapshot"]
        self._facts = {k: v for k, v in snap["scenario"].items() if k not in WITHHELD}
        self._view = View(snap, seen=int(snap["seq"]))
        self._state: dict[str, Any] = {
            "t": float(welcome["t"]),
            "page_at": snap.get("page_at"),
            "ended": welcome["status"] == "ended",
            "alerts": list(snap.get("alerts", [])),
            "incident": snap.get("incident", {}),
            "revealed": list(snap.get("revealed", [])),
        }
        self._view.metrics = dict(snap.get("metrics", {}).get("values", {}))
        self._clock = (welcome["status"], float(welcome["speed"]), float(welcome["t"]))
        self._clock_at = time.monotonic()
        self._pending: list[Event] = []
        self._replies: dict[str, dict[str, Any]] = {}

    # ----------------------------------------------------------- Player
    @property
    def scenario(self) -> dict[str, Any]:
        return self._facts

    @property
    def ended(self) -> bool:
        return bool(self._state["ended"])

    @property
    def now(self) -> float:
        status, speed, t = self._clock
        if status != "running":
            return t
        return min(t + (time.monotonic() - self._clock_at) * speed, float(self._facts["duration"]))

    def observe(self) -> Observation:
        self._pump(0.0)
        news = self._view.feed(self._pending)
        self._pending = []
        return self._view.observation({**self._state, "t": self.now}, news)

    def act(self, action: Mapping[str, Any]) -> Acted:
        fid = f"{self.name}-{next(self._ids)}-{time.monotonic_ns()}"
        self._ws.send(orjson.dumps({"id": fid, "type": "input", "input": dict(action)}).decode())
        deadline = time.monotonic() + self.timeout
        while fid not in self._replies:
            if time.monotonic() > deadline:
                raise LiveError(f"no reply to input {fid} within {self.timeout:g} s")
            self._pump(deadline - time.monotonic())
        reply = self._replies.pop(fid)
        if reply["type"] == "error":
            raise Refused(str(reply.get("code")), str(reply.get("message")))
        seq = int(reply["seq"])
        mine = next((e for e in self._pending if e.seq == seq), None)
        answer = next(
            (
                e.data["result"]
                for e in self._pending
                if e.type == "observation" and e.data.get("for") == seq
            ),
            None,
        )
        return Acted(seq, mine.t if mine else self.now, answer)

    def wait(self, seconds: float) -> None:
        """Until the drill clock is ``seconds`` further on, or the drill ends or stops."""
        target = self.now + seconds
        _, speed, _ = self._clock
        deadline = time.monotonic() + seconds / max(speed, 1e-9) + self.timeout
        while self.now < target and not self.ended and time.monotonic() < deadline:
            self._pump(min(0.25, max(0.0, deadline - time.monotonic())))
            if self._clock[0] != "running":
                return

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> LivePlayer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -------------------------------------------------------------- frames
    def _recv(self, timeout: float) -> dict[str, Any] | None:
        try:
            raw = self._ws.recv(timeout=timeout)
        except TimeoutError:
            return None
        return orjson.loads(raw)  # type: ignore[no-any-return]

    def _pump(self, timeout: float) -> None:
        """Read every frame waiting (and wait up to ``timeout`` for the first)."""
        frame = self._recv(timeout)
        while frame is not None:
            self._take(frame)
            frame = self._recv(0.0)

    def _take(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == "events":
            for item in frame["items"]:
                e = Event.from_dict(item)
                self._pending.append(e)
                self._track(e)
        elif kind == "clock":
            self._clock = (frame["status"], float(frame["speed"]), float(frame["t"]))
            self._clock_at = time.monotonic()
            self._state["ended"] = frame["status"] == "ended"
        elif kind in ("ack", "error") and frame.get("id") is not None:
            self._replies[str(frame["id"])] = frame

    def _track(self, e: Event) -> None:
        s = self._state
        status, speed, _ = self._clock
        self._clock, self._clock_at = (status, speed, max(e.t, self._clock[2])), time.monotonic()
        if e.type == "page" and s["page_at"] is None:
            s["page_at"] = e.t
        elif e.type == "alert.fired" and e.data["name"] not in s["alerts"]:
            s["alerts"] = sorted([*s["alerts"], e.data["name"]])
        elif e.type == "alert.resolved":
            s["alerts"] = [a for a in s["alerts"] if a != e.data["name"]]
        elif e.type == "drill.ended":
            s["ended"] = True
        elif e.type == "observation" and e.data.get("kind") == "view_dashboard":
            panel = e.data["result"].get("panel")
            if panel and panel not in s["revealed"]:
                s["revealed"].append(panel)
