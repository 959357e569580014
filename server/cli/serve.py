"""``firedrill serve``: the live server (FastAPI + WebSockets + SQLite) on one port."""

from __future__ import annotations

import contextlib
import copy
import logging
import os
import signal
import time
import traceback
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import click
import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.config import LOGGING_CONFIG

from ..app import create_app
from ..bus import describe as describe_bus
from ..bus import is_bus_url
from ..connections import guarded_protocol
from ..errors import CannotStart, StorageUnavailable, StoreLocked
from ..hosts import host_name
from ..settings import DEFAULT_DB, Limits, Settings
from ..stores import open_store
from ..storeurl import describe, is_postgres_url
from .listen import PublicUrl, bind, local_url, origin

ENV_DB, ENV_ORIGINS, ENV_SYNC = "FIREDRILL_DB", "FIREDRILL_ALLOW_ORIGINS", "FIREDRILL_SYNC"
ENV_PUBLIC_URL = "FIREDRILL_PUBLIC_URL"


def settings_from_env() -> Settings:
    origins = tuple(o for o in os.environ.get(ENV_ORIGINS, "").split(",") if o)
    sync: Literal["normal", "full"] = "full" if os.environ.get(ENV_SYNC) == "full" else "normal"
    return Settings(
        db=os.environ.get(ENV_DB, DEFAULT_DB),
        allowed_origins=origins,
        sync=sync,
        public_url=os.environ.get(ENV_PUBLIC_URL) or None,
    )


def app_from_env() -> Any:
    """App factory for ``--reload`` (uvicorn re-imports it in a child process)."""
    return create_app(settings_from_env())


def uvicorn_options(limits: Limits) -> dict[str, Any]:
    return {
        "ws_max_size": limits.frame_bytes,  # bigger frames: close 1009
        "ws_per_message_deflate": False,  # 2.5x CPU on fan-out for little gain on loopback/LAN
        "ws": "websockets-sansio",
        "http": guarded_protocol(limits),  # request deadline, connections per address
        "timeout_keep_alive": 5,  # an idle keep-alive connection is closed after 5 s
        "ws_ping_interval": 20.0,  # a WebSocket whose peer is gone is closed within 40 s
        "ws_ping_timeout": 20.0,
        "lifespan": "on",
        "timeout_graceful_shutdown": 5,
    }


def log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging, plus the server's own logger (recoveries, engine failures)."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["firedrill"] = {
        "handlers": ["default"],
        "level": level.upper(),
        "propagate": False,
    }
    return config


def banner(url: str, db: str, public_url: str | None) -> list[str]:
    """What ``serve`` prints once it listens: where to open it, and where join links point."""
    lines = [f"firedrill is serving {url}  (API docs {url}docs; db {db})"]
    if public_url:
        lines.append(f"join links point at {public_url}")
    return lines


class StartupGuard:
    """The app, but a start-up that cannot happen (:class:`CannotStart`) is said in one line.

    Uncaught, the framework would report it as a traceback; here the reason is kept for
    :class:`_Server` to print, and the server is told only that start-up failed.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.failure: str | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        failed: list[Message] = []

        async def held(message: Message) -> None:
            if message["type"] == "lifespan.startup.failed":
                failed.append(message)  # sent below, once we know why
            else:
                await send(message)

        try:
            await self.app(scope, receive, held)
        except CannotStart as exc:
            self.failure = str(exc)
            await send({"type": "lifespan.startup.failed", "message": ""})
            return
        for message in failed:  # any other failure: the framework's report, traceback and all
            await send(message)


class _QuietStartupFailure(logging.Filter):
    """Drops uvicorn's "Application startup failed" once our own line says why."""

    def __init__(self, guard: StartupGuard) -> None:
        super().__init__()
        self.guard = guard

    def filter(self, record: logging.LogRecord) -> bool:
        return self.guard.failure is None or "startup failed" not in record.getMessage()


