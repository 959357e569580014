"""The WebSocket endpoint: handshake checks, hello, then one reader and one writer per client.

Order of a connection: Origin and URL are checked before accepting (a
refusal is an HTTP response with the usual JSON error body); the first frame must be a
hello carrying the token; the drill then sends welcome + missed events and
streams live frames through the client's own queue (server/hub.py). Every
later client frame gets exactly one ``ack`` or ``error`` frame.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Coroutine, Mapping
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope
from starlette.types import Send as ASGISend

from engine.errors import FiredrillError

from .auth import Principal, require
from .drills import Drills
from .errors import (
    CLOSE,
    BadFrame,
    LimitReached,
    RateLimited,
    StorageUnavailable,
    error_code,
    http_status,
)
from .hub import Client, Send
from .protocol import ControlFrame, Hello, InputFrame, Ping, ack, error, parse_frame
from .ratelimit import TokenBucket
from .session import DrillSession
from .settings import Settings
from .wire import RAW_SEND, wire_of

log = logging.getLogger("firedrill.server")
router = APIRouter()


class KeepRawSend:
    """ASGI middleware handing WebSocket endpoints the server's own ``send``.

    Fan-out is one send per client per frame; going straight to the server
    skips the framework's per-message wrappers (about a tenth of fan-out CPU),
    and it is how server/wire.py finds the connection to write frames to.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: ASGISend) -> None:
        if scope["type"] == "websocket":
            scope[RAW_SEND] = send
        await self.app(scope, receive, send)


def frame_sender(ws: WebSocket) -> Send:
    """A coroutine function sending one text frame on ``ws``, as directly as possible."""
    raw = ws.scope.get(RAW_SEND)
    if raw is None:
        return ws.send_text

    def send(frame: str) -> Coroutine[Any, Any, None]:
        return raw({"type": "websocket.send", "text": frame})  # type: ignore[no-any-return]

    return send


def origin_refusal(ws: WebSocket, settings: Settings) -> str | None:
    """Why a browser page from another site may not open this socket (None = allowed)."""
    origin = ws.headers.get("origin")
    if origin is None:
        return None  # not a browser: CLIs and tests send no Origin
    if origin in settings.allowed_origins:
        return None
    if urlsplit(origin).netloc.lower() == ws.headers.get("host", "").lower():
        return None
    return f"origin {origin} is not allowed; serve the page from this server or add --allow-origin"


@router.websocket("/ws/{drill_id}")
async def drill_socket(websocket: WebSocket, drill_id: str) -> None:
    drills: Drills = websocket.app.state.drills
    settings: Settings = websocket.app.state.settings
    refusal = origin_refusal(websocket, settings)
    code, name = 403, "forbidden"
    if refusal is None and "token" in websocket.query_params:
        refusal = "do not put the token in the URL; send it in the hello frame"
        code, name = 400, "bad_request"
    session = None
    if refusal is None:
        try:
            session = await drills.get(drill_id)
        except FiredrillError as exc:
            refusal, code, name = str(exc), http_status(exc), error_code(exc)
    if refusal is not None or session is None:
        if "websocket.http.response" in websocket.scope.get("extensions", {}):
            body = {"error": name, "message": refusal or ""}  # like every REST error
            await websocket.send_denial_response(JSONResponse(body, code))
        else:  # servers without the denial-response extension can only say 403
            await websocket.close(1008, refusal)
        return
    await websocket.accept()
    await Connection(websocket, session, drills, settings).run()


