"""A store that fails while `firedrill serve` starts: one line saying why, a non-zero exit.

Real processes on real SQLite files: one whose file-size limit is one byte (nothing can be
written, so the store cannot even be opened), one that is not a database at all, and one
whose drills are readable but whose inputs index is corrupt, so start-up recovery fails
after the store opened. None may start serving, and none may print a traceback.
"""

from __future__ import annotations

import os
import resource
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from server.store import DrillRecord, SqliteStore

FIREDRILL = str(Path(sys.executable).parent / "firedrill")


def serve(db: Path, limit: Callable[[], None] | None = None) -> subprocess.CompletedProcess[str]:
    """`firedrill serve` on ``db`` (any free port) until it exits; stderr is a pipe, which a
    file-size limit does not cut short."""
    return subprocess.run(
        [FIREDRILL, "serve", "--port", "0", "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=limit,
        env={**os.environ},
    )


def a_store_with_a_running_drill(db: Path) -> None:
    store = SqliteStore(db)
    record = DrillRecord("drill-one", "checkout-deploy-500s", 1, 60.0, "running", 30.0,
                         "Fac", "p" * 64, "o" * 64, 0.0)  # fmt: skip
    store.create_drill(record, "f" * 64)
    store.update_drill(record.id, status="running", sim_time=30.0)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()


def corrupt_the_inputs_index(db: Path) -> None:
    """Overwrite the index recovery reads inputs through; the drills table stays intact."""
    with sqlite3.connect(db) as c:
        page = c.execute("SELECT rootpage FROM sqlite_master WHERE name='inputs_by_drill'")
        (root,) = page.fetchone()
        (size,) = c.execute("PRAGMA page_size").fetchone()
    c.close()
    with db.open("r+b") as f:
        f.seek((root - 1) * size)
        f.write(b"\xff" * size)


def one_byte_files() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (1, resource.RLIM_INFINITY))


def assert_refused_in_one_line(r: subprocess.CompletedProcess[str], *said: str) -> None:
    assert r.returncode == 1, r.stdout + r.stderr
    assert "firedrill is serving" not in r.stdout
    errors = [line for line in r.stderr.splitlines() if not line.startswith("INFO:")]
    assert len(errors) == 1, r.stderr
    assert errors[0].startswith("Error: cannot start: "), errors
    for words in said:
        assert words in errors[0], errors


@pytest.mark.skipif(not hasattr(resource, "RLIMIT_FSIZE"), reason="needs RLIMIT_FSIZE")
def test_a_store_that_cannot_be_written_stops_serve_with_one_line(tmp_path: Path) -> None:
    db = tmp_path / "drills.db"
    a_store_with_a_running_drill(db)
    r = serve(db, one_byte_files)
    assert_refused_in_one_line(r, "drills.db", "disk I/O error")


def test_a_file_that_is_not_a_store_stops_serve_with_one_line(tmp_path: Path) -> None:
    db = tmp_path / "drills.db"
    db.write_text("these are my notes, not a database\n")
    r = serve(db)
    assert_refused_in_one_line(r, "drills.db", "file is not a database")
    assert db.read_text() == "these are my notes, not a database\n"


def test_a_store_failing_during_recovery_stops_serve_with_one_line(tmp_path: Path) -> None:
    db = tmp_path / "drills.db"
    a_store_with_a_running_drill(db)
    corrupt_the_inputs_index(db)
    r = serve(db)
    assert_refused_in_one_line(r, "recovering drills from", "malformed")
    with sqlite3.connect(db) as c:  # not marked paused, nor anything else, by a failed start
        assert c.execute("SELECT status, sim_time FROM drills").fetchall() == [("running", 30.0)]
    c.close()
