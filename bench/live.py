"""Live server benchmark: tick lateness of the pacer, and fan-out latency and CPU.

    .venv/bin/python bench/live.py [--quick]

(a) Tick lateness (how late each drill's tick wake is, vs its grid) for 1 and
    100 concurrent drills at 1x and 10x, running the server's own pacer and
    drill sessions (model work, serialisation, no clients), next to a bare
    asyncio sleep-until loop with the same phases and no work.
(b) Delivery latency from a drill's tick to 10/100/500 observers over real
    WebSockets on loopback, and the server process's CPU, next to a bare
    ``websockets.broadcast`` server sending frames of the same size at the
    same rate. The server runs in this process (its CPU is this process's
    CPU time over the window; ours includes simulating the drill at 100x,
    see the N=10 row); the observers are raw sockets in a child process,
    timestamping receipts with the same monotonic clock as the server's ticks.

Figures are ratios against baselines measured in the same run (goals: the
README's Performance table); absolute numbers vary between runs.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import selectors
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from statistics import quantiles
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server.auth import Principal  # noqa: E402
from server.drills import Drills  # noqa: E402
from server.library import Library  # noqa: E402
from server.pacing import phase_of  # noqa: E402
from server.settings import Limits, Settings  # noqa: E402
from server.store import SqliteStore  # noqa: E402

SCENARIO = "checkout-deploy-500s"
EVENTS = '{"v":1,"type":"events","seq":'


def pct(samples: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds."""
    if len(samples) < 2:
        v = samples[0] * 1000 if samples else float("nan")
        return v, v
    q = quantiles(samples, n=100, method="inclusive")
    return q[49] * 1000, q[98] * 1000


# ------------------------------------------------------------- (a) pacing
async def bare_pacing(n: int, speed: float, seconds: float) -> tuple[list[float], float]:
    """N sleep-until loops on staggered grids doing nothing; lateness samples, CPU share."""
    loop = asyncio.get_running_loop()
    interval = max(0.02, 1.0 / speed)
    out: list[float] = []
    start = loop.time() + 0.05

    async def one(phase: float) -> None:
        k = 1
        while True:
            target = start + phase * interval + k * interval
            if target > start + seconds:
                return
            await asyncio.sleep(target - loop.time())
            out.append(loop.time() - target)
            k += 1

    cpu = time.process_time()
    await asyncio.gather(*(one(phase_of(f"bench-{i}")) for i in range(n)))
    return out, (time.process_time() - cpu) / seconds


