"""Fan-out of one drill's frames to its clients, without letting a slow one hold up the rest.

Publishing writes to every client synchronously, like ``websockets.broadcast``:
each client's send is stepped eagerly, which for a socket that is keeping
up completes at once (one ``transport.write``, no task switch). A client
whose socket is not writable gets a bounded backlog drained by its own task;
when the backlog is full the client is cut off with close code 4008 and a
reason telling it to reconnect with its last seq. Nobody else ever waits.
Frames are built and UTF-8 encoded once per view ("facilitator": every event;
"public": events with ``vis == "all"``), and the same bytes go to every client
of that view: straight to its connection (server/wire.py) whenever uvicorn
would write at once, through ASGI otherwise.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from engine.log import Event

from .auth import Principal
from .errors import CLOSE
from .protocol import events_frame
from .wire import Wire

Send = Callable[[str], Coroutine[Any, Any, None]]
VIEWS = ("facilitator", "public")


class Client:
    """One connected socket: its principal, its backlog, and why it must close."""

    def __init__(
        self, principal: Principal, send: Send, max_frames: int, wire: Wire | None = None
    ) -> None:
        self.principal = principal
        self.view = principal.view
        self.max_frames = max_frames
        self._send = send
        self._wire = wire  # the direct way to the socket (None: ASGI only)
        self.backlog: deque[str] = deque()
        self._flusher: asyncio.Task[None] | None = None
        self.close_code: int | None = None
        self.close_reason = ""
        self.closing = asyncio.Event()

    def send(self, frame: str | bytes) -> None:
        """Send now if the socket can take it, else queue it; never blocks. ``frame`` is one
        JSON text, as a string or UTF-8 bytes (the hub's, encoded once for every client)."""
        if self.close_code is not None:
            return
        wire = self._wire if self._flusher is None else None  # a backlog keeps the order
        if wire is not None and wire.write(frame if isinstance(frame, bytes) else frame.encode()):
            return
        if isinstance(frame, bytes):
            frame = frame.decode()  # ASGI carries text as a string
        if self._flusher is not None:  # earlier frames are still waiting: keep the order
            if len(self.backlog) >= self.max_frames:
                self.close(
                    CLOSE["too_slow"],
                    f"too slow: {self.max_frames} frames were waiting; "
                    "reconnect with your last seq to resume",
                )
            else:
                self.backlog.append(frame)
            return
        coro = self._send(frame)
        try:
            blocker = _step(coro)
        except StopIteration:
            return  # written
        except Exception:
            self.close(CLOSE["going_away"], "send failed")
            return
        # The socket's buffer is full: finish this send, then the backlog, in the background.
        self._flusher = asyncio.get_running_loop().create_task(self._flush(coro, blocker))

    async def _flush(self, coro: Coroutine[Any, Any, Any], blocker: Any) -> None:
        try:
            await _finish(coro, blocker)
            while self.backlog:
                await self._send(self.backlog.popleft())
        except asyncio.CancelledError:
            raise
        except Exception:
            self.close(CLOSE["going_away"], "send failed")
        finally:
            self._flusher = None

    def close(self, code: int, reason: str) -> None:
        """Ask the connection to close (its own task does the closing)."""
        if self.close_code is None:
            self.close_code, self.close_reason = code, reason
            self.closing.set()

    async def aclose(self) -> None:
        """Stop sending (the connection is ending)."""
        self.close_code = self.close_code or CLOSE["going_away"]
        flusher, self._flusher = self._flusher, None
        if flusher is not None:
            flusher.cancel()
            await asyncio.gather(flusher, return_exceptions=True)


def _step(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine up to its first suspension; StopIteration means it finished."""
    return coro.send(None)


async def _finish(coro: Coroutine[Any, Any, Any], blocker: Any) -> None:
    """Drive a coroutine started by :func:`_step` to completion on the event loop.

    It suspended on ``blocker`` (an asyncio future, or None for a bare yield);
    wait for that without consuming its outcome, then resume the coroutine,
    which reads the outcome itself. This is what ``Task`` does for each step.
    """
    try:
        while True:
            if blocker is None:
                await asyncio.sleep(0)
            elif not blocker.done():
                await asyncio.wait([blocker])
            try:
                blocker = coro.send(None)
            except StopIteration:
                return
    finally:
        coro.close()


class Hub:
    def __init__(self) -> None:
        self.clients: dict[str, set[Client]] = {v: set() for v in VIEWS}

    def __len__(self) -> int:
        return sum(len(c) for c in self.clients.values())

    def add(self, client: Client) -> None:
        self.clients[client.view].add(client)

    def discard(self, client: Client) -> None:
        self.clients[client.view].discard(client)

    def publish(
        self, events: Sequence[Event], blobs: Sequence[bytes], public: Sequence[bytes]
    ) -> None:
        """Send new events to every client that may see them: ``blobs`` serialised for the
        facilitator, ``public`` for players and observers (same order)."""
        fac = self.clients["facilitator"]
        if fac:
            frame = events_frame(blobs, events[-1].seq)
            for c in tuple(fac):
                c.send(frame)
        pub = self.clients["public"]
        if pub:
            shown = [i for i, e in enumerate(events) if e.vis == "all"]
            if shown:
                frame = events_frame([public[i] for i in shown], events[shown[-1]].seq)
                for c in tuple(pub):
                    c.send(frame)

    def broadcast(self, frame: str, views: Sequence[str] = VIEWS) -> None:
        """Send one frame to every client of ``views`` (encoded once for all of them)."""
        data = frame.encode()
        for view in views:
            for c in tuple(self.clients[view]):
                c.send(data)

    def close_all(self, code: int, reason: str) -> None:
        for view in VIEWS:
            for c in tuple(self.clients[view]):
                c.close(code, reason)