class _Server(uvicorn.Server):
    def __init__(
        self, config: uvicorn.Config, guard: StartupGuard, url: str, db: str, public_url: str | None
    ) -> None:
        super().__init__(config)
        self.guard = guard
        self.url, self.db, self.public_url = url, db, public_url

    async def startup(self, sockets: Any = None) -> None:
        quiet = _QuietStartupFailure(self.guard)
        logging.getLogger("uvicorn.error").addFilter(quiet)
        try:
            await super().startup(sockets)
        except SystemExit:
            if self.guard.failure is None:
                raise
            click.echo(f"Error: {self.guard.failure}", err=True)
            raise SystemExit(1) from None
        finally:
            logging.getLogger("uvicorn.error").removeFilter(quiet)
        if self.started:
            click.echo("\n".join(banner(self.url, self.db, self.public_url)))


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to listen on; 0.0.0.0 exposes the server to your network.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="0: any free port (the one chosen is printed).",
)
@click.option(
    "--public-url",
    type=PublicUrl(),
    help="Address people reach this server at, e.g. http://192.168.1.20:8000; "
    "join links are built from it (default: the address each request came to).",
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_DB,
    show_default=True,
    help="SQLite file holding drills (created if missing).",
)
@click.option(
    "--store",
    metavar="TARGET",
    default=None,
    help="Where drills are kept: an SQLite file (as --db) or a postgresql:// URL "
    "shared by several servers. Overrides --db.",
)
@click.option(
    "--bus",
    metavar="URL",
    default=None,
    help="redis://host:6379/0: this server is one worker of several sharing a "
    "--store postgresql://... (frames fan out through it; drills are owned by lease).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes on this machine, sharing the port "
    "(more than 1 needs --store postgresql://... and --bus).",
)
@click.option(
    "--allow-origin",
    "origins",
    multiple=True,
    metavar="ORIGIN",
    help="Extra browser origin allowed to open WebSockets, e.g. http://localhost:5173.",
)
@click.option(
    "--allow-host",
    "hosts",
    multiple=True,
    metavar="NAME",
    help="Host name this server answers to besides localhost and IP addresses "
    "(the name in its URL); '*' answers to any (no DNS-rebinding guard).",
)
@click.option(
    "--connections-per-address",
    type=click.IntRange(1, 1_000_000),
    default=Limits().connections_per_address,
    show_default=True,
    help="Connections one client address may hold open (at most a quarter of the fd limit).",
)
@click.option(
    "--sync",
    type=click.Choice(["normal", "full"]),
    default="normal",
    show_default=True,
    help="full: fsync each input so acked inputs also survive a power cut.",
)
@click.option(
    "--reload/--reload-off",
    default=False,
    show_default=True,
    help="Restart on code changes (development only).",
)
@click.option(
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    default="info",
    show_default=True,
)
def serve(
    host: str,
    port: int,
    public_url: str | None,
    db: Path,
    store: str | None,
    bus: str | None,
    workers: int,
    origins: tuple[str, ...],
    hosts: tuple[str, ...],
    connections_per_address: int,
    sync: str,
    reload: bool,
    log_level: str,
) -> None:
    """Serve live drills over HTTP and WebSockets; prints the URL to open."""
    if reload and port == 0:
        raise click.UsageError("--reload needs a fixed --port (the reloader binds it anew)")
    target = store if store else str(db)
    if store is not None and not is_postgres_url(store) and "://" in store:
        raise click.BadParameter(
            "expected an SQLite file path or a postgresql:// URL, "
            f"got a {store.partition('://')[0]}:// URL",
            param_hint="--store",
        )
    shared = is_postgres_url(target)
    if bus is not None and not is_bus_url(bus):
        raise click.BadParameter(
            f"expected a redis:// URL such as redis://127.0.0.1:6379/0, got {bus!r}",
            param_hint="--bus",
        )
    if bus is not None and not shared:
        raise click.UsageError(
            "--bus needs --store postgresql://...: workers share drills through PostgreSQL, "
            "and an SQLite file belongs to one process"
        )
    if workers > 1 and not shared:
        raise click.UsageError(
            f"--workers {workers} needs --store postgresql://... (an SQLite file belongs to "
            "one process) and --bus redis://..."
        )
    if workers > 1 and bus is None:
        raise click.UsageError(
            f"--workers {workers} needs --bus redis://...: without it a client would see only "
            "the drills of the worker it reached"
        )
    if workers > 1 and reload:
        raise click.UsageError("--reload runs one process; drop --workers")
    if public_url:  # pages served from the public address open WebSockets from it
        origins = (*origins, origin(public_url))
        hosts = (*hosts, host_name(urlsplit(public_url).netloc))
    settings = Settings(
        db=target,
        allowed_origins=origins,
        allowed_hosts=hosts,
        sync=sync,  # type: ignore[arg-type]
        public_url=public_url,
        limits=Limits(connections_per_address=connections_per_address),
        bus=bus,
    )
    options = {
        **uvicorn_options(settings.limits),
        "host": host,
        "port": port,
        "log_level": log_level,
        "log_config": log_config(log_level),
    }
    # Bound here, before the app's start-up recovers drills from the store: a busy port
    # fails without touching it, and port 0 is resolved to the port actually given.
    sock = bind(host, port)
    url = local_url(*sock.getsockname()[:2])
    if reload:
        sock.close()  # the reloader binds again itself
        os.environ[ENV_DB], os.environ[ENV_SYNC] = target, sync
        os.environ[ENV_ORIGINS] = ",".join(origins)
        os.environ[ENV_PUBLIC_URL] = public_url or ""
        click.echo(f"firedrill (reloading) at {url}")
        uvicorn.run("server.cli.serve:app_from_env", factory=True, reload=True, **options)
        return
    where = describe(target) + (f", bus {describe_bus(bus)}" if bus else "")
    try:  # before any recovery: a second server on this store must not touch its drills
        opened = open_store(settings.db, settings.sync, cluster=bus is not None)
    except (StoreLocked, RuntimeError) as exc:
        sock.close()
        raise click.ClickException(str(exc)) from None
    except StorageUnavailable as exc:
        sock.close()
        raise click.ClickException(f"cannot start: {describe(target)}: {exc}") from None
    if workers == 1:
        guard = StartupGuard(create_app(settings, opened))
        config = uvicorn.Config(guard, **options)
        _Server(config, guard, url, where, public_url).run(sockets=[sock])
        return
    opened.close()  # each worker opens its own, after the fork

    def worker() -> None:
        guard = StartupGuard(create_app(settings))
        config = uvicorn.Config(guard, **options)
        _Server(config, guard, url, f"{where}, worker pid {os.getpid()}", public_url).run(
            sockets=[sock]
        )

    supervise(workers, worker)


def supervise(n: int, worker: Any) -> None:
    """Run ``worker()`` in ``n`` forked processes; start another when one dies; stop all on
    SIGTERM or SIGINT. Each worker sharing the listening socket takes its own connections.
    """
    children: dict[int, int] = {}
    stopping = False

    def spawn(i: int) -> None:
        pid = os.fork()
        if pid == 0:  # the worker: no connection of the parent's is open (they were closed)
            code = 0
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                worker()
            except BaseException:
                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        children[pid] = i

    def stop(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    for i in range(n):
        spawn(i)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        index = children.pop(pid, None)
        if index is None or stopping:  # not a worker, or being stopped
            continue
        click.echo(
            f"worker {index + 1} (pid {pid}) exited ({_how(status)}); starting another", err=True
        )
        time.sleep(1.0)  # a worker that cannot start must not spin
        if not stopping:
            spawn(index)


def _how(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}"
    return f"exit code {os.waitstatus_to_exitcode(status)}"
