"""The SQLite store: drills, tokens and inputs survive reopening; refused inputs go away."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from server.auth import Principal
from server.store import DrillRecord, RunQuery, RunRecord, SqliteStore


def record(**kw: object) -> DrillRecord:
    base = dict(
        id="abcdefgh",
        scenario="s",
        seed=1,
        speed=2.0,
        status="created",
        sim_time=0.0,
        facilitator="fac",
        player_code_hash="p",
        observer_code_hash="o",
        created_at=1.0,
    )
    return DrillRecord(**{**base, **kw})  # type: ignore[arg-type]


def test_a_drill_and_its_inputs_survive_reopening(tmp_path: Path) -> None:
    """What was committed is there after close + open, in order."""
    db = tmp_path / "x" / "f.db"
    store = SqliteStore(db)
    store.create_drill(record(), "tokenhash")
    store.add_token("h2", Principal("abcdefgh", "player", "ann", "ic"))
    n1 = store.append_input("abcdefgh", 1.5, "ann", "player", None, {"type": "take_command"})
    n2 = store.append_input("abcdefgh", 2.0, "ann", "player", "fac", {"type": "chat", "text": "x"})
    n3 = store.append_input("abcdefgh", 2.0, "ann", "player", None, {"type": "rollback"})
    store.drop_input(n3)
    store.update_drill("abcdefgh", status="running", sim_time=12.5)
    store.close()

    store = SqliteStore(db)
    assert store.drill("abcdefgh") == record(status="running", sim_time=12.5)
    assert [r.id for r in store.drills(("running",))] == ["abcdefgh"]
    assert store.principal("h2") == Principal("abcdefgh", "player", "ann", "ic")
    assert store.principal("tokenhash") == Principal("abcdefgh", "facilitator", "fac")
    assert store.principal("nope") is None
    assert [(i.n, i.t, i.by, i.data) for i in store.inputs("abcdefgh")] == [
        (n1, 1.5, None, {"type": "take_command"}),
        (n2, 2.0, "fac", {"type": "chat", "text": "x"}),
    ]
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with pytest.raises(ValueError, match="cannot update drill fields"):
        store.update_drill("abcdefgh", seed=3)
    store.close()


def test_a_version_1_database_gains_frame_ids_and_keeps_its_inputs(tmp_path: Path) -> None:
    """Opening a database written before frame ids were stored migrates it in place."""
    db = tmp_path / "old.db"
    store = SqliteStore(db)
    store.create_drill(record(), "tokenhash")
    store.append_input("abcdefgh", 1.0, "ann", "player", None, {"type": "take_command"})
    store.db.execute("ALTER TABLE inputs DROP COLUMN frame_id")  # what version 1 wrote
    store.db.execute("PRAGMA user_version=1")
    store.close()

    store = SqliteStore(db)
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == 4  # runs, cohorts
    store.append_input(
        "abcdefgh", 2.0, "fac", "facilitator", None, {"type": "note", "text": "n"}, "f-1"
    )
    assert [(i.data["type"], i.frame_id) for i in store.inputs("abcdefgh")] == [
        ("take_command", None),
        ("note", "f-1"),
    ]
    store.close()

    (tmp_path / "new.db").write_bytes(b"")
    newer = SqliteStore(tmp_path / "new.db")
    newer.db.execute("PRAGMA user_version=9")
    newer.close()
    with pytest.raises(RuntimeError, match="database schema version 9; this firedrill reads 4"):
        SqliteStore(tmp_path / "new.db")


def test_a_version_3_database_gains_cohorts_and_keeps_its_runs_graded(tmp_path: Path) -> None:
    """Schema 3 (runs recorded lazily, no cohorts) -> 4: the old runs stay, with no cohort;
    an ended drill that had runs counts as graded, one without is left for the backfill."""
    db = tmp_path / "v3.db"
    old = sqlite3.connect(db)
    old.executescript(V3)
    for drill in ("withruns", "noruns00"):
        old.execute("INSERT INTO drills VALUES (?,'s',1,1,'ended',5,'fac','p','o',1,2)", (drill,))
    old.execute("INSERT INTO runs VALUES ('withruns','ann','s',1,3.0,55,'{}','{}')")
    old.execute("PRAGMA user_version=3")
    old.commit()
    old.close()

    store = SqliteStore(db)
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == 4
    assert store.runs(RunQuery("s")) == [
        RunRecord("withruns", "s", "ann", 1, 3.0, 55, {}, {}, None)
    ]
    assert [r.id for r in store.ungraded()] == ["noruns00"]
    assert store.drill("withruns") == record(
        id="withruns", status="ended", sim_time=5.0, speed=1.0, created_at=1.0
    )
    store.save_runs("noruns00", [])  # a drill without players is graded all the same
    assert store.ungraded() == []
    store.create_drill(record(id="cohort01", cohort="sre q1"), "th")
    assert store.drill("cohort01") == record(id="cohort01", cohort="sre q1")
    store.close()


# What schema 3 wrote (server/store.py before cohorts), for the migration test.
V3 = """
CREATE TABLE drills (id TEXT PRIMARY KEY, scenario TEXT NOT NULL, seed INTEGER NOT NULL,
    speed REAL NOT NULL, status TEXT NOT NULL, sim_time REAL NOT NULL DEFAULT 0,
    facilitator TEXT NOT NULL, player_code_hash TEXT NOT NULL,
    observer_code_hash TEXT NOT NULL, created_at REAL NOT NULL, updated_at REAL NOT NULL);
CREATE TABLE tokens (hash TEXT PRIMARY KEY, drill_id TEXT NOT NULL REFERENCES drills(id),
    role TEXT NOT NULL, name TEXT NOT NULL, incident_role TEXT, created_at REAL NOT NULL);
CREATE TABLE inputs (n INTEGER PRIMARY KEY AUTOINCREMENT,
    drill_id TEXT NOT NULL REFERENCES drills(id), t REAL NOT NULL, actor TEXT NOT NULL,
    role TEXT NOT NULL, by TEXT, data BLOB NOT NULL, created_at REAL NOT NULL, frame_id TEXT);
CREATE TABLE runs (drill_id TEXT NOT NULL REFERENCES drills(id), player TEXT NOT NULL,
    scenario TEXT NOT NULL, seed INTEGER NOT NULL, ended_at REAL NOT NULL,
    overall INTEGER NOT NULL, scores BLOB NOT NULL, checks BLOB NOT NULL,
    PRIMARY KEY (drill_id, player));
"""
