"""Fan-out CPU: one frame to N observers through firedrill's hub vs a bare ``websockets.broadcast``.

    .venv/bin/python bench/fanout.py [--observers 500] [--frames 200] [--rounds 5]

Runs, in this process and on one event loop, the firedrill app under uvicorn
(as ``firedrill serve`` configures it) and a bare ``websockets`` server. N
observers join one drill of the first and N plain clients connect to the
second; they are raw sockets in two child processes that only read (the
reading costs this process nothing). Then, in interleaved rounds, the same
frame of events as players and observers get them (the same bytes both
ways) goes out F times per round:

- ``firedrill``: ``Hub.publish`` of the drill, as a tick does it (the frame is
  built and encoded once per view, then written straight to each connection);
- ``firedrill via ASGI``: the same with the direct writer turned off, so each
  client's copy goes through uvicorn's ASGI ``send`` (what fan-out did before);
- ``bare``: ``websockets.broadcast(connections, frame, text=True)``.

The figure is the CPU time of this thread inside those calls (user + system:
framing and the socket writes), per frame per observer, and its ratio to the
bare broadcast measured in the same run (the goal: at most 1.2x). Between two
frames the loop sleeps 10 ms so every socket drains and nothing queues. Each
child then reports how many frames its observers received, which must be
F x rounds x N for each server. Figures vary with the machine's load; the
ratio is the one to read.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import selectors
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.live import _frames, free_port, open_raw  # noqa: E402
from engine.drill import Drill  # noqa: E402
from server.session import players_blob  # noqa: E402

SCENARIO = "checkout-deploy-500s"
PREFIX = b'{"v":1,"type":"events"'
GAP = 0.01  # seconds between two frames: every socket drains before the next


@dataclass
class Mode:
    """One way of fanning out, and the CPU seconds spent in it per round."""

    name: str
    send: Callable[[], None]
    cpu: list[float] = field(default_factory=list)


def sample_events() -> tuple[list[Any], list[bytes]]:
    """The events of one tick of a real drill as players and observers get them (the tick
    whose frame has the median size), with their bytes."""
    from server.library import Library

    drill = Drill(Library().get(SCENARIO), 1)
    drill.advance(300)
    ticks: dict[float, list[Any]] = {}
    for e in drill.log.events:
        if e.vis == "all":
            ticks.setdefault(e.t, []).append(e)
    sized = sorted(ticks.values(), key=lambda es: sum(len(e.to_json()) for e in es))
    shown = sized[len(sized) // 2]
    return shown, [players_blob(e, e.to_json()) for e in shown]


def spawn_readers(url: str, token: str, n: int) -> subprocess.Popen[bytes]:
    """A child process holding ``n`` reading observers; it prints 'ready' once all are in."""
    return subprocess.Popen(
        [sys.executable, __file__, "--readers", url, token, str(n)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


async def wait_ready(proc: subprocess.Popen[bytes]) -> None:
    assert proc.stdout is not None
    line = await asyncio.to_thread(proc.stdout.readline)
    if line.strip() != b"ready":
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise RuntimeError(f"observers failed: {line!r} {err}")


async def finish_readers(proc: subprocess.Popen[bytes]) -> int:
    """Tell the child to stop; the number of events frames its observers received."""
    out, err = await asyncio.to_thread(proc.communicate, b"stop\n")
    if proc.returncode != 0:
        raise RuntimeError(f"observers failed: {err.decode()}")
    return int(out)


async def run(observers: int, frames: int, rounds: int) -> int:
    import uvicorn
    from websockets.asyncio.server import broadcast, serve

    from server.app import create_app
    from server.cli.serve import uvicorn_options
    from server.drills import Drills
    from server.settings import Limits, Settings

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4 * observers + 512)), hard))
    events, public = sample_events()
    frame = PREFIX + b',"seq":%d,"items":[' % events[-1].seq + b",".join(public) + b"]}"
    bare: set[Any] = set()  # the bare server's connections

    async def handler(ws: Any) -> None:
        await ws.recv()  # the hello
        bare.add(ws)
        try:
            await ws.wait_closed()
        finally:
            bare.discard(ws)

    with tempfile.TemporaryDirectory() as tmp:
        limits = Limits(connections_per_address=100_000)
        settings = Settings(db=f"{tmp}/bench.db", limits=limits)
        app = create_app(settings)
        port = free_port()
        # the readers answer no ping: with pings on, both servers would drop them mid-run
        options = {**uvicorn_options(limits), "ws_ping_interval": None}
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", **options)
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        drills: Drills = app.state.drills
        session, secrets = drills.create(SCENARIO, 1, 1.0, "facilitator")
        token = drills.join(session, secrets.observer_code, "bench", None)[1]
        # each observer first gets the drill's events so far, in frames of chunk_events
        backlog = -(-len(list(session.visible("public"))) // limits.chunk_events)
        bare_port = free_port()
        async with serve(handler, "127.0.0.1", bare_port, compression=None, ping_interval=None):
            ours = spawn_readers(f"ws://127.0.0.1:{port}/ws/{session.id}", token, observers)
            theirs = spawn_readers(f"ws://127.0.0.1:{bare_port}/", "bare", observers)
            await asyncio.gather(wait_ready(ours), wait_ready(theirs))
            while len(session.hub) < observers or len(bare) < observers:
                await asyncio.sleep(0.01)
            clients = list(session.hub.clients["public"])
            wires = [c._wire for c in clients]
            if any(w is None for w in wires):
                raise RuntimeError("some observers have no direct writer: not uvicorn sans-I/O")

            def hub() -> None:
                session.hub.publish(events, public, public)

            def asgi() -> None:
                for c in clients:
                    c._wire = None
                try:
                    session.hub.publish(events, public, public)
                finally:
                    for c, w in zip(clients, wires, strict=True):
                        c._wire = w

            modes = [
                Mode("firedrill", hub),
                Mode("firedrill via ASGI", asgi),
                Mode("bare websockets.broadcast", lambda: broadcast(bare, frame, text=True)),
            ]
            for _ in range(rounds):
                for mode in modes:
                    used = 0.0
                    for _ in range(frames):
                        t = time.thread_time()
                        mode.send()
                        used += time.thread_time() - t
                        await asyncio.sleep(GAP)
                    mode.cpu.append(used)
            await asyncio.sleep(0.5)  # the last frames reach the readers
            got_ours, got_bare = await asyncio.gather(finish_readers(ours), finish_readers(theirs))
        server.should_exit = True
        await task
    sent = frames * rounds * observers
    print(
        f"fan-out of one {len(frame)}-byte events frame to {observers} observers, "
        f"{frames} frames x {rounds} rounds per way (median round)"
    )
    base = median(modes[-1].cpu) / frames
    for mode in modes:
        per = median(mode.cpu) / frames
        print(
            f"  {mode.name:<27} {per * 1e3:7.3f} ms CPU per frame "
            f"({per / observers * 1e6:5.2f} us per observer)  ratio {per / base:4.2f}x"
        )
    # the hub is used two ways on the same observers, after their backlog
    want_ours, want_bare = 2 * sent + backlog * observers, sent
    print(
        f"  frames received: firedrill {got_ours:,} of {want_ours:,}, bare {got_bare:,} of "
        f"{want_bare:,}"
    )
    ok = got_ours == want_ours and got_bare == want_bare
    if not ok:
        print("FAIL: frames were lost")
    return 0 if ok else 1


# ------------------------------------------------------------- reading side
def run_readers(url: str, token: str, n: int) -> None:
    """Child process: ``n`` raw-socket observers; prints 'ready', reads until stdin says
    stop, then prints how many events frames arrived in all."""
    sel = selectors.DefaultSelector()
    buffers = open_raw(url, token, n, sel)
    sel.register(sys.stdin, selectors.EVENT_READ)
    print("ready", flush=True)
    received = 0
    while True:
        for key, _ in sel.select(0.05):
            if key.fd == sys.stdin.fileno():
                sys.stdin.readline()
                for s in buffers:
                    s.close()
                print(received)
                return
            ready = key.fileobj
            assert isinstance(ready, socket.socket)
            buf = buffers[ready]
            buf += ready.recv(1 << 18)
            received += sum(1 for p in _frames(buf) if p.startswith(PREFIX))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--observers", type=int, default=500)
    parser.add_argument("--frames", type=int, default=200, help="per round and way")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--readers", nargs=3, metavar=("URL", "TOKEN", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.readers:
        url, token, n = args.readers
        run_readers(url, token, int(n))
        return 0
    if args.observers < 1 or args.frames < 1 or args.rounds < 1:
        parser.error("need --observers, --frames and --rounds >= 1")
    print(f"firedrill fan-out benchmark ({os.cpu_count()} cpus, python {sys.version.split()[0]})")
    return asyncio.run(run(args.observers, args.frames, args.rounds))


if __name__ == "__main__":
    sys.exit(main())
