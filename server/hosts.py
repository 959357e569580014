"""Which Host headers this server answers: a guard against DNS rebinding.

A page on ``evil.example`` can make its name resolve to 127.0.0.1 and then
talk to a local server as a "same-origin" page: the browser's Origin and the
Host it sends both say ``evil.example``, so an Origin check alone passes.
The Host header is what gives it away. Allowed by default: loopback names
(``localhost``, ``*.localhost``) and any IP address literal (rebinding needs
a name; a LAN address typed into a browser is fine), plus the names in
``Settings.allowed_hosts`` (``--allow-host``; ``*`` allows every name).
"""

from __future__ import annotations

import ipaddress

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

LOOPBACK_NAMES = ("localhost",)


def host_name(header: str) -> str:
    """The name part of a Host header: no port, no brackets, lower case, no final dot."""
    value = header.strip().lower()
    if value.startswith("["):  # [::1]:8000
        return value[1 : value.find("]")] if "]" in value else ""
    name, _, port = value.rpartition(":")
    if name and port.isdigit():
        value = name
    return value.rstrip(".")


def host_allowed(header: str | None, allowed: tuple[str, ...]) -> bool:
    if header is None:
        return False
    name = host_name(header)
    if not name:
        return False
    if "*" in allowed or name in LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        pass
    return name in (host_name(a) for a in allowed)


class AllowedHosts:
    """ASGI middleware refusing requests and WebSockets whose Host is not allowed (JSON 400)."""

    def __init__(self, app: ASGIApp, allowed: tuple[str, ...]) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        raw = dict(scope["headers"]).get(b"host")
        header = raw.decode("latin-1") if raw is not None else None
        if host_allowed(header, self.allowed):
            await self.app(scope, receive, send)
            return
        shown = "no Host header" if header is None else f"Host {header[:80]!r}"
        answer = JSONResponse(
            {
                "error": "bad_host",
                "message": f"this server does not answer to {shown}; use its address, "
                "or start it with --allow-host NAME",
            },
            status_code=400,
        )
        if scope["type"] == "http":
            await answer(scope, receive, send)
        elif "websocket.http.response" in scope.get("extensions", {}):
            await WebSocket(scope, receive, send).send_denial_response(answer)
        else:
            await WebSocket(scope, receive, send).close(1008, "host not allowed")