class Connection:
    def __init__(
        self, ws: WebSocket, session: DrillSession, drills: Drills, settings: Settings
    ) -> None:
        self.ws = ws
        self.session = session
        self.drills = drills
        self.limits = settings.limits
        self.bucket = TokenBucket(self.limits.inputs_per_second, self.limits.input_burst)
        self.replies = drills.telemetry.replies

    async def run(self) -> None:
        hello = await self._hello()
        if hello is None:
            return
        who, last_seq = hello
        client = Client(
            who, frame_sender(self.ws), self.limits.queue_frames, wire_of(self.ws.scope)
        )
        self.drills.catch_up(self.session, last_seq)
        try:
            self.session.attach(client, last_seq)
        except LimitReached as exc:
            await self._close(CLOSE["limit_reached"], str(exc))
            return
        tasks = [
            asyncio.create_task(self._read(client)),
            asyncio.create_task(client.closing.wait()),
        ]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.session.detach(client)
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            code, reason = client.close_code, client.close_reason
            await client.aclose()
        if code is not None:
            await self._close(code, reason)

    async def _hello(self) -> tuple[Principal, int | None] | None:
        """Wait for the hello frame; on any problem say why and close."""
        try:
            msg = await asyncio.wait_for(self.ws.receive(), self.limits.hello_timeout)
        except TimeoutError:
            await self._close(
                CLOSE["hello_timeout"],
                f"no hello within {self.limits.hello_timeout:g} s; send "
                '{"type": "hello", "v": 1, "token": ...} first',
            )
            return None
        if msg["type"] == "websocket.disconnect":
            return None
        try:
            frame = self._parse(msg)
            if not isinstance(frame, Hello):
                raise BadFrame(f"the first frame must be a hello, not {frame.type}", frame.id)
        except BadFrame as exc:
            await self._refuse(exc.frame_id, exc, CLOSE["bad_hello"])
            return None
        try:
            who = self.drills.authenticate(self.session.id, frame.token)
        except StorageUnavailable as exc:  # the token may be fine: come back, do not rejoin
            await self._refuse(frame.id, exc, CLOSE["storage_unavailable"])
            return None
        except FiredrillError as exc:
            await self._refuse(frame.id, exc, CLOSE["unauthorized"])
            return None
        return who, frame.last_seq

    async def _refuse(self, frame_id: str | None, exc: Exception, close_code: int) -> None:
        with contextlib.suppress(Exception):
            await self.ws.send_text(error(frame_id, error_code(exc), str(exc)))
        await self._close(close_code, str(exc))

    async def _read(self, client: Client) -> None:
        loop = asyncio.get_running_loop()
        while True:
            msg = await self.ws.receive()
            if msg["type"] == "websocket.disconnect":
                return
            frame_id: str | None = None
            arrived, outcome = time.perf_counter(), "error"
            try:
                frame = self._parse(msg)
                frame_id = frame.id
                if not self.bucket.take(loop.time()):
                    raise RateLimited(
                        f"more than {self.limits.inputs_per_second:g} frames per second "
                        f"(bursts of {self.limits.input_burst}); this frame was dropped"
                    )
                client.send(ack(frame_id, await self._handle(client.principal, frame)))
                outcome = "ack"
            except FiredrillError as exc:
                seq = getattr(exc, "seq", None)  # a duplicate_frame here or from the owner
                extra = {"seq": seq} if error_code(exc) == "duplicate_frame" and seq else {}
                client.send(
                    error(
                        getattr(exc, "frame_id", None) or frame_id,
                        error_code(exc),
                        str(exc),
                        **extra,
                    )
                )
            except Exception:
                log.exception("drill %s: frame %r failed", self.session.id, frame_id)
                client.send(
                    error(
                        frame_id,
                        "internal",
                        "the server failed on this frame; the drill is unchanged",
                    )
                )
            finally:
                self.replies.labels(outcome).observe(time.perf_counter() - arrived)

    def _parse(self, msg: Mapping[str, Any]) -> Hello | InputFrame | ControlFrame | Ping:
        text = msg.get("text")
        if text is None:
            raise BadFrame("binary frames are not accepted; send JSON in text frames")
        if len(text) > self.limits.frame_bytes:  # uvicorn enforces this too (close 1009)
            raise BadFrame(
                f"frame of {len(text)} characters; the limit is {self.limits.frame_bytes}"
            )
        return parse_frame(text)

    async def _handle(self, who: Principal, frame: Hello | InputFrame | ControlFrame | Ping) -> int:
        """Apply one frame (here, or through the drill's owner in a cluster); the seq to ack."""
        if isinstance(frame, Ping):
            return self.session.seq
        if isinstance(frame, Hello):
            raise BadFrame("this connection already said hello", frame.id)
        if isinstance(frame, ControlFrame):
            require(who.role, f"control:{frame.action}")
            return (await self.session.submit(who, frame.as_input(), frame_id=frame.id)).seq
        return (await self.session.submit(who, frame.input, frame.as_, frame.id)).seq

    async def _close(self, code: int, reason: str) -> None:
        # A peer that stopped reading may never let the close frame out; returning
        # from the endpoint then lets the server drop the connection.
        with contextlib.suppress(Exception):
            reason = reason.encode()[:123].decode(errors="ignore")  # RFC 6455 limit
            await asyncio.wait_for(self.ws.close(code, reason), 2.0)
