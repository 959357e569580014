"""PostgreSQL behind the same :class:`~server.store.Store` interface as SQLite.

For deployments that outgrow one machine: several workers share one log. The
durability promise is SQLite's: each write is its own committed transaction
(autocommit) before the call returns, so an input is committed before the engine
applies it and before the client is acked.

Schema changes are versioned migrations (:data:`MIGRATIONS`), applied in order
inside one transaction under an advisory lock, so two workers starting at once
never race. A database written by a newer firedrill is refused, not guessed at.

``--sync`` keeps SQLite's meaning: ``normal`` sets ``synchronous_commit = off``
for the store's session (an acked input survives a crash of firedrill, and is
visible to a worker taking over at once; a crash of the database server itself
may lose the last fraction of a second), ``full`` waits for the WAL flush
(``on``). The connection is synchronous (psycopg 3), like SQLite's: one round trip on
loopback or a LAN costs about what SQLite's WAL append does, and it keeps the
store interface, and so the server, the same for both.
"""

from __future__ import annotations

import re
import time
import zlib
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson
import psycopg
from psycopg import sql

from .auth import Principal
from .errors import StoreLocked
from .store import (
    DRILL_COLUMNS,
    DRILL_FIELDS,
    RUN_COLUMNS,
    DrillRecord,
    RunQuery,
    RunRecord,
    StoredInput,
    storage_errors,
)
from .storeurl import describe


@dataclass(frozen=True, slots=True)
class Migration:
    """One step of the schema: applied once, in order, never edited after release."""

    version: int
    what: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "drills, tokens and inputs (SQLite schema 2)",
        """
        CREATE TABLE drills (
            id TEXT PRIMARY KEY,
            scenario TEXT NOT NULL,
            seed BIGINT NOT NULL,
            speed DOUBLE PRECISION NOT NULL,
            status TEXT NOT NULL,
            sim_time DOUBLE PRECISION NOT NULL DEFAULT 0,
            facilitator TEXT NOT NULL,
            player_code_hash TEXT NOT NULL,
            observer_code_hash TEXT NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            updated_at DOUBLE PRECISION NOT NULL
        );
        CREATE TABLE tokens (
            n BIGSERIAL UNIQUE,
            hash TEXT PRIMARY KEY,
            drill_id TEXT NOT NULL REFERENCES drills(id),
            role TEXT NOT NULL,
            name TEXT NOT NULL,
            incident_role TEXT,
            created_at DOUBLE PRECISION NOT NULL
        );
        CREATE INDEX tokens_by_drill ON tokens(drill_id);
        CREATE TABLE inputs (
            n BIGSERIAL PRIMARY KEY,
            drill_id TEXT NOT NULL REFERENCES drills(id),
            t DOUBLE PRECISION NOT NULL,
            actor TEXT NOT NULL,
            role TEXT NOT NULL,
            by TEXT,
            data BYTEA NOT NULL,  -- the exact bytes sent to the engine, not re-encoded JSON
            created_at DOUBLE PRECISION NOT NULL,
            frame_id TEXT
        );
        CREATE INDEX inputs_by_drill ON inputs(drill_id, n);
        """,
    ),
    Migration(
        2,
        "runs: one row per player of a finished drill, with its grade (SQLite schema 3)",
        """
        CREATE TABLE runs (
            drill_id TEXT NOT NULL REFERENCES drills(id),
            player TEXT NOT NULL,
            scenario TEXT NOT NULL,
            seed BIGINT NOT NULL,
            ended_at DOUBLE PRECISION NOT NULL,
            overall INTEGER NOT NULL,
            scores BYTEA NOT NULL,
            checks BYTEA NOT NULL,
            PRIMARY KEY (drill_id, player)
        );
        CREATE INDEX runs_by_scenario ON runs(scenario, player, ended_at);
        """,
    ),
    Migration(
        3,
        "cohorts (drills.cohort, runs.cohort) and drills.graded_at: ended drills are graded "
        "once, when they end (SQLite schema 4)",
        """
        ALTER TABLE drills ADD COLUMN cohort TEXT;
        ALTER TABLE drills ADD COLUMN graded_at DOUBLE PRECISION;
        ALTER TABLE runs ADD COLUMN cohort TEXT;
        CREATE INDEX runs_by_cohort ON runs(scenario, cohort, ended_at);
        UPDATE drills SET graded_at = updated_at WHERE id IN (SELECT drill_id FROM runs);
        """,
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1].version
_LOCK_KEY = 0x66697265  # "fire": the advisory lock migrations run under
_OWNER_KEY = 0x6F776E72  # "ownr" (with the schema's hash): held by the server that owns it
_storage = storage_errors(psycopg.Error)


