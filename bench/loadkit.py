"""Sustained load on a live firedrill server, proving it keeps working and loses nothing.

:func:`run_load` plays rounds of D drills with C WebSocket clients each (one
facilitator, about half players, the rest observers) against a server in a
child process (:class:`ServerProcess`). Each round: create and join over
REST, connect, start every drill at the configured speed, let players send
jittered inputs (chat and real actions), observers ping and the facilitator
note, drop and resume some connections with ``last_seq``, then end every
drill. Every client (bench/loadclient.py) checks every frame as it arrives
(parses, ``v``, one reply per request, strictly increasing seqs, its view
only, the resume catch-up) and finally compares what it received with the
log export for its token. Anything off is counted in :attr:`Tally.faults`; the test and the CLI
want none.

Memory: ended drills stay in a bounded cache (``Settings.ended_cache``), so
round 1 is a warm-up that first plays a wave of that many drills to fill it
(:attr:`LoadConfig.cache_fill`), then a normal wave; its end is the
baseline, and every later round must come back to it within
:attr:`LoadConfig.rss_tolerance` (a share) plus :attr:`LoadConfig.rss_slack_mib`.
A drill pushed out of the cache is a web of reference cycles (the engine's
drill and its SimPy callbacks, the session and its pacer) that only a full
collection frees; the server runs one shortly after evicting drills, then
hands the freed heap back to the OS (``Drills._collect_soon``). Without
that, evicted drills waited for CPython's rare full collections (RSS crept
by about 0.3 MiB per evicted 8 s drill before falling flat) and glibc kept
the heap at each round's peak (RSS after a 60 s round of 50 drills moved by
up to 10% while the live set measured inside the server stayed flat).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
import orjson
import psycopg
from psycopg import sql

from .loadclient import LoadClient, LoadConfig, MiB, Step, Tally, canonical, plan

__all__ = [
    "SCENARIO",
    "LoadConfig",
    "LoadReport",
    "MiB",
    "RoundResult",
    "ServerProcess",
    "Tally",
    "run_load",
    "run_with_server",
]
SCENARIO = "checkout-deploy-500s"
END_TIMEOUT = 30.0


# ------------------------------------------------------------------ server
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """``firedrill serve`` on a free loopback port with a temporary database.

    Like tests/server/drillkit.py's ``Process``, but its output goes to a
    file: a pipe nobody reads would block a server that logs a lot under load.
    With ``store`` (a postgresql:// URL) it runs on a fresh schema of that
    database, dropped at the end, with ``bus`` and ``workers`` passed on.
    """

    def __init__(
        self, workdir: Path, store: str | None = None, bus: str | None = None, workers: int = 1
    ) -> None:
        self.workdir = workdir
        self.store, self.bus, self.workers = store, bus, workers
        self.schema: str | None = None
        self.port = free_port()
        self.http = f"http://127.0.0.1:{self.port}"
        self.ws = f"ws://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self._out: IO[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def _where(self) -> list[str]:
        """The serve options naming the store (a fresh schema of a PostgreSQL one), bus, workers."""
        if self.store is None:
            return ["--db", str(self.workdir / "load.db")]
        self.schema = f"firedrill_load_{os.getpid()}_{self.port}"
        with psycopg.connect(self.store, autocommit=True) as db:
            db.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(self.schema)))
        sep = "&" if "?" in self.store else "?"
        args = ["--store", f"{self.store}{sep}schema={self.schema}"]
        args += ["--bus", self.bus] if self.bus else []
        return [*args, "--workers", str(self.workers)]

    def start(self) -> None:
        exe = Path(sys.executable).parent / "firedrill"
        self._out = open(self.workdir / "server.log", "wb")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [
                str(exe),
                "serve",
                "--port",
                str(self.port),
                *self._where(),
                "--log-level",
                "warning",
                "--connections-per-address",  # every load client comes from 127.0.0.1
                "100000",
            ],
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while not self._healthy():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"firedrill serve did not start: {self.output()}")
            time.sleep(0.05)

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.http}/api/health", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def output(self) -> str:
        """What the server printed (its banner, then any warnings or tracebacks)."""
        path = self.workdir / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
        if self._out is not None:
            self._out.close()
            self._out = None
        if self.schema is not None and self.store is not None:
            with psycopg.connect(self.store, autocommit=True) as db:
                db.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(self.schema)))
            self.schema = None

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def tree(pid: int) -> list[int]:
    """``pid`` and its descendants still running (workers, the grading process)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo += [int(c) for c in task.read_text().split()]
    return out


def rss(pid: int) -> int:
    """Resident set size in bytes (VmRSS) of the process and its descendants."""
    total = 0
    for p in tree(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
    if not total:
        raise RuntimeError(f"no VmRSS for pid {pid}")
    return total


def cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of the process, its descendants and the children they
    reaped (a grading process ends with the worker that started it)."""
    total = 0
    for p in tree(pid):
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{p}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()  # the name may contain spaces
            total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return total / os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------ one drill
@dataclass
class DrillRun:
    """One drill of a round: its clients (the facilitator first) and what each will do."""

    id: str
    clients: list[LoadClient]
    plans: dict[str, list[Step]] = field(default_factory=dict)

    @property
    def facilitator(self) -> LoadClient:
        return self.clients[0]


class Rest:
    """REST calls that count every unexpected status or transport error as a fault."""

    def __init__(self, client: httpx.AsyncClient, tally: Tally) -> None:
        self.client, self.tally = client, tally

    async def call(
        self, method: str, path: str, status: int = 200, **kw: Any
    ) -> httpx.Response | None:
        try:
            r = await self.client.request(method, path, **kw)
        except httpx.HTTPError as exc:
            self.tally.fault("http", f"{method} {path}: {exc!r}")
            return None
        if r.status_code != status:
            self.tally.fault("http", f"{method} {path}: {r.status_code} {r.text[:200]}")
            return None
        return r


async def setup_drill(rest: Rest, ws: str, cfg: LoadConfig, rng: random.Random) -> DrillRun | None:
    """Create a drill, join everyone, plan what each will do, connect everyone."""
    r = await rest.call(
        "POST",
        "/api/drills",
        201,
        json={"scenario": SCENARIO, "seed": rng.randrange(1 << 30), "speed": cfg.speed},
    )
    if r is None:
        return None
    body = r.json()
    did, tally = body["drill_id"], rest.tally
    run = DrillRun(
        did, [LoadClient(ws, did, body["facilitator_token"], "facilitator", "facilitator", tally)]
    )
    people = [("player", f"p{i}", body["player_code"]) for i in range(1, cfg.players + 1)]
    people += [("observer", f"o{i}", body["observer_code"]) for i in range(1, cfg.observers + 1)]
    for role, name, code in people:
        j = await rest.call(
            "POST", f"/api/drills/{did}/join", 201, json={"code": code, "name": name}
        )
        if j is not None:
            run.clients.append(LoadClient(ws, did, j.json()["token"], role, name, tally))
    n = len(run.clients)
    droppers = set(rng.sample(range(n), round(cfg.reconnect_share * n)))
    tally.drops += len(droppers)
    for i, c in enumerate(run.clients):
        run.plans[c.name] = plan(c.role, rng, cfg, i in droppers)
    for c in run.clients:
        await c.connect()
    return run


async def act(client: LoadClient, steps: list[Step], start: float, stop: asyncio.Event) -> None:
    """Walk a client's agenda until the drill's time is up."""
    loop = asyncio.get_running_loop()
    try:
        await asyncio.wait_for(client.running.wait(), END_TIMEOUT)
    except TimeoutError:
        client.fault("no_start", "never saw the drill running")
        return
    for i, step in enumerate(steps):
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max(0.0, start + step.at - loop.time()))
        if stop.is_set() or client.ws is None:
            client.tally.skipped += len(steps) - i
            return
        if step.kind == "drop":
            await client.drop(step.abort, step.pause)
        else:
            assert step.frame is not None
            await client.request(step.frame, step.expect)


async def finish(run: DrillRun, rest: Rest, ended: list[DrillRun]) -> None:
    """End the drill; every client must see the end; then everyone leaves."""
    fac = run.facilitator
    reply = await fac.request({"type": "control", "action": "end", "reason": "load test"})
    if reply is None or reply["type"] != "ack":  # already a fault; still end it over REST
        await rest.call(
            "POST",
            f"/api/drills/{run.id}/control",
            json={"action": "end"},
            headers={"Authorization": f"Bearer {fac.token}"},
        )
    ended.append(run)
    for c in run.clients:
        try:
            if c.ws is not None:
                await asyncio.wait_for(c.ended.wait(), END_TIMEOUT)
        except TimeoutError:
            c.fault("no_end", f"never saw the drill end (last seq {c.last_seq})")
    await asyncio.gather(*(c.close() for c in run.clients))


async def verify(rest: Rest, client: LoadClient) -> None:
    """What the client received must be exactly its view of the log."""
    if client.ws is None:
        return  # its socket could not be (re)opened: counted as a fault already
    r = await rest.call(
        "GET",
        f"/api/drills/{client.drill_id}/log",
        headers={"Authorization": f"Bearer {client.token}"},
    )
    if r is None:
        return
    items = [orjson.loads(line) for line in r.content.splitlines()]
    want = {e["seq"]: canonical(e) for e in items}
    client.tally.checked += len(want)
    if list(want) != sorted(want) or len(want) != len(items):
        client.fault("export", "the log export's seqs are not strictly increasing")
    got = dict(zip(client.seqs, client.digests, strict=True))
    lost = [s for s in want if s not in got]
    extra = [s for s in got if s not in want]
    differ = [s for s in got if s in want and got[s] != want[s]]
    if lost:
        client.fault("lost", f"{len(lost)} events never arrived, seqs {lost[:8]}", len(lost))
    if extra:
        client.fault("extra", f"events not in the log export: {extra[:8]}", len(extra))
    if differ:
        client.fault("differ", f"events differing from the export: {differ[:8]}", len(differ))


# ------------------------------------------------------------------ rounds
@dataclass
class RoundResult:
    index: int
    drills: int
    clients: int
    tally: Tally
    seconds: float = 0.0  # wall seconds of the load phase (start to stop)
    frames: int = 0  # frames and events delivered during the load phase
    events: int = 0
    cpu: float = 0.0  # server CPU seconds during the load phase
    driver_cpu: float = 0.0  # this process's CPU seconds, same window (is the driver the limit?)
    rss_before: int = 0
    rss_peak: int = 0
    rss_after: int = 0
    tick_p50: float | None = None
    tick_p99: float | None = None

    @property
    def cpu_pct(self) -> float:
        return 100 * self.cpu / self.seconds if self.seconds else 0.0

    @property
    def driver_cpu_pct(self) -> float:
        return 100 * self.driver_cpu / self.seconds if self.seconds else 0.0

    def reply_ms(self, q: float) -> float | None:
        """Request -> reply latency at quantile ``q``, in ms."""
        lat = sorted(self.tally.latency)
        return lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else None


class RssWatch:
    """Samples the server's RSS in the background; keeps the peak."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = rss(pid)
        self._task = asyncio.create_task(self._sample())

    async def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, rss(self.pid))
            await asyncio.sleep(0.2)

    async def stop(self) -> int:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self.peak = max(self.peak, rss(self.pid))
        return self.peak


async def bounded(n: int, coros: Iterable[Any]) -> list[Any]:
    """Run coroutines with at most ``n`` at a time (sockets and the server's backlog)."""
    sem = asyncio.Semaphore(n)

    async def one(c: Any) -> Any:
        async with sem:
            return await c

    return await asyncio.gather(*(one(c) for c in coros))


async def play_round(index: int, server: ServerProcess, cfg: LoadConfig) -> RoundResult:
    """One round: a wave of ``cfg.drills`` drills (the warm-up first plays a cache fill)."""
    waves = [cfg.cache_fill, cfg.drills] if index == 1 else [cfg.drills]
    drills = sum(waves)
    result = RoundResult(index, drills, drills * cfg.clients, Tally(), rss_before=rss(server.pid))
    watch = RssWatch(server.pid)
    async with httpx.AsyncClient(base_url=server.http, timeout=60) as http:
        rest = Rest(http, result.tally)
        for wave, n in enumerate(waves):
            rngs = [random.Random(f"{cfg.seed}/{index}/{wave}/{i}") for i in range(n)]
            await play_wave(rngs, server, cfg, result, rest)
    result.rss_peak = await watch.stop()
    result.rss_after = rss(server.pid)
    return result


async def play_wave(
    rngs: list[random.Random],
    server: ServerProcess,
    cfg: LoadConfig,
    result: RoundResult,
    rest: Rest,
) -> None:
    """Set up one drill per RNG, play them all at once, end them, check every client."""
    made = await bounded(16, (setup_drill(rest, server.ws, cfg, rng) for rng in rngs))
    runs: list[DrillRun] = [r for r in made if r is not None]
    await load_phase(runs, server, cfg, result, rest)
    ended: list[DrillRun] = []
    await asyncio.gather(*(finish(r, rest, ended) for r in runs))
    # Newest first: those are still in the server's ended-drill cache; the others are
    # rebuilt from the store (each evicting one already checked), as a late reader's would be.
    await bounded(8, (verify(rest, c) for r in reversed(ended) for c in r.clients))
    await asyncio.sleep(cfg.settle)
    await check_idle(rest)


async def load_phase(
    runs: list[DrillRun], server: ServerProcess, cfg: LoadConfig, result: RoundResult, rest: Rest
) -> None:
    """Start every drill, let everyone act for ``cfg.seconds``, then stop them."""
    loop = asyncio.get_running_loop()
    tally = result.tally
    frames, events, t0 = tally.frames, tally.events, loop.time()
    cpu0, mine0 = cpu_seconds(server.pid), time.process_time()
    await asyncio.gather(
        *(r.facilitator.request({"type": "control", "action": "start"}) for r in runs)
    )
    stop, started = asyncio.Event(), loop.time()
    agenda = asyncio.gather(
        *(act(c, r.plans[c.name], started, stop) for r in runs for c in r.clients)
    )
    await asyncio.sleep(cfg.seconds)
    result.tick_p50, result.tick_p99 = await worst_lateness(rest, cfg.workers)
    stop.set()
    await agenda
    result.seconds += loop.time() - t0  # the warm-up's two waves add up
    result.cpu += cpu_seconds(server.pid) - cpu0
    result.driver_cpu += time.process_time() - mine0
    result.frames += tally.frames - frames
    result.events += tally.events - events


async def worst_lateness(rest: Rest, workers: int) -> tuple[float | None, float | None]:
    """Tick lateness p50 and p99 (ms) of the worker where they are worst: /api/health asked
    on fresh connections until every worker has answered (each reports its own ticks)."""
    seen: dict[int, dict[str, float | None]] = {}
    for _ in range(20 * workers):
        health = await rest.call("GET", "/api/health", headers={"Connection": "close"})
        if health is not None:
            body = health.json()
            seen[body["worker"]] = body["tick_lateness"]
        if len(seen) >= workers:
            break
    if len(seen) < workers:
        rest.tally.fault("workers", f"only {len(seen)} of {workers} workers answered /api/health")
    p50s = [v["p50_ms"] for v in seen.values() if v["p50_ms"] is not None]
    p99s = [v["p99_ms"] for v in seen.values() if v["p99_ms"] is not None]
    return (max(p50s) if p50s else None), (max(p99s) if p99s else None)


async def check_idle(rest: Rest) -> None:
    """After a round no drill is live and no client is counted (nothing left behind)."""
    r = await rest.call("GET", "/api/health")
    if r is not None:
        body = r.json()
        if body["drills"]["live"] or body["clients"]:
            rest.tally.fault("leftover", f"after the round: {body}")


# ------------------------------------------------------------------ the run
@dataclass
class LoadReport:
    config: LoadConfig
    rounds: list[RoundResult]
    server_output: str = ""

    @property
    def baseline(self) -> int:
        return self.rounds[0].rss_after

    @property
    def rss_limit(self) -> int:
        return int(
            self.baseline * (1 + self.config.rss_tolerance) + self.config.rss_slack_mib * MiB
        )

    def memory_ok(self, r: RoundResult) -> bool:
        return r.index == 1 or r.rss_after <= self.rss_limit

    @property
    def faults(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for r in self.rounds:
            total.update(r.tally.faults)
        return total

    def problems(self) -> list[str]:
        """Why the run failed (empty: it passed)."""
        out = [
            f"{k}: {n} (e.g. {ex})"
            for r in self.rounds
            for k, n in r.tally.faults.items()
            for ex in [r.tally.examples[k]]
        ]
        out += [
            f"round {r.index}: RSS after {r.rss_after / MiB:.1f} MiB > limit "
            f"{self.rss_limit / MiB:.1f} MiB"
            for r in self.rounds
            if not self.memory_ok(r)
        ]
        out += [
            f"round {r.index}: {r.tally.inputs - r.tally.acked} inputs not acked"
            for r in self.rounds
            if r.tally.acked != r.tally.inputs
        ]
        if self.server_output.strip():
            out.append("the server logged:\n" + self.server_output[-2000:])
        return out


async def run_load(
    server: ServerProcess, cfg: LoadConfig, progress: Callable[[RoundResult], None] | None = None
) -> LoadReport:
    """Play ``cfg.rounds`` rounds against a running server (the first is the warm-up)."""
    report = LoadReport(cfg, [])
    for index in range(1, cfg.rounds + 1):
        result = await play_round(index, server, cfg)
        report.rounds.append(result)
        if progress is not None:
            progress(result)
    banner, _, rest = server.output().partition("\n")
    report.server_output = rest if banner.startswith("firedrill is serving") else banner + rest
    return report


def run_with_server(
    cfg: LoadConfig, progress: Callable[[RoundResult], None] | None = None
) -> LoadReport:
    """Start a server in a temporary directory, load it, stop it."""
    with (
        tempfile.TemporaryDirectory(prefix="firedrill-load-") as tmp,
        ServerProcess(Path(tmp), cfg.store, cfg.bus, cfg.workers) as server,
    ):
        return asyncio.run(run_load(server, cfg, progress))
