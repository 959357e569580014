"""The PostgreSQL store keeps the SQLite store's promises, against a real PostgreSQL."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import psycopg
import pytest
from click.testing import CliRunner
from psycopg import sql

from server.auth import Principal
from server.cli.serve import serve
from server.errors import StorageUnavailable, StoreLocked
from server.store import RunQuery, RunRecord, SqliteStore, Store
from server.store_pg import MIGRATIONS, SCHEMA_VERSION, PostgresStore
from server.stores import open_store
from server.storeurl import describe

from .drillkit import Process, bearer, create_drill, join, open_peer
from .pgkit import URL, schema_url
from .test_store import record


def play(store: Store) -> tuple[int, int]:
    """The same writes against any store; returns the two kept input numbers."""
    store.create_drill(record(), "tokenhash")
    store.add_token("h2", Principal("abcdefgh", "player", "ann", "ic"))
    n1 = store.append_input("abcdefgh", 1.5, "ann", "player", None, {"type": "take_command"})
    n2 = store.append_input(
        "abcdefgh", 2.0, "ann", "player", "fac", {"type": "chat", "text": "x"}, "f-2"
    )
    n3 = store.append_input("abcdefgh", 2.0, "ann", "player", None, {"type": "rollback"})
    store.drop_input(n3)
    store.update_drill("abcdefgh", status="running", sim_time=12.5)
    runs = [RunRecord("abcdefgh", "s", p, 1, 9.0, 70, {"command": 80}, {"c1": 2.5}) for p in "ab"]
    store.save_runs("abcdefgh", runs)
    store.save_runs("abcdefgh", runs[:1])  # recorded once, however often it is saved
    store.create_drill(
        record(id="cohort01", cohort="sre q1", status="ended", created_at=2.0), "th3"
    )
    store.create_drill(record(id="ungraded", status="ended", created_at=3.0), "th4")
    store.save_runs("cohort01", [RunRecord("cohort01", "s", "a", 2, 9.5, 40, {}, {}, "sre q1")])
    return n1, n2


def contents(store: Store) -> tuple[object, ...]:
    return (
        store.drill("abcdefgh"),
        [r.id for r in store.drills(("running",))],
        store.drills(("ended",)),
        store.principal("h2"),
        store.principal("tokenhash"),
        store.principal("nope"),
        store.participants("abcdefgh"),
        [(i.t, i.actor, i.role, i.by, i.data, i.frame_id) for i in store.inputs("abcdefgh")],
        store.runs(RunQuery("s")),
        store.runs(RunQuery("s", "b")),
        store.runs(RunQuery("other")),
        store.runs(RunQuery("s", cohort="sre q1")),
        store.runs(RunQuery("s", "a", drill_id="abcdefgh")),
        store.drill("cohort01"),
        [r.id for r in store.ungraded()],
    )


def test_postgres_reads_back_exactly_what_sqlite_does(pg_schema: str, tmp_path: Path) -> None:
    """The same writes give the same drill, tokens and inputs from either store, after reopening."""
    lite = SqliteStore(tmp_path / "f.db")
    play(lite)
    lite.close()
    pg = PostgresStore(URL, pg_schema)
    n1, n2 = play(pg)
    assert n2 > n1
    pg.close()

    lite, pg = SqliteStore(tmp_path / "f.db"), open_store(schema_url(pg_schema))
    assert contents(pg) == contents(lite)
    assert contents(pg)[0] == record(status="running", sim_time=12.5)
    got = contents(pg)
    assert [(r.drill_id, r.player, r.cohort) for r in got[11]] == [("cohort01", "a", "sre q1")]
    assert got[12] == [RunRecord("abcdefgh", "s", "a", 1, 9.0, 70, {"command": 80}, {"c1": 2.5})]
    assert got[13] == record(id="cohort01", cohort="sre q1", status="ended", created_at=2.0)
    assert got[14] == ["ungraded"]  # graded drills (even with no runs) are not listed
    with pytest.raises(ValueError, match="cannot update drill fields"):
        pg.update_drill("abcdefgh", seed=3)
    lite.close()
    pg.close()


def test_an_input_is_committed_before_append_returns(pg_schema: str) -> None:
    """Another connection sees an appended input at once: it is durable when the client is acked."""
    store = PostgresStore(URL, pg_schema)
    store.create_drill(record(), "tokenhash")
    store.append_input("abcdefgh", 3.0, "ann", "player", None, {"type": "take_command"})
    with psycopg.connect(URL) as other:
        table = sql.Identifier(pg_schema, "inputs")
        rows = other.execute(sql.SQL("SELECT t, data FROM {}").format(table)).fetchall()
    assert [(t, bytes(d)) for t, d in rows] == [(3.0, b'{"type":"take_command"}')]
    store.close()


@pytest.mark.parametrize(("sync", "setting"), [("normal", "off"), ("full", "on")])
def test_sync_keeps_its_sqlite_meaning_on_postgresql(
    pg_schema: str, sync: str, setting: str
) -> None:
    """--sync normal does not wait for the WAL flush (an acked input is still committed and
    seen by every other session at once); --sync full waits for it, through open_store too."""
    store = open_store(schema_url(pg_schema), sync)  # type: ignore[arg-type]
    assert isinstance(store, PostgresStore)
    assert store.db.execute("SHOW synchronous_commit").fetchone() == (setting,)
    store.create_drill(record(), "tokenhash")
    store.append_input("abcdefgh", 3.0, "ann", "player", None, {"type": "take_command"})
    with psycopg.connect(URL) as other:
        table = sql.Identifier(pg_schema, "inputs")
        assert other.execute(sql.SQL("SELECT count(*) FROM {}").format(table)).fetchone() == (1,)
    store.close()


def test_servers_starting_together_migrate_once_and_one_owns_the_store(pg_schema: str) -> None:
    """Three stores opening an empty schema at once: each migration once, one owner, two refusals."""
    refused: list[BaseException] = []
    stores: list[PostgresStore] = []

    def open_one() -> None:
        try:
            stores.append(PostgresStore(URL, pg_schema))
        except BaseException as e:  # reported below
            refused.append(e)

    threads = [threading.Thread(target=open_one) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(stores) == 1
    assert [type(e) for e in refused] == [StoreLocked, StoreLocked]
    assert str(refused[0]) == (
        f"postgresql://postgres@127.0.0.1:5432/test (schema {pg_schema}) is in use by another "
        "firedrill server; stop that server first, or give this one its own database or schema"
    )
    rows = stores[0].db.execute("SELECT version FROM firedrill_schema ORDER BY version").fetchall()
    assert [r[0] for r in rows] == list(range(1, SCHEMA_VERSION + 1))
    stores[0].close()
    PostgresStore(URL, pg_schema).close()  # the lock went with the connection


def test_a_lost_connection_is_storage_unavailable(pg_schema: str) -> None:
    """When the database goes away, the store says so in the server's one failure type."""
    store = PostgresStore(URL, pg_schema)
    store.create_drill(record(), "tokenhash")
    with psycopg.connect(URL, autocommit=True) as admin:
        pid = store.db.info.backend_pid
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    with pytest.raises(StorageUnavailable, match="the drill store cannot be used"):
        store.append_input("abcdefgh", 1.0, "ann", "player", None, {"type": "take_command"})
    store.close()