class PostgresStore:
    """The shared store: one PostgreSQL database (optionally one schema in it).

    ``schema`` (or a ``?schema=NAME`` parameter in the URL) puts every table in
    that schema, created if missing, so one database can hold several
    independent firedrill installations, or tests.
    Raises :class:`RuntimeError` with the reason if the database cannot be
    reached or was written by a newer schema.
    """

    def __init__(
        self,
        url: str,
        schema: str | None = None,
        cluster: bool = False,
        sync: Literal["normal", "full"] = "normal",
    ) -> None:
        url, in_url = _split_schema(url)
        self.cluster = cluster
        self.url, self.schema = url, schema or in_url
        try:
            self.db = psycopg.connect(url, autocommit=True, connect_timeout=10)
        except psycopg.Error as e:
            raise RuntimeError(f"cannot connect to PostgreSQL ({describe(url)}): {e}") from None
        try:
            # SQLite's promise for each --sync: "normal" keeps an acked input through a crash
            # of firedrill (the commit is in the database server, visible to every worker at
            # once) without waiting for its WAL flush on the event loop; "full" waits for it.
            self.db.execute(SYNC_COMMIT[sync])
            self.version = self._migrate()
            self._own()
        except BaseException:
            self.db.close()
            raise

    def _migrate(self) -> int:
        """Apply the migrations this database lacks; return the schema version now."""
        with self.db.transaction():
            # One server at a time past here: CREATE ... IF NOT EXISTS races without it.
            self.db.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            if self.schema is not None:
                name = sql.Identifier(self.schema)
                self.db.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(name))
                self.db.execute(sql.SQL("SET search_path TO {}").format(name))
            self.db.execute(
                "CREATE TABLE IF NOT EXISTS firedrill_schema "
                "(version INTEGER PRIMARY KEY, what TEXT NOT NULL, applied_at DOUBLE PRECISION)"
            )
            row = self.db.execute("SELECT max(version) FROM firedrill_schema").fetchone()
            have = int(row[0]) if row and row[0] is not None else 0
            if have > SCHEMA_VERSION:
                raise RuntimeError(
                    f"{describe(self.url)}: database schema version {have}; "
                    f"this firedrill reads {SCHEMA_VERSION}"
                )
            for m in MIGRATIONS:
                if m.version > have:
                    self.db.execute(m.sql.encode())
                    self.db.execute(
                        "INSERT INTO firedrill_schema VALUES (%s, %s, %s)",
                        (m.version, m.what, time.time()),
                    )
        return SCHEMA_VERSION

    def _own(self) -> None:
        """Hold the owner lock for as long as this connection lives (it dies with it).

        One server alone holds it exclusively; the workers of a cluster (``cluster``: they
        share a bus and own drills by lease, server/lease.py) hold it shared, so they may
        run side by side but never beside a server that believes it is alone.
        """
        key = zlib.crc32((self.schema or "").encode()) - 2**31  # into int4's range
        fn = "pg_try_advisory_lock_shared" if self.cluster else "pg_try_advisory_lock"
        row = self.db.execute(f"SELECT {fn}(%s, %s)", (_OWNER_KEY, key)).fetchone()
        if not (row and row[0]):
            where = describe(self.url) + (f" (schema {self.schema})" if self.schema else "")
            if self.cluster:
                raise StoreLocked(
                    f"{where} is in use by a firedrill server started without --bus; "
                    "stop it first, or give the cluster its own database or schema"
                )
            raise StoreLocked(
                f"{where} is in use by another firedrill server; "
                "stop that server first, or give this one its own database or schema"
            )

    # ------------------------------------------------------------- drills
    @_storage
    def create_drill(self, record: DrillRecord, facilitator_token_hash: str) -> None:
        r = record
        with self.db.transaction():
            self.db.execute(
                f"INSERT INTO drills ({DRILL_COLUMNS}) "
                "VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
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
            self._insert_token(
                facilitator_token_hash, Principal(r.id, "facilitator", r.facilitator)
            )

    @_storage
    def drill(self, drill_id: str) -> DrillRecord | None:
        row = self.db.execute(_SELECT_DRILL + " WHERE id = %s", (drill_id,)).fetchone()
        return DrillRecord(*row) if row else None

    @_storage
    def drills(self, statuses: tuple[str, ...]) -> list[DrillRecord]:
        rows = self.db.execute(
            _SELECT_DRILL + " WHERE status = ANY(%s) ORDER BY created_at", (list(statuses),)
        ).fetchall()
        return [DrillRecord(*row) for row in rows]

    @_storage
    def update_drill(self, drill_id: str, **fields: Any) -> None:
        unknown = set(fields) - DRILL_FIELDS
        if unknown:
            raise ValueError(f"cannot update drill fields {sorted(unknown)}")
        sets = sql.SQL(", ").join(
            sql.SQL("{} = %s").format(sql.Identifier(k)) for k in [*fields, "updated_at"]
        )
        query = sql.SQL("UPDATE drills SET {} WHERE id = %s").format(sets)
        self.db.execute(query, (*fields.values(), time.time(), drill_id))

    # ------------------------------------------------------------- tokens
    @_storage
    def add_token(self, token_hash: str, who: Principal) -> None:
        self._insert_token(token_hash, who)

    def _insert_token(self, token_hash: str, who: Principal) -> None:
        self.db.execute(
            "INSERT INTO tokens (hash, drill_id, role, name, incident_role, created_at) "
            "VALUES (%s,%s,%s,%s,%s,%s)",
            (token_hash, who.drill_id, who.role, who.name, who.incident_role, time.time()),
        )

    @_storage
    def principal(self, token_hash: str) -> Principal | None:
        row = self.db.execute(
            "SELECT drill_id, role, name, incident_role FROM tokens WHERE hash = %s",
            (token_hash,),
        ).fetchone()
        return Principal(*row) if row else None

    @_storage
    def participants(self, drill_id: str) -> list[Principal]:
        rows = self.db.execute(
            "SELECT drill_id, role, name, incident_role FROM tokens WHERE drill_id = %s ORDER BY n",
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
        row = self.db.execute(
            "INSERT INTO inputs (drill_id, t, actor, role, by, data, created_at, frame_id) "
            "VALUES (%s,%s,%s,%s,%s,%s,%s,%s) RETURNING n",
            (drill_id, t, actor, role, by, orjson.dumps(data), time.time(), frame_id),
        ).fetchone()
        assert row is not None  # INSERT ... RETURNING always returns the row
        return int(row[0])

    @_storage
    def drop_input(self, n: int) -> None:
        """Remove an input the engine refused (replay would skip it anyway)."""
        self.db.execute("DELETE FROM inputs WHERE n = %s", (n,))

    @_storage
    def inputs(self, drill_id: str) -> list[StoredInput]:
        rows = self.db.execute(
            "SELECT n, t, actor, role, by, data, frame_id FROM inputs WHERE drill_id = %s "
            "ORDER BY n",
            (drill_id,),
        ).fetchall()
        return [
            StoredInput(int(n), t, a, r, b, orjson.loads(bytes(d)), f)
            for n, t, a, r, b, d, f in rows
        ]

    # --------------------------------------------------------------- runs
    @_storage
    def save_runs(self, drill_id: str, runs: list[RunRecord]) -> None:
        """Record an ended drill's runs and mark it graded, in one transaction (once)."""
        with self.db.transaction():
            for r in runs:
                self.db.execute(
                    f"INSERT INTO runs ({RUN_COLUMNS}) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s) "
                    "ON CONFLICT (drill_id, player) DO NOTHING",
                    r.row(),
                )
            self.db.execute(
                "UPDATE drills SET graded_at = %s WHERE id = %s AND graded_at IS NULL",
                (time.time(), drill_id),
            )

    @_storage
    def runs(self, query: RunQuery) -> list[RunRecord]:
        """Finished runs, oldest first (see RunQuery)."""
        where, args = query.where("%s")
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


_SELECT_DRILL = (
    "SELECT id, scenario, seed, speed, status, sim_time, facilitator, player_code_hash, "
    "observer_code_hash, created_at, cohort FROM drills"
)


SYNC_COMMIT = {
    "normal": "SET synchronous_commit = off",
    "full": "SET synchronous_commit = on",
}


def _split_schema(url: str) -> tuple[str, str | None]:
    """Take firedrill's own ``schema`` parameter out of a URL libpq would refuse."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = [v for k, v in query if k == "schema"]
    if not schema:
        return url, None
    if len(schema) > 1 or not _SCHEMA_NAME.fullmatch(schema[0]):
        raise RuntimeError(
            f"the store URL's schema must be one name of letters, digits and _ (got {schema})"
        )
    rest = urlencode([(k, v) for k, v in query if k != "schema"])
    return urlunsplit(parts._replace(query=rest)), schema[0]


_SCHEMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
