"""The message bus between the workers of one deployment: ordered publish, subscribe by channel.

Two implementations of one small interface (:class:`Bus`):

- :class:`LocalBus`, in-process (the default, and what one server needs: there is
  nobody else to tell);
- :class:`RedisBus`, Redis pub/sub (``firedrill serve --bus redis://host:6379/0``),
  through redis-py's asyncio client: one connection publishes, in the order
  :meth:`Bus.publish` was called, one connection holds every subscription.

Redis pub/sub delivers each message at most once, in publication order per
publishing connection, and drops messages while a subscriber is disconnected;
what rides on it (server/cluster.py) numbers its messages and rebuilds from the
store when it sees a gap, so a lost message costs a rebuild, never a wrong frame.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger("firedrill.server")
Handler = Callable[[str, bytes], None]  # (channel, payload); called on the event loop, in order
SCHEMES = ("redis", "rediss", "unix")
CLOSE_WAIT = 3.0  # seconds close() gives the reader and writer to stop


class Bus(Protocol):
    """Ordered, fire-and-forget publication; handlers run on the event loop, in arrival order."""

    async def start(self) -> None: ...
    def publish(self, channel: str, data: bytes) -> None: ...
    async def subscribe(self, channel: str, handler: Handler, pattern: bool = False) -> None: ...
    async def unsubscribe(self, channel: str) -> None: ...
    async def close(self) -> None: ...


def is_bus_url(target: str) -> bool:
    """Whether ``--bus`` names a Redis server (``redis://``, ``rediss://``, ``unix://``)."""
    return "://" in target and target.partition("://")[0] in SCHEMES


class LocalBus:
    """Channels inside this process only (one server: nothing to share)."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}
        self._patterns: dict[str, Handler] = {}

    async def start(self) -> None:
        """Nothing to connect to."""

    def publish(self, channel: str, data: bytes) -> None:
        """Deliver on a later loop turn, in publication order (as a remote bus would)."""
        loop = asyncio.get_running_loop()
        handler = self._handlers.get(channel)
        if handler is not None:
            loop.call_soon(handler, channel, data)
        for pattern, h in self._patterns.items():
            if fnmatch.fnmatchcase(channel, pattern):
                loop.call_soon(h, channel, data)

    async def subscribe(self, channel: str, handler: Handler, pattern: bool = False) -> None:
        """Route ``channel`` (a glob pattern when ``pattern``) to ``handler``."""
        (self._patterns if pattern else self._handlers)[channel] = handler

    async def unsubscribe(self, channel: str) -> None:
        """Stop routing ``channel`` (a pattern too)."""
        self._handlers.pop(channel, None)
        self._patterns.pop(channel, None)

    async def close(self) -> None:
        """Forget every subscription."""
        self._handlers.clear()
        self._patterns.clear()


class RedisBus:
    """Redis pub/sub. :meth:`start` raises RuntimeError with the reason if Redis is unreachable."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._handlers: dict[str, Handler] = {}
        self._patterns: dict[str, Handler] = {}
        self._confirmed: dict[str, asyncio.Future[None]] = {}
        self._queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._pub: Any = None
        self._sub: Any = None
        # redis-py can swallow a cancellation that lands inside its own read timeout (its
        # issue 2551), so the loops also stop on this flag and close() waits a bounded time
        self._closing = False
        self._broken: dict[str, str] = {}  # "publish"/"subscription" -> why it last failed
        self.on_publish: Callable[[float], None] | None = None  # seconds per batch (telemetry)
        self.on_failure: Callable[[], None] | None = None

    async def start(self) -> None:
        """Connect both connections; the reader starts with the first subscription."""
        import redis.asyncio as aioredis
        from redis.exceptions import RedisError

        self._pub = aioredis.from_url(self.url, socket_connect_timeout=5)
        try:
            await self._pub.ping()
        except (RedisError, OSError) as exc:
            await self._pub.aclose()
            raise RuntimeError(f"cannot reach the bus at {describe(self.url)}: {exc}") from None
        self._sub = self._pub.pubsub(ignore_subscribe_messages=False)
        self._tasks.append(asyncio.get_running_loop().create_task(self._write()))

    def publish(self, channel: str, data: bytes) -> None:
        """Queue ``data`` for ``channel``; queued messages go out in order, pipelined."""
        self._queue.put_nowait((channel, data))

    async def _write(self) -> None:
        from redis.exceptions import RedisError

        while not self._closing:
            batch = [await self._queue.get()]
            while not self._queue.empty() and len(batch) < 256:
                batch.append(self._queue.get_nowait())
            delay = 0.1
            while not self._closing:  # a message published twice is dropped by its receiver
                started = time.perf_counter()
                try:
                    pipe = self._pub.pipeline(transaction=False)
                    for channel, data in batch:
                        pipe.publish(channel, data)
                    await pipe.execute()
                    self._broken.pop("publish", None)
                    if self.on_publish is not None:
                        self.on_publish(time.perf_counter() - started)
                    break
                except (RedisError, OSError) as exc:
                    self._failed("publish", exc)
                    log.warning("bus publish failed (%s); retrying in %.1f s", exc, delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 2.0)

    async def subscribe(self, channel: str, handler: Handler, pattern: bool = False) -> None:
        """Subscribe and return once Redis confirmed it: later messages will arrive."""
        (self._patterns if pattern else self._handlers)[channel] = handler
        fut = asyncio.get_running_loop().create_future()
        self._confirmed[channel] = fut
        if pattern:
            await self._sub.psubscribe(channel)
        else:
            await self._sub.subscribe(channel)
        if len(self._tasks) == 1:
            self._tasks.append(asyncio.get_running_loop().create_task(self._read()))
        await asyncio.wait_for(fut, 10)

    async def unsubscribe(self, channel: str) -> None:
        """Stop receiving ``channel`` (or the pattern)."""
        if self._handlers.pop(channel, None) is not None:
            await self._sub.unsubscribe(channel)
        if self._patterns.pop(channel, None) is not None:
            await self._sub.punsubscribe(channel)

    async def _read(self) -> None:
        from redis.exceptions import RedisError

        while not self._closing:
            try:
                msg = await self._sub.get_message(timeout=1.0)
            except (RedisError, OSError) as exc:  # redis-py resubscribes on reconnect
                self._failed("subscription", exc)
                log.warning("bus subscription failed (%s); reconnecting", exc)
                await asyncio.sleep(0.5)
                continue
            self._broken.pop("subscription", None)  # a read answered: the link works
            if msg is None:
                continue
            kind, channel = msg["type"], _text(msg["channel"])
            if kind in ("subscribe", "psubscribe"):
                fut = self._confirmed.pop(channel, None)
                if fut is not None and not fut.done():
                    fut.set_result(None)
                continue
            if kind == "message":
                handler = self._handlers.get(channel)
            elif kind == "pmessage":
                handler = self._patterns.get(_text(msg["pattern"]))
            else:
                continue
            if handler is None:
                continue
            try:
                handler(channel, msg["data"])
            except Exception:  # one bad message must not end the subscription
                log.exception("bus message on %s failed", channel)

    @property
    def error(self) -> str | None:
        """Why publishing or the subscription fails now (None: both work)."""
        if not self._broken:
            return None
        return "; ".join(f"{what} failed: {why}" for what, why in sorted(self._broken.items()))

    def _failed(self, what: str, exc: Exception) -> None:
        self._broken[what] = str(exc) or type(exc).__name__
        if self.on_failure is not None:
            self.on_failure()

    async def close(self) -> None:
        """Stop reading and writing; close both connections."""
        self._closing = True
        for t in self._tasks:
            t.cancel()
        if self._tasks:  # the reader notices the flag within its 1 s poll
            _, stuck = await asyncio.wait(self._tasks, timeout=CLOSE_WAIT)
            if stuck:
                log.warning("bus: %d task(s) did not stop within %.0f s", len(stuck), CLOSE_WAIT)
        with contextlib.suppress(Exception):
            if self._sub is not None:
                await self._sub.aclose()
            if self._pub is not None:
                await self._pub.aclose()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def describe(url: str) -> str:
    """The bus URL as it may be printed: without a password."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.rpartition('@')[2]}"


def open_bus(url: str | None) -> Bus:
    """The bus ``--bus`` names, or the in-process one. Raises RuntimeError on a bad URL."""
    if url is None:
        return LocalBus()
    if not is_bus_url(url):
        raise RuntimeError(f"expected a redis:// URL for the bus, got {url!r}")
    try:
        import redis  # noqa: F401
    except ImportError:
        raise RuntimeError(
            "a redis:// bus needs redis-py: pip install 'firedrill[redis]'"
        ) from None
    return RedisBus(url)
