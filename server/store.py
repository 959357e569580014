"""Durable storage of drills: what is needed to rebuild each one, and nothing more.

A drill is a function of (scenario, seed, inputs with their sim times), so
the store keeps exactly that, plus the tokens' digests and the last known
sim time. Events are never stored: they are rebuilt by replay (see
server/replay.py). An input is appended and committed *before* the engine
applies it and before the client is acked, so an acked input survives a
crash. :class:`Store` is the interface the server uses; :class:`SqliteStore`
(WAL, one connection, used from the event loop thread) is the default. A
PostgreSQL implementation for shared deployments implements the same
methods: :class:`~server.store_pg.PostgresStore` (``server/stores.py`` picks
one from the ``--store`` target).

Every method of a store raises :class:`~server.errors.StorageUnavailable`
(and nothing else) when the storage fails: a full disk, an I/O error, a
file-size limit, a lost database connection. A write that raised stored
nothing. One server process owns a store: :class:`SqliteStore` holds an
exclusive lock on ``<db>.lock`` for as long as it is open (PostgreSQL: an
advisory lock), so a second server on the same store refuses to start
instead of recovering (and pausing) the first one's drills.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec, Protocol, TypeVar

import orjson

from .auth import Principal
from .errors import StorageUnavailable, StoreLocked

SCHEMA_VERSION = 3  # 2: inputs.frame_id; 3: runs (additive: a new table)
SCHEMA = """
CREATE TABLE IF NOT EXISTS drills (
    id TEXT PRIMARY KEY,
    scenario TEXT NOT NULL,
    seed INTEGER NOT NULL,
    speed REAL NOT NULL,
    status TEXT NOT NULL,
    sim_time REAL NOT NULL DEFAULT 0,
    facilitator TEXT NOT NULL,
    player_code_hash TEXT NOT NULL,
    observer_code_hash TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    hash TEXT PRIMARY KEY,
    drill_id TEXT NOT NULL REFERENCES drills(id),
    role TEXT NOT NULL,
    name TEXT NOT NULL,
    incident_role TEXT,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS tokens_by_drill ON tokens(drill_id);
CREATE TABLE IF NOT EXISTS inputs (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    drill_id TEXT NOT NULL REFERENCES drills(id),
    t REAL NOT NULL,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    by TEXT,
    data BLOB NOT NULL,
    created_at REAL NOT NULL,
    frame_id TEXT  -- the sender's frame id: a re-sent frame is recognised, not applied twice
);
CREATE INDEX IF NOT EXISTS inputs_by_drill ON inputs(drill_id, n);
"""
# Run history (server/history.py): one row per player of a finished drill, with its grade.
RUNS_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    drill_id TEXT NOT NULL REFERENCES drills(id),
    player TEXT NOT NULL,
    scenario TEXT NOT NULL,
    seed INTEGER NOT NULL,
    ended_at REAL NOT NULL,
    overall INTEGER NOT NULL,
    scores BLOB NOT NULL,
    checks BLOB NOT NULL,
    PRIMARY KEY (drill_id, player)
);
CREATE INDEX IF NOT EXISTS runs_by_scenario ON runs(scenario, player, ended_at);
"""


@dataclass(frozen=True, slots=True)
class DrillRecord:
    id: str
    scenario: str
    seed: int
    speed: float
    status: str
    sim_time: float
    facilitator: str
    player_code_hash: str
    observer_code_hash: str
    created_at: float


@dataclass(frozen=True, slots=True)
class StoredInput:
    n: int
    t: float
    actor: str
    role: str
    by: str | None
    data: dict[str, Any]
    frame_id: str | None = None

    @property
    def sender(self) -> str:
        """Who sent it: the actor, or the facilitator who acted on the actor's behalf."""
        return self.by or self.actor


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One player's finished attempt, as the store keeps it."""

    drill_id: str
    scenario: str
    player: str
    seed: int
    ended_at: float  # wall time the run was recorded (drills keep no end time)
    overall: int
    scores: dict[str, int]
    checks: dict[str, float]  # check id -> points won

    def public(self) -> dict[str, Any]:
        return {
            "drill_id": self.drill_id,
            "scenario": self.scenario,
            "player": self.player,
            "seed": self.seed,
            "ended_at": self.ended_at,
            "overall": self.overall,
            "scores": self.scores,
        }


class Store(Protocol):
    """What the server needs of durable storage; failures raise StorageUnavailable only."""

    def create_drill(self, record: DrillRecord, facilitator_token_hash: str) -> None: ...
    def drill(self, drill_id: str) -> DrillRecord | None: ...
    def drills(self, statuses: tuple[str, ...]) -> list[DrillRecord]: ...
    def update_drill(self, drill_id: str, **fields: Any) -> None: ...
    def add_token(self, token_hash: str, who: Principal) -> None: ...
    def principal(self, token_hash: str) -> Principal | None: ...
    def participants(self, drill_id: str) -> list[Principal]: ...
    def append_input(
        self,
        drill_id: str,
        t: float,
        actor: str,
        role: str,
        by: str | None,
        data: dict[str, Any],
        frame_id: str | None = None,
    ) -> int: ...
    def drop_input(self, n: int) -> None: ...
    def inputs(self, drill_id: str) -> list[StoredInput]: ...
    def save_runs(self, runs: list[RunRecord]) -> None: ...
    def runs(self, scenario: str, player: str | None = None) -> list[RunRecord]: ...
    def has_runs(self, drill_id: str) -> bool: ...
    def close(self) -> None: ...


DRILL_FIELDS = {"speed", "status", "sim_time", "player_code_hash", "observer_code_hash"}
P = ParamSpec("P")
R = TypeVar("R")


def storage_errors(
    *failures: type[Exception],
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Report a driver's failures (disk full, I/O error, lost connection, ...) as
    :class:`StorageUnavailable`, the one failure every store raises."""

    def decorate(method: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(method)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return method(*args, **kwargs)
            except failures as exc:
                raise StorageUnavailable(f"the drill store cannot be used ({exc})") from exc

        return guarded

    return decorate


_storage = storage_errors(sqlite3.Error)


class StoreLock:
    """An exclusive, advisory lock on ``<db>.lock``, released when the process ends.

    ``flock`` locks die with the process (even on SIGKILL), so a crash never
    leaves a stale lock behind; the file keeps the holder's pid for the message.
    """

    def __init__(self, db: str | Path) -> None:
        self.path = Path(f"{db}.lock")
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise StoreLocked(
                f"{db} is in use by another firedrill server (pid {holder}); "
                "stop that server first, or give this one its own --db"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self.fd: int | None = fd

    def release(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)  # closing the descriptor releases the lock
            self.fd = None


class SqliteStore:
    """The embedded default: one SQLite file in WAL mode, locked to this process."""

    def __init__(self, path: str | Path, sync: str = "normal", lock: bool = True) -> None:
        self.lock: StoreLock | None = None
        if str(path) != ":memory:":
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                if lock:
                    self.lock = StoreLock(path)
            except OSError as exc:  # a read-only or missing file system, no permission
                raise StorageUnavailable(f"the drill store cannot be used ({exc})") from exc
        try:
            self._open(path, sync)
        except BaseException:
            if getattr(self, "db", None) is not None:
                self.db.close()
            if self.lock is not None:
                self.lock.release()
            raise

    @_storage
    def _open(self, path: str | Path, sync: str) -> None:
        """Connect, set the pragmas and bring the schema up to date."""
        # autocommit mode: each statement below is its own transaction, committed on return
        self.db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(f"PRAGMA synchronous={'FULL' if sync == 'full' else 'NORMAL'}")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.execute("PRAGMA busy_timeout=5000")
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, 1, 2, SCHEMA_VERSION):
            raise RuntimeError(
                f"{path}: database schema version {version}; this firedrill reads {SCHEMA_VERSION}"
            )
        if version == 1:  # the one migration so far: remember frame ids
            self.db.execute("ALTER TABLE inputs ADD COLUMN frame_id TEXT")
        self.db.executescript(SCHEMA)
        self.db.executescript(RUNS_SCHEMA)  # 2 -> 3
        self.db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    # ------------------------------------------------------------- drills
    @_storage
    def create_drill(self, record: DrillRecord, facilitator_token_hash: str) -> None:
        r = record
        with self._tx():
            self.db.execute(
                "INSERT INTO drills VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    r.id,
                    r.scenario,
                    r.seed,
                    r.speed,
                    r.status,
                    r.sim_time,
                    r.facilitator,
                    r.player_code_hash,
                    r.observer_code_hash,
                    r.created_at,
                    r.created_at,
                ),
            )
            self.db.execute(
                "INSERT INTO tokens VALUES (?,?,?,?,?,?)",
                (facilitator_token_hash, r.id, "facilitator", r.facilitator, None, time.time()),
            )

    @_storage
    def drill(self, drill_id: str) -> DrillRecord | None:
        row = self.db.execute(_SELECT_DRILL + " WHERE id = ?", (drill_id,)).fetchone()
        return DrillRecord(*row) if row else None

    @_storage
    def drills(self, statuses: tuple[str, ...]) -> list[DrillRecord]:
        marks = ",".join("?" * len(statuses))
        rows = self.db.execute(
            _SELECT_DRILL + f" WHERE status IN ({marks}) ORDER BY created_at", statuses
        ).fetchall()
        return [DrillRecord(*row) for row in rows]

    @_storage
    def update_drill(self, drill_id: str, **fields: Any) -> None:
        unknown = set(fields) - DRILL_FIELDS
        if unknown:
            raise ValueError(f"cannot update drill fields {sorted(unknown)}")
        sets = ", ".join(f"{k} = ?" for k in fields)
        self.db.execute(
            f"UPDATE drills SET {sets}, updated_at = ? WHERE id = ?",
            (*fields.values(), time.time(), drill_id),
        )

    # ------------------------------------------------------------- tokens
    @_storage
    def add_token(self, token_hash: str, who: Principal) -> None:
        self.db.execute(
            "INSERT INTO tokens VALUES (?,?,?,?,?,?)",
            (token_hash, who.drill_id, who.role, who.name, who.incident_role, time.time()),
        )

    @_storage
    def principal(self, token_hash: str) -> Principal | None:
        row = self.db.execute(
            "SELECT drill_id, role, name, incident_role FROM tokens WHERE hash = ?",
            (token_hash,),
        ).fetchone()
        return Principal(*row) if row else None

    @_storage
    def participants(self, drill_id: str) -> list[Principal]:
        rows = self.db.execute(
            "SELECT drill_id, role, name, incident_role FROM tokens WHERE drill_id = ? "
            "ORDER BY created_at, rowid",
            (drill_id,),
        ).fetchall()
        return [Principal(*row) for row in rows]

    # ------------------------------------------------------------- inputs
    @_storage
    def append_input(
        self,
        drill_id: str,
        t: float,
        actor: str,
        role: str,
        by: str | None,
        data: dict[str, Any],
        frame_id: str | None = None,
    ) -> int:
        cur = self.db.execute(
            "INSERT INTO inputs (drill_id, t, actor, role, by, data, created_at, frame_id) "
            "VALUES (?,?,?,?,?,?,?,?)",
            (drill_id, t, actor, role, by, orjson.dumps(data), time.time(), frame_id),
        )
        return int(cur.lastrowid or 0)

    @_storage
    def drop_input(self, n: int) -> None:
        """Remove an input the engine refused (replay would skip it anyway)."""
        self.db.execute("DELETE FROM inputs WHERE n = ?", (n,))

    @_storage
    def inputs(self, drill_id: str) -> list[StoredInput]:
        rows = self.db.execute(
            "SELECT n, t, actor, role, by, data, frame_id FROM inputs WHERE drill_id = ? "
            "ORDER BY n",
            (drill_id,),
        ).fetchall()
        return [StoredInput(n, t, a, r, b, orjson.loads(d), f) for n, t, a, r, b, d, f in rows]

    # --------------------------------------------------------------- runs
    @_storage
    def save_runs(self, runs: list[RunRecord]) -> None:
        with self._tx():
            for r in runs:
                self.db.execute(
                    "INSERT OR IGNORE INTO runs VALUES (?,?,?,?,?,?,?,?)",
                    (
                        r.drill_id,
                        r.player,
                        r.scenario,
                        r.seed,
                        r.ended_at,
                        r.overall,
                        orjson.dumps(r.scores),
                        orjson.dumps(r.checks),
                    ),
                )

    @_storage
    def runs(self, scenario: str, player: str | None = None) -> list[RunRecord]:
        """Finished runs of a scenario, oldest first (one player's, or everyone's)."""
        where, args = ("scenario = ?", [scenario])
        if player is not None:
            where, args = ("scenario = ? AND player = ?", [scenario, player])
        rows = self.db.execute(
            "SELECT drill_id, scenario, player, seed, ended_at, overall, scores, checks "
            f"FROM runs WHERE {where} ORDER BY ended_at, drill_id",
            args,
        ).fetchall()
        return [
            RunRecord(r[0], r[1], r[2], r[3], r[4], r[5], orjson.loads(r[6]), orjson.loads(r[7]))
            for r in rows
        ]

    @_storage
    def has_runs(self, drill_id: str) -> bool:
        q = "SELECT 1 FROM runs WHERE drill_id = ? LIMIT 1"
        return self.db.execute(q, (drill_id,)).fetchone() is not None

    def close(self) -> None:
        self.db.close()
        if self.lock is not None:
            self.lock.release()

    def _tx(self) -> _Transaction:
        return _Transaction(self.db)


_SELECT_DRILL = (
    "SELECT id, scenario, seed, speed, status, sim_time, facilitator, player_code_hash, "
    "observer_code_hash, created_at FROM drills"
)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN")

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")
