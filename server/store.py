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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec, Protocol, TypeVar

import orjson

from .auth import Principal
from .errors import StorageUnavailable, StoreLocked

# 2: inputs.frame_id; 3: runs (a new table); 4: drills.cohort and .graded_at, runs.cohort
SCHEMA_VERSION = 4
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
    updated_at REAL NOT NULL,
    cohort TEXT,  -- the group the drill's players train in (server/history.py)
    graded_at REAL  -- when its runs were recorded; NULL: not yet (ended drills get graded)
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
    cohort TEXT,
    PRIMARY KEY (drill_id, player)
);
CREATE INDEX IF NOT EXISTS runs_by_scenario ON runs(scenario, player, ended_at);
"""
# 3 -> 4, before the CREATE ... IF NOT EXISTS above (which leave existing tables alone)
COHORT_MIGRATION = (("drills", "cohort TEXT"), ("drills", "graded_at REAL"))
RUNS_COHORT_MIGRATION = ("runs", "cohort TEXT")
DRILL_COLUMNS = (
    "id, scenario, seed, speed, status, sim_time, facilitator, player_code_hash, "
    "observer_code_hash, created_at, updated_at, cohort"
)
RUN_COLUMNS = "drill_id, player, scenario, seed, ended_at, overall, scores, checks, cohort"


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
    cohort: str | None = None  # the group whose history this drill's runs join


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
    cohort: str | None = None  # the drill's cohort

    def public(self) -> dict[str, Any]:
        """The run as GET /history shows it (RunInfo)."""
        return {
            "drill_id": self.drill_id,
            "scenario": self.scenario,
            "player": self.player,
            "cohort": self.cohort,
            "seed": self.seed,
            "ended_at": self.ended_at,
            "overall": self.overall,
            "scores": self.scores,
        }

    def row(self) -> tuple[Any, ...]:
        """The values of RUN_COLUMNS, in order."""
        return (
            self.drill_id,
            self.player,
            self.scenario,
            self.seed,
            self.ended_at,
            self.overall,
            orjson.dumps(self.scores),
            orjson.dumps(self.checks),
            self.cohort,
        )

    @classmethod
    def of_row(cls, r: Sequence[Any]) -> RunRecord:
        """A run from the values of RUN_COLUMNS (blobs as bytes or memoryview)."""
        return cls(r[0], r[2], r[1], int(r[3]), r[4], r[5], _json(r[6]), _json(r[7]), r[8])


@dataclass(frozen=True, slots=True)
class RunQuery:
    """Which runs to read: a scenario's, narrowed by each filter given."""

    scenario: str
    player: str | None = None
    cohort: str | None = None
    drill_id: str | None = None

    def where(self, mark: str) -> tuple[str, list[Any]]:
        """An SQL condition over RUN_COLUMNS with ``mark`` placeholders, and its values."""
        given = [
            (column, value)
            for column, value in (
                ("scenario", self.scenario),
                ("player", self.player),
                ("cohort", self.cohort),
                ("drill_id", self.drill_id),
            )
            if value is not None
        ]
        return " AND ".join(f"{c} = {mark}" for c, _ in given), [v for _, v in given]


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
    def save_runs(self, drill_id: str, runs: list[RunRecord]) -> None: ...
    def runs(self, query: RunQuery) -> list[RunRecord]: ...
    def ungraded(self) -> list[DrillRecord]: ...
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
        if version not in (0, 1, 2, 3, SCHEMA_VERSION):
            raise RuntimeError(
                f"{path}: database schema version {version}; this firedrill reads {SCHEMA_VERSION}"
            )
        with self._tx():  # all of a migration or none of it
            if version == 1:  # 1 -> 2: remember frame ids
                self.db.execute("ALTER TABLE inputs ADD COLUMN frame_id TEXT")
            if 1 <= version <= 3:  # 3 -> 4: cohorts, and which ended drills are graded
                for table, column in COHORT_MIGRATION:
                    self._add_column(table, column)
            if version == 3:  # runs were recorded lazily: a drill with runs was graded
                self._add_column(*RUNS_COHORT_MIGRATION)
                self.db.execute(
                    "UPDATE drills SET graded_at = updated_at "
                    "WHERE id IN (SELECT drill_id FROM runs)"
                )
            for statement in _statements(SCHEMA + RUNS_SCHEMA):
                self.db.execute(statement)
            self.db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def _add_column(self, table: str, column: str) -> None:
        """ALTER TABLE ... ADD COLUMN, unless the table has it already."""
        have = {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}
        if column.split()[0] not in have:
            self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column}")

    # ------------------------------------------------------------- drills
    @_storage
    def create_drill(self, record: DrillRecord, facilitator_token_hash: str) -> None:
        r = record
        with self._tx():
            self.db.execute(
                f"INSERT INTO drills ({DRILL_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
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
                    r.cohort,
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
    def save_runs(self, drill_id: str, runs: list[RunRecord]) -> None:
        """Record an ended drill's runs (none: it had no players) and mark it graded,
        in one transaction; a drill is recorded once, however often this is called."""
        with self._tx():
            for r in runs:
                self.db.execute(
                    f"INSERT OR IGNORE INTO runs ({RUN_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)",
                    r.row(),
                )
            self.db.execute(
                "UPDATE drills SET graded_at = ? WHERE id = ? AND graded_at IS NULL",
                (time.time(), drill_id),
            )

    @_storage
    def runs(self, query: RunQuery) -> list[RunRecord]:
        """Finished runs, oldest first (see RunQuery)."""
        where, args = query.where("?")
        rows = self.db.execute(
            f"SELECT {RUN_COLUMNS} FROM runs WHERE {where} ORDER BY ended_at, drill_id, player",
            args,
        ).fetchall()
        return [RunRecord.of_row(r) for r in rows]

    @_storage
    def ungraded(self) -> list[DrillRecord]:
        """Ended drills whose runs are not recorded yet, oldest first."""
        rows = self.db.execute(
            _SELECT_DRILL + " WHERE status = 'ended' AND graded_at IS NULL ORDER BY created_at"
        ).fetchall()
        return [DrillRecord(*row) for row in rows]

    def close(self) -> None:
        self.db.close()
        if self.lock is not None:
            self.lock.release()

    def _tx(self) -> _Transaction:
        return _Transaction(self.db)


_SELECT_DRILL = (
    "SELECT id, scenario, seed, speed, status, sim_time, facilitator, player_code_hash, "
    "observer_code_hash, created_at, cohort FROM drills"
)


def _json(blob: Any) -> Any:
    """A JSON column's value: bytes or text (SQLite), or a memoryview (PostgreSQL)."""
    return orjson.loads(blob if isinstance(blob, bytes | str) else bytes(blob))


def _statements(script: str) -> list[str]:
    """The statements of a schema script, to run inside a transaction (executescript
    would commit first)."""
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN")

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")