def test_a_newer_schema_is_refused_with_both_versions(pg_schema: str) -> None:
    """A database written by a newer firedrill is not guessed at."""
    PostgresStore(URL, pg_schema).close()
    with psycopg.connect(URL, autocommit=True) as db:
        table = sql.Identifier(pg_schema, "firedrill_schema")
        db.execute(sql.SQL("INSERT INTO {} VALUES (99, 'future', 0)").format(table))
    with pytest.raises(
        RuntimeError, match=f"schema version 99; this firedrill reads {SCHEMA_VERSION}"
    ):
        PostgresStore(URL, pg_schema)


def test_bad_targets_get_a_clear_error_without_the_password() -> None:
    """An unreachable server, an unsupported scheme or a bad schema name says what is wrong."""
    with pytest.raises(RuntimeError) as caught:
        open_store("postgresql://ann:s3cret@127.0.0.1:1/test?connect_timeout=2")
    assert str(caught.value).startswith(
        "cannot connect to PostgreSQL (postgresql://ann@127.0.0.1:1/test)"
    )
    assert "s3cret" not in str(caught.value)
    with pytest.raises(RuntimeError, match=r"unsupported store mysql://\.\.\."):
        open_store("mysql://root:pw@127.0.0.1/test")
    with pytest.raises(RuntimeError, match="schema must be one name"):
        open_store("postgresql://127.0.0.1/test?schema=a;drop")
    assert describe("postgresql://ann:pw@db.internal:5433/fd?sslmode=require") == (
        "postgresql://ann@db.internal:5433/fd"
    )


