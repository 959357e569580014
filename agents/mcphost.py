"""Hosting an MCP client command for one benchmark run: a loopback server, one drill.

The command is started with ``FIREDRILL_MCP_URL`` (streamable HTTP on
127.0.0.1, a free port), ``FIREDRILL_SCENARIO``, ``FIREDRILL_SEED`` and
``FIREDRILL_RUN`` in its environment. It must ``start_drill`` that scenario
and seed, play, and exit; the drill it started is then played out and graded.
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from dataclasses import dataclass

import uvicorn

from .mcpserver import Desk, build_server
from .session import HeadlessSession


class HostError(RuntimeError):
    """The command could not be run, or did not play the drill it was given."""


@dataclass
class Hosted:
    session: HeadlessSession
    error: str | None


def play_command(
    argv: list[str], scenario: str, seed: int, run: int, think: float, timeout: float
) -> Hosted:
    """Run ``argv`` against a fresh loopback MCP server; the session it played, and any error."""
    desk = Desk(default_think=think)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = build_server(desk).streamable_http_app(host="127.0.0.1")
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise HostError("the MCP server for the agent did not start")
        time.sleep(0.01)
    env = {
        **os.environ,
        "FIREDRILL_MCP_URL": f"http://127.0.0.1:{port}/mcp",
        "FIREDRILL_SCENARIO": scenario,
        "FIREDRILL_SEED": str(seed),
        "FIREDRILL_RUN": str(run),
    }
    error = None
    try:
        done = subprocess.run(argv, env=env, capture_output=True, timeout=timeout, check=False)
        if done.returncode != 0:
            tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
            error = f"agent command exited with {done.returncode}: {tail[0]}"
    except FileNotFoundError:
        raise HostError(f"agent command not found: {argv[0]!r}") from None
    except subprocess.TimeoutExpired:
        error = f"agent command timed out after {timeout:g} s"
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()
    session = desk.session
    if session is None:
        why = f" ({error})" if error else ""
        raise HostError(f"agent command {argv[0]!r} never called start_drill{why}")
    got = (session.drill.scenario.id, session.drill.seed)
    if got != (scenario, seed):
        raise HostError(f"agent command started {got[0]} seed {got[1]}, not {scenario} seed {seed}")
    return Hosted(session, error)
