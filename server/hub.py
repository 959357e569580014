"""Fan-out of one drill's frames to its clients, without letting a slow one hold up the rest.

Each client owns a bounded queue drained by its own task, so publishing is a
synchronous ``put_nowait`` per client and one stuck socket delays nobody.
A client whose queue is full is cut off with close code 4008 and a reason
telling it to reconnect with its last seq. Frames are built once per view
("facilitator": every event; "public": events with ``vis == "all"``) and the
same string goes to every client of that view.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from engine.log import Event

from .auth import Principal
from .errors import CLOSE
from .protocol import events_frame

Send = Callable[[str], Awaitable[None]]
VIEWS = ("facilitator", "public")


class Client:
    """One connected socket: its principal, its outgoing queue, and why it must close."""

    def __init__(self, principal: Principal, send: Send, max_frames: int) -> None:
        self.principal = principal
        self.view = principal.view
        self._send = send
        self.queue: asyncio.Queue[str] = asyncio.Queue(max_frames)
        self.close_code: int | None = None
        self.close_reason = ""
        self.closing = asyncio.Event()

    def send(self, frame: str) -> None:
        """Queue a frame; never blocks. A full queue means the client cannot keep up."""
        if self.close_code is not None:
            return
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            self.close(
                CLOSE["too_slow"],
                f"too slow: {self.queue.maxsize} frames were waiting; "
                "reconnect with your last seq to resume",
            )

    def close(self, code: int, reason: str) -> None:
        """Ask the connection to close (the connection's own task does the closing)."""
        if self.close_code is None:
            self.close_code, self.close_reason = code, reason
            self.closing.set()

    async def drain(self) -> None:
        """Send queued frames in order until cancelled or the socket fails."""
        while True:
            frame = await self.queue.get()
            await self._send(frame)


class Hub:
    def __init__(self) -> None:
        self.clients: dict[str, set[Client]] = {v: set() for v in VIEWS}

    def __len__(self) -> int:
        return sum(len(c) for c in self.clients.values())

    def add(self, client: Client) -> None:
        self.clients[client.view].add(client)

    def discard(self, client: Client) -> None:
        self.clients[client.view].discard(client)

    def publish(self, events: Sequence[Event], blobs: Sequence[bytes]) -> None:
        """Send new events (with their serialised bytes) to every client that may see them."""
        fac = self.clients["facilitator"]
        if fac:
            frame = events_frame(blobs, events[-1].seq)
            for c in tuple(fac):
                c.send(frame)
        pub = self.clients["public"]
        if pub:
            shown = [i for i, e in enumerate(events) if e.vis == "all"]
            if shown:
                frame = events_frame([blobs[i] for i in shown], events[shown[-1]].seq)
                for c in tuple(pub):
                    c.send(frame)

    def broadcast(self, frame: str, views: Sequence[str] = VIEWS) -> None:
        for view in views:
            for c in tuple(self.clients[view]):
                c.send(frame)

    def close_all(self, code: int, reason: str) -> None:
        for view in VIEWS:
            for c in tuple(self.clients[view]):
                c.close(code, reason)