async def test_a_killed_server_comes_back_from_postgres_with_every_acked_input(
    pg_schema: str, process: Process
) -> None:
    """SIGKILL mid-drill: a server started on the same PostgreSQL rebuilds the same log."""
    process.db = schema_url(pg_schema)
    process.start()
    assert "db postgresql://postgres@127.0.0.1:5432/test)" in process.banner
    async with httpx.AsyncClient(base_url=process.http, timeout=10) as client:
        drill = await create_drill(client, speed=120, seed=4)
        erin = await join(client, drill, drill.player_code, "erin", "ic")
        fac = await open_peer(process.ws, drill.id, drill.facilitator)
        player = await open_peer(process.ws, drill.id, erin)
        try:
            assert (await fac.control("start"))["type"] == "ack"
            assert (await fac.control("jump", seconds=240))["type"] == "ack"
            assert (await player.act({"type": "take_command"}))["type"] == "ack"
            assert (await fac.control("pause"))["type"] == "ack"
        finally:
            for peer in (fac, player):
                await peer.close()
        r = await client.get(f"/api/drills/{drill.id}/log", headers=bearer(drill.facilitator))
        before = r.content
    process.kill()
    process.start()
    async with httpx.AsyncClient(base_url=process.http, timeout=10) as client:
        r = await client.get(f"/api/drills/{drill.id}/log", headers=bearer(drill.facilitator))
        assert r.status_code == 200
        assert r.content == before
        assert b'"take_command"' in r.content


def test_serve_refuses_an_unsupported_store_url_before_starting() -> None:
    """`serve --store mysql://...` is a usage error (exit 2) that does not echo the password."""
    result = CliRunner().invoke(serve, ["--store", "mysql://root:pw@127.0.0.1/x"])
    assert result.exit_code == 2
    assert "Invalid value for --store: expected an SQLite file path or a postgresql:// URL, " in (
        result.output
    )
    assert "got a mysql:// URL" in result.output
    assert "pw" not in result.output.replace("postgresql", "")


def test_a_schema_2_database_gains_cohorts_and_keeps_its_runs_graded(pg_schema: str) -> None:
    """Migration 3 on a database written before cohorts: old runs stay, with no cohort; an
    ended drill that had runs counts as graded, one without is left for the backfill."""
    with psycopg.connect(URL, autocommit=True) as db:
        db.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(pg_schema)))
        db.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(pg_schema)))
        db.execute(
            "CREATE TABLE firedrill_schema "
            "(version INTEGER PRIMARY KEY, what TEXT NOT NULL, applied_at DOUBLE PRECISION)"
        )
        for m in MIGRATIONS[:2]:
            db.execute(m.sql.encode())
            db.execute("INSERT INTO firedrill_schema VALUES (%s, %s, 0)", (m.version, m.what))
        for drill in ("withruns", "noruns00"):
            db.execute(
                "INSERT INTO drills VALUES (%s,'s',1,1,'ended',5,'fac','p','o',1,2)", (drill,)
            )
        db.execute("INSERT INTO runs VALUES ('withruns','ann','s',1,3.0,55,%s,%s)", (b"{}", b"{}"))
    store = PostgresStore(URL, pg_schema)
    assert store.version == SCHEMA_VERSION == 3
    assert store.runs(RunQuery("s")) == [
        RunRecord("withruns", "s", "ann", 1, 3.0, 55, {}, {}, None)
    ]
    assert [r.id for r in store.ungraded()] == ["noruns00"]
    assert store.drill("withruns") == record(
        id="withruns", status="ended", sim_time=5.0, speed=1.0, created_at=1.0
    )
    store.close()
