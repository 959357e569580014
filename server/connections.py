"""Connections that never finish a request, too many from one address, no descriptors left.

Uvicorn bounds none of these: a socket that sends nothing, or a header a
byte every few seconds, stays open for ever, and so does its file
descriptor; when descriptors run out, every failed ``accept`` is logged with
a traceback. Three guards, measured in tests/server/test_connections.py:

- :class:`GuardedH11` (uvicorn's HTTP protocol, subclassed) gives each
  request ``request_seconds`` to arrive whole, from its first byte (or from
  the connection's opening) to the end of its body; a WebSocket upgrade is
  a request like any other, and the hello then has its own deadline
  (server/ws.py). Idle keep-alive connections are closed by uvicorn
  (``timeout_keep_alive``), idle WebSockets by pings.
- :class:`ConnectionGuard` counts open connections per client address and
  refuses one over the limit at once (a JSON 503, then close), so one
  address cannot take every descriptor.
- :func:`quiet_accept_failures` turns the event loop's "out of system
  resource" accept errors into one log line per burst; the loop already
  pauses accepting for a second and resumes by itself.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import resource
import time
from typing import Any

import h11
import orjson
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.utils import get_remote_addr

from .settings import Limits

log = logging.getLogger("firedrill.server")
OUT_OF_RESOURCES = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)
BURST_SECONDS = 10.0  # one log line per this many seconds of one kind of trouble


def per_address_limit(configured: int) -> int:
    """Connections one address may hold: the setting, but at most a quarter of the descriptors.

    Read at every connection (one cheap system call), so a limit lowered while
    the server runs applies at once.
    """
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return configured
    return max(8, min(configured, soft // 4))


def _raw_response(status: int, reason: str, code: str, message: str) -> bytes:
    body = orjson.dumps({"error": code, "message": message})
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


class Burst:
    """Counts occurrences; says so at most once per ``seconds`` (the first one at once)."""

    def __init__(self, seconds: float = BURST_SECONDS) -> None:
        self.seconds = seconds
        self.count = 0
        self._said_at: float | None = None

    def hit(self) -> int | None:
        """Count one; the number since the last line when a line is due, else None."""
        self.count += 1
        now = time.monotonic()
        if self._said_at is None or now - self._said_at >= self.seconds:
            n, self.count, self._said_at = self.count, 0, now
            return n
        return None


class ConnectionGuard:
    """Open connections per client address, and the deadline for each request."""

    def __init__(self, per_address: int, request_seconds: float) -> None:
        self.configured = per_address
        self.per_address = per_address_limit(per_address)
        self.request_seconds = request_seconds
        self.open: dict[str, set[asyncio.BaseTransport]] = {}
        self.refused = Burst()
        self.timed_out = Burst()

    def admit(self, address: str, transport: asyncio.BaseTransport) -> bool:
        """Count ``transport`` for ``address``; False (count nothing) if it is over the limit."""
        if len(self.open) > 4096:  # addresses seen once: forget the ones with nothing open
            self.open = {a: s for a, s in self.open.items() if self._live(s)}
        self.per_address = per_address_limit(self.configured)
        live = self.open.setdefault(address, set())
        if len(live) >= self.per_address and len(self._live(live)) >= self.per_address:
            n = self.refused.hit()
            if n is not None:
                log.warning(
                    "refused %d connection(s) from %s: it already has %d open, the limit",
                    n,
                    address,
                    self.per_address,
                )
            return False
        live.add(transport)
        return True

    @staticmethod
    def _live(transports: set[asyncio.BaseTransport]) -> set[asyncio.BaseTransport]:
        """Drop closed transports (a WebSocket's outlives its HTTP protocol object)."""
        for t in [t for t in transports if t.is_closing()]:
            transports.discard(t)
        return transports


class GuardedH11(H11Protocol):
    """uvicorn's h11 protocol with a request deadline and a per-address connection limit."""

    guard: ConnectionGuard  # set on the subclass made by guarded_protocol()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        address = (get_remote_addr(transport) or ("unknown", 0))[0]
        if not self.guard.admit(address, transport):
            transport.write(
                _raw_response(
                    503,
                    "Service Unavailable",
                    "limit_reached",
                    f"too many connections from {address} (the limit is "
                    f"{self.guard.per_address}); close some and try again",
                )
            )
            transport.close()
            return
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._deadline is None and self._waiting_for_request():
            self._arm()  # the first bytes of a request after a keep-alive pause

    def on_response_complete(self) -> None:
        self._disarm()  # the next request gets its own deadline from its first byte
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _waiting_for_request(self) -> bool:
        """Part of a request (line, headers or body) is still to come on this connection."""
        return (
            self.transport.get_protocol() is self  # not upgraded to a WebSocket
            and not self.transport.is_closing()
            and self.conn.their_state in (h11.IDLE, h11.SEND_BODY)
        )

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.guard.request_seconds, self._expire)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        if not self._waiting_for_request():
            return  # complete: the app is answering, or it became a WebSocket
        n = self.guard.timed_out.hit()
        if n is not None:
            log.warning(
                "closed %d connection(s) that did not send a whole request within %g s",
                n,
                self.guard.request_seconds,
            )
        if self.conn.their_state is h11.IDLE:
            self.transport.write(
                _raw_response(
                    408,
                    "Request Timeout",
                    "request_timeout",
                    f"the request did not arrive whole within {self.guard.request_seconds:g} s",
                )
            )
        self.transport.close()


def guarded_protocol(limits: Limits) -> type[GuardedH11]:
    """A protocol class for ``uvicorn.Config(http=...)`` with its own guard (one per server)."""
    guard = ConnectionGuard(limits.connections_per_address, limits.request_seconds)
    return type("GuardedH11", (GuardedH11,), {"guard": guard})


def quiet_accept_failures(loop: asyncio.AbstractEventLoop) -> None:
    """Log running out of descriptors (or memory) on ``accept`` once per burst, no traceback."""
    previous = loop.get_exception_handler()
    burst = Burst()

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, OSError) and exc.errno in OUT_OF_RESOURCES:
            n = burst.hit()
            if n is not None:
                log.error(
                    "cannot accept new connections: %s (%d time(s)); those open are still "
                    "served, and accepting resumes as descriptors free up",
                    exc.strerror or exc,
                    n,
                )
            return
        if isinstance(exc, ValueError) and "_start_serving" in repr(context.get("handle")):
            return  # the paused accept's retry fired after shutdown closed the listening socket
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)
