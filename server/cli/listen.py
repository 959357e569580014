"""Where ``firedrill serve`` listens and the address it gives out: the socket, bound before
the app starts (so a busy port fails before drill recovery touches the store, and
``--port 0`` knows the port it got), and the ``--public-url`` join links are built from."""

from __future__ import annotations

import errno
import socket
from urllib.parse import urlsplit

import click


def bind(host: str, port: int) -> socket.socket:
    """A listening-ready TCP socket bound to ``host:port``; a clear ClickException if not.

    Port 0 asks the system for any free port; read it back with ``getsockname()``.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        why = exc.strerror or str(exc)
        if exc.errno == errno.EADDRINUSE:
            why += "; another server is listening there: pick another --port (0: any free one)"
        elif isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL:
            why += "; --host must be an address of this machine, e.g. 127.0.0.1 or 0.0.0.0"
        raise click.ClickException(f"cannot listen on {host} port {port}: {why}") from None
    sock.set_inheritable(True)
    return sock


def local_url(host: str, port: int) -> str:
    """The URL to open on this machine for a server listening on ``host:port``."""
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"http://{f'[{shown}]' if ':' in shown else shown}:{port}/"


class PublicUrl(click.ParamType):
    """``--public-url``: the address people reach this server at, e.g. http://10.0.0.5:8000.

    Normalised to end in one ``/``; a path is kept (a reverse proxy may serve it under one).
    """

    name = "URL"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> str:
        text = str(value).strip()
        try:
            parts = urlsplit(text)
            _ = parts.port  # raises ValueError on a port that is not a number
        except ValueError as exc:
            self.fail(f"{text!r} is not a URL ({exc})", param, ctx)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            self.fail(
                f"{text!r} is not an http(s) URL with a host, e.g. http://192.168.1.20:8000",
                param,
                ctx,
            )
        if parts.query or parts.fragment or parts.username or parts.password:
            self.fail(f"{text!r}: give scheme, host, port and path only", param, ctx)
        return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}/"


def origin(url: str) -> str:
    """The browser origin (scheme://host[:port]) of a URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
