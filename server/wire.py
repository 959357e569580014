"""Text frames written straight to uvicorn's WebSocket connection, as ``websockets.broadcast`` does.

Through ASGI every client's copy of a frame is a message dict, an await, a
UTF-8 encoding and uvicorn's checks; fan-out to 500 observers cost 1.6x the
CPU of a bare ``websockets.broadcast`` of the same bytes. A :class:`Wire`
takes the bytes the hub encoded once per view and hands them to the
connection's own sans-I/O protocol (framing) and transport (the write), the
two calls ``broadcast`` makes per connection. It writes only when uvicorn's
own ``send`` would write at once (the connection open, the transport not
closing nor asking to pause); otherwise the caller takes the ASGI path,
which waits, queues or fails exactly as before.

Only uvicorn's ``websockets-sansio`` protocol (``firedrill serve`` picks it) is
recognised; under any other server :func:`wire_of` gives None and every frame
goes through ASGI.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import InvalidState
from websockets.protocol import OPEN

RAW_SEND = "firedrill.raw_send"  # the scope key server/ws.py's middleware keeps the send in


class Wire:
    """Direct writes of text frames on one accepted uvicorn WebSocket connection."""

    __slots__ = ("_protocol",)

    def __init__(self, protocol: WebSocketsSansIOProtocol) -> None:
        self._protocol = protocol

    def write(self, frame: bytes) -> bool:
        """Frame and write ``frame`` (UTF-8 JSON) now; False, writing nothing, when the
        connection cannot take it at once (the caller then sends it through ASGI)."""
        p = self._protocol
        # OPEN: accepted (not refused), and no close sent or received yet
        if p.conn.state is not OPEN or not p.writable.is_set() or p.transport.is_closing():
            return False
        try:
            p.conn.send_text(frame)
        except InvalidState:
            return False
        p.transport.write(b"".join(p.conn.data_to_send()))
        return True


def wire_of(scope: Mapping[str, Any]) -> Wire | None:
    """The direct writer of this WebSocket's connection, if uvicorn's sans-I/O protocol
    serves it (None: use the ASGI ``send``)."""
    protocol = getattr(scope.get(RAW_SEND), "__self__", None)
    return Wire(protocol) if isinstance(protocol, WebSocketsSansIOProtocol) else None
