"""Ended drills are graded in a child process, so drills ending together stall nobody."""

from __future__ import annotations

import asyncio
import os
import signal
from dataclasses import replace
from pathlib import Path

from server.auth import Principal
from server.drills import Drills
from server.grader import Grader
from server.history import runs_of
from server.library import Library
from server.session import DrillSession
from server.settings import Settings
from server.store import RunQuery, RunRecord, SqliteStore

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