async def server_pacing(n: int, speed: float, seconds: float) -> tuple[list[float], float, int]:
    """N real drill sessions paced by the server; lateness samples, CPU share, ticks."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(db=f"{tmp}/bench.db", limits=Limits(drills=max(200, n)))
        store = SqliteStore(settings.db)
        drills = Drills(store, Library(), settings)
        sessions = [drills.create(SCENARIO, i, speed, "facilitator")[0] for i in range(n)]
        ticks = 0
        for s in sessions:
            orig = s.tick

            def counted(wall: float, orig: Callable[[float], None] = orig) -> None:
                nonlocal ticks
                ticks += 1
                orig(wall)

            s.pacer.on_tick = counted
        cpu = time.process_time()
        for s in sessions:
            fac = Principal(s.id, "facilitator", "facilitator")
            s.apply(fac, {"type": "clock", "action": "start"})
        await asyncio.sleep(seconds)
        used = time.process_time() - cpu
        samples = list(drills.lateness.samples)
        await drills.close()
        store.close()
        return samples, used / seconds, ticks


async def part_a(quick: bool) -> None:
    print("(a) tick lateness, ms (p50 / p99); n = samples; cpu = share of one core")
    print(f"    {'drills':>6} {'speed':>5}   {'bare loop':>22}   {'server pacer + drills':>34}")
    for speed, secs in ((1.0, 3.0 if quick else 6.0), (10.0, 1.5 if quick else 3.0)):
        for n in (1, 100):
            bare, _ = await bare_pacing(n, speed, secs)
            real, cpu, ticks = await server_pacing(n, speed, secs)
            b50, b99 = pct(bare)
            r50, r99 = pct(real)
            print(
                f"    {n:>6} {speed:>4g}x   {b50:6.2f} / {b99:6.2f} n={len(bare):<5}"
                f"   {r50:6.2f} / {r99:6.2f} n={len(real):<5} cpu {cpu * 100:4.1f}%"
                f"  {ticks / secs:6.0f} ticks/s"
            )


# ------------------------------------------------------------- (b) fan-out
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def spawn_clients(url: str, token: str, n: int, seconds: float) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, __file__, "--clients", url, token, str(n), str(seconds)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


async def measure(
    proc: subprocess.Popen[bytes],
    stamps: dict[int, float],
    seconds: float,
    on_ready: Callable[[], None],
) -> tuple[list[float], float, int]:
    """Wait for the clients to connect, start ticking, time the window, collect receipts."""
    assert proc.stdout is not None
    line = await asyncio.to_thread(proc.stdout.readline)
    if line.strip() != b"ready":
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise RuntimeError(f"clients failed: {line!r} {err}")
    on_ready()
    cpu, wall = time.process_time(), time.monotonic()
    await asyncio.sleep(seconds)
    cpu_share = (time.process_time() - cpu) / (time.monotonic() - wall)
    out, _ = await asyncio.to_thread(proc.communicate)
    receipts = orjson.loads(out)
    lat = [t - stamps[seq] for seq, t in receipts if seq in stamps]
    return lat, cpu_share, len(receipts)


async def fanout_server(sizes: list[int], seconds: float, frame_bytes: list[int]) -> list[Any]:
    import uvicorn

    from server.app import create_app
    from server.cli.serve import uvicorn_options

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(db=f"{tmp}/bench.db")
        app = create_app(settings)
        port = free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="error", **uvicorn_options(settings.limits)
        )
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        drills: Drills = app.state.drills
        for n in sizes:
            session, secrets = drills.create(SCENARIO, 1, 100.0, "facilitator")
            obs_token = drills.join(session, secrets.observer_code, "bench", None)[1]
            stamps: dict[int, float] = {}
            orig = session.tick

            def stamped(
                wall: float, s: Any = session, orig: Any = orig, stamps: dict[int, float] = stamps
            ) -> None:
                before = s.seq
                orig(wall)
                for seq in range(before + 1, s.seq + 1):
                    stamps[seq] = wall  # the tick's wake time (loop.time() is monotonic)
                    frame_bytes.append(len(s._blobs[seq - 1]))

            session.pacer.on_tick = stamped
            fac = Principal(session.id, "facilitator", "facilitator")
            proc = spawn_clients(f"ws://127.0.0.1:{port}/ws/{session.id}", obs_token, n, seconds)
            lat, cpu, frames = await measure(  # the clock starts once the observers are in
                proc,
                stamps,
                seconds,
                lambda s=session, fac=fac: s.apply(fac, {"type": "clock", "action": "start"}),
            )
            results.append((n, lat, cpu, frames))
            session.apply(fac, {"type": "end"})
        server.should_exit = True
        await task
    return results


async def fanout_bare(sizes: list[int], seconds: float, size: int) -> list[Any]:
    """The same shape with ``websockets.broadcast``: 10 frames/s of ``size`` bytes."""
    from websockets.asyncio.server import broadcast, serve

    clients: set[Any] = set()

    async def handler(ws: Any) -> None:
        await ws.recv()  # the hello
        await ws.send('{"v":1,"type":"welcome"}')
        clients.add(ws)
        try:
            await ws.wait_closed()
        finally:
            clients.discard(ws)

    results = []
    port = free_port()
    async with serve(handler, "127.0.0.1", port, compression=None, max_size=65536):
        for n in sizes:
            stamps: dict[int, float] = {}
            stop = asyncio.Event()

            async def ticker(stamps: dict[int, float] = stamps, stop: asyncio.Event = stop) -> None:
                loop = asyncio.get_running_loop()
                seq, start = 0, loop.time()
                pad = "x" * max(0, size - 60)
                while not stop.is_set():
                    seq += 1
                    target = start + seq * 0.1
                    await asyncio.sleep(max(0.0, target - loop.time()))
                    stamps[seq] = loop.time()
                    broadcast(clients, f'{{"v":1,"type":"events","seq":{seq},"items":["{pad}"]}}')

            proc = spawn_clients(f"ws://127.0.0.1:{port}/", "bare", n, seconds)
            tasks: list[asyncio.Task[None]] = []
            lat, cpu, frames = await measure(
                proc,
                stamps,
                seconds,
                lambda tasks=tasks, t=ticker: tasks.append(asyncio.create_task(t())),
            )
            stop.set()
            await asyncio.gather(*tasks)
            results.append((n, lat, cpu, frames))
    return results


async def part_b(quick: bool) -> None:
    sizes = [10, 100, 500]
    seconds = 2.0 if quick else 4.0
    frame_bytes: list[int] = []
    ours = await fanout_server(sizes, seconds, frame_bytes)
    size = int(sorted(frame_bytes)[len(frame_bytes) // 2]) if frame_bytes else 1400
    bare = await fanout_bare(sizes, seconds, size)
    print(
        f"(b) fan-out of one drill at 100x (~10 frames/s of ~{size} B) to N observers on "
        "loopback: tick -> receipt, ms (p50 / p99); server CPU = share of one core"
    )
    print(
        f"    {'N':>4}   {'bare websockets.broadcast':>32}   {'firedrill server':>32}   ratio p99"
    )
    for (n, blat, bcpu, bf), (_, lat, cpu, f) in zip(bare, ours, strict=True):
        b50, b99 = pct(blat)
        r50, r99 = pct(lat)
        print(
            f"    {n:>4}   {b50:6.2f} / {b99:6.2f} cpu {bcpu * 100:5.1f}% ({bf:>5})"
            f"   {r50:6.2f} / {r99:6.2f} cpu {cpu * 100:5.1f}% ({f:>5})   {r99 / b99:5.2f}x"
        )


# ------------------------------------------------------------- client side
def run_clients(url: str, token: str, n: int, seconds: float) -> None:
    """Child process: N observers on raw sockets; prints 'ready', then [seq, time] pairs.

    A WebSocket client library costs ~40 us per frame in Python, so 500 of them
    in one process would measure the client. This one does the handshake by
    hand, then reads all sockets from one epoll loop and only parses frame
    headers and the ``seq`` at the start of each payload (~5 us per frame).
    """
    sel = selectors.DefaultSelector()
    buffers = open_raw(url, token, n, sel)
    receipts: list[tuple[int, float]] = []
    prefix = EVENTS.encode()
    opened = time.monotonic() + 0.3  # let welcomes and backlogs drain first
    window = (opened, opened + seconds)
    ready = False
    while (now := time.monotonic()) < window[1] + 0.2:
        if not ready and now >= window[0]:
            print("ready", flush=True)
            ready = True
        for key, _ in sel.select(0.05):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            data = sock.recv(1 << 18)
            now = time.monotonic()
            buf = buffers[sock]
            buf += data
            for payload_head in _frames(buf):
                if window[0] <= now <= window[1] and payload_head.startswith(prefix):
                    end = payload_head.index(b",", len(prefix))
                    receipts.append((int(payload_head[len(prefix) : end]), now))
    for sock in buffers:
        sock.close()
    sys.stdout.write(orjson.dumps(receipts).decode())


def open_raw(url: str, token: str, n: int, sel: selectors.BaseSelector) -> dict[Any, bytearray]:
    """Open ``n`` raw WebSocket connections to ``url``, each sending a hello with ``token``;
    registered with ``sel`` for reading, each with the bytes already received after its
    handshake."""
    host, port, path = _split(url)
    hello = _masked(orjson.dumps({"type": "hello", "v": 1, "token": token}))
    buffers: dict[Any, bytearray] = {}
    for _ in range(n):
        sock = socket.create_connection((host, port))
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall(
            (
                f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(4096)
        if not head.startswith(b"HTTP/1.1 101"):
            raise SystemExit(f"handshake refused: {head[:80]!r}")
        sock.sendall(hello)
        sock.setblocking(False)
        buffers[sock] = bytearray(head.split(b"\r\n\r\n", 1)[1])
        sel.register(sock, selectors.EVENT_READ)
    return buffers


def _split(url: str) -> tuple[str, int, str]:
    rest = url.split("://", 1)[1]
    hostport, _, path = rest.partition("/")
    host, _, port = hostport.partition(":")
    return host, int(port), "/" + path


def _masked(payload: bytes) -> bytes:
    """One masked text frame (clients must mask)."""
    mask = os.urandom(4)
    n = len(payload)
    size = bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + n.to_bytes(2, "big")
    return b"\x81" + size + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def _frames(buf: bytearray) -> list[bytes]:
    """Remove complete frames from ``buf``; return the first 48 bytes of each payload."""
    out = []
    while len(buf) >= 2:
        n, i = buf[1] & 0x7F, 2
        if n == 126:
            if len(buf) < 4:
                break
            n, i = int.from_bytes(buf[2:4], "big"), 4
        elif n == 127:
            if len(buf) < 10:
                break
            n, i = int.from_bytes(buf[2:10], "big"), 10
        if len(buf) < i + n:
            break
        out.append(bytes(buf[i : i + min(n, 48)]))
        del buf[: i + n]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter windows (about 40 s)")
    parser.add_argument(
        "--clients", nargs=4, metavar=("URL", "TOKEN", "N", "SECONDS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.clients:
        url, token, n, secs = args.clients
        run_clients(url, token, int(n), float(secs))
        return
    started = time.monotonic()
    print(f"firedrill live benchmark ({os.cpu_count()} cpus, python {sys.version.split()[0]})")
    asyncio.run(part_a(args.quick))
    asyncio.run(part_b(args.quick))
    print(f"total {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
