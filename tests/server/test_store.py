"""The SQLite store: drills, tokens and inputs survive reopening; refused inputs go away."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.auth import Principal
from server.store import DrillRecord, SqliteStore


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
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == 3  # and the runs table
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
    with pytest.raises(RuntimeError, match="database schema version 9; this firedrill reads 3"):
        SqliteStore(tmp_path / "new.db")
