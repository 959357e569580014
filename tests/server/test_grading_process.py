"""Ended drills are graded in a child process, so drills ending together stall nobody."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import httpx

from server.auth import Principal
from server.drills import Drills
from server.grader import Grader
from server.history import runs_of
from server.library import Library
from server.session import DrillSession
from server.settings import Settings
from server.store import RunQuery, RunRecord, SqliteStore

from .drillkit import Process, bearer, create_drill

SCENARIO = "checkout-deploy-500s"


def play_and_end(drills: Drills, seed: int) -> DrillSession:
    """A drill where one player looks and chats, then the facilitator ends it."""
    session, codes = drills.create(SCENARIO, seed, 10.0, "facilitator")
    ana = drills.join(session, codes.player_code, "ana", None)[0]
    facilitator = Principal(session.id, "facilitator", "facilitator")
    session.apply(facilitator, {"type": "clock", "action": "start"})
    session.apply(ana, {"type": "chat", "text": "looking at checkout"})
    session.apply(ana, {"type": "list_changes"})
    session.apply(facilitator, {"type": "end"})
    return session


def recorded(drills: Drills, session: DrillSession) -> list[RunRecord]:
    return drills.store.runs(RunQuery(SCENARIO, drill_id=session.id))


def without_time(runs: list[RunRecord]) -> list[RunRecord]:
    return [replace(r, ended_at=0.0) for r in runs]


async def test_an_ended_drill_is_graded_in_another_process_as_it_would_be_here(
    tmp_path: Path,
) -> None:
    """The child rebuilds the drill from the store and records exactly the grade of its log."""
    store = SqliteStore(str(tmp_path / "g.db"))
    grader = Grader()
    drills = Drills(store, Library(), Settings(db=str(tmp_path / "g.db")), grader=grader)
    try:
        session = play_and_end(drills, 3)
        await asyncio.gather(*drills._tasks)  # the grading the end started
        assert grader.pid() not in (None, os.getpid())
        here = runs_of(session.id, session.scenario, 3, ["ana"], list(session.drill.log.events))
        assert without_time(recorded(drills, session)) == without_time(here)
        assert [r.player for r in recorded(drills, session)] == ["ana"]
    finally:
        await drills.close()
        store.close()


async def test_a_grading_process_that_dies_loses_no_grade(tmp_path: Path) -> None:
    """Killed, the child's drill is graded here instead; the next drill gets a new child."""
    store = SqliteStore(str(tmp_path / "g.db"))
    grader = Grader()
    drills = Drills(store, Library(), Settings(db=str(tmp_path / "g.db")), grader=grader)
    try:
        first = play_and_end(drills, 1)
        await asyncio.gather(*drills._tasks)
        child = grader.pid()
        assert child is not None and recorded(drills, first)
        os.kill(child, signal.SIGKILL)
        second = play_and_end(drills, 2)
        await asyncio.gather(*drills._tasks)
        assert [r.player for r in recorded(drills, second)] == ["ana"]
        third = play_and_end(drills, 4)
        await asyncio.gather(*drills._tasks)
        assert [r.player for r in recorded(drills, third)] == ["ana"]
        assert grader.pid() not in (None, child)
        assert store.ungraded() == []
    finally:
        await drills.close()
        store.close()


def _children(pid: int) -> list[int]:
    return [
        int(c) for t in Path(f"/proc/{pid}/task").glob("*/children") for c in t.read_text().split()
    ]


async def test_a_server_killed_outright_takes_its_grading_process_with_it(
    process: Process,
) -> None:
    """SIGKILL leaves no orphan: the grading child ends with the server that started it."""
    process.start()
    async with httpx.AsyncClient(base_url=process.http, timeout=10) as http:
        drill = await create_drill(http)
        r = await http.post(
            f"/api/drills/{drill.id}/control",
            json={"action": "end"},
            headers=bearer(drill.facilitator),
        )
        assert r.status_code == 200, r.text
        await http.get(f"/api/drills/{drill.id}/history", headers=bearer(drill.facilitator))
    # the grading process started by the end (and multiprocessing's resource tracker)
    children = [Path(f"/proc/{c}") for c in _children(process.pid)]
    assert any("spawn_main" in (c / "cmdline").read_text() for c in children)
    process.kill()

    def gone() -> bool:
        return all(not c.exists() or "State:\tZ" in (c / "status").read_text() for c in children)

    for _ in range(200):  # a liveness bound, not a timing claim
        if gone():
            break
        await asyncio.sleep(0.05)
    assert gone()


def test_a_grading_child_whose_server_died_while_it_started_ends_itself() -> None:
    """A server killed before its new grading child set its parent-death signal sends it
    none: the child sees it has another parent and exits instead of serving nobody (and
    holding the dead server's stdout open)."""
    code = (
        "import os, sys\n"
        "from server.grader import _child_setup\n"
        "_child_setup(os.getppid() + 1 if len(sys.argv) > 1 else os.getppid())\n"
        "print('still here')\n"
    )
    orphan = subprocess.run(
        [sys.executable, "-c", code, "orphan"], capture_output=True, text=True, timeout=60
    )
    assert (orphan.returncode, orphan.stdout) == (0, "")
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (child.returncode, child.stdout) == (0, "still here\n")
