"""Run history: graded when the drill ends (and after a restart), scoped to a cohort."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from server.drills import Drills
from server.library import Library
from server.settings import Settings
from server.store import RunQuery, SqliteStore

from .drillkit import Live, bearer, solo_run, start_in_thread

TAKE = [{"type": "take_command"}]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "f.db"


@pytest.fixture
def server(db: Path) -> Iterator[Live]:
    live = start_in_thread(Settings(db=str(db)))
    yield live
    live.stop()


def test_a_drill_is_graded_and_stored_when_it_ends_not_when_history_is_read(
    server: Live, db: Path
) -> None:
    """Nobody reads the history: the run is in the store, with its cohort, once the
    server has stopped; and a restart's backfill grades a drill whose grading was lost."""
    with httpx.Client(base_url=server.http, timeout=60) as c:
        drill, _, _ = solo_run(c, "hana", 1, TAKE, cohort="sre q1")
    server.stop()
    store = SqliteStore(db)
    [run] = store.runs(RunQuery("gateway-bad-pod"))
    assert (run.drill_id, run.player, run.cohort) == (drill, "hana", "sre q1")
    assert run.scores["command"] > 0 and run.checks["command.ic"] > 0
    assert store.ungraded() == []
    # lose the grading (a stop mid-grading, a store written before this was so)
    store.db.execute("DELETE FROM runs")
    store.db.execute("UPDATE drills SET graded_at = NULL")
    assert [r.id for r in store.ungraded()] == [drill]

    async def restart() -> None:
        drills = Drills(store, Library(), Settings(db=str(db)))
        await drills.backfill()
        await drills.close()

    asyncio.run(restart())
    [again] = store.runs(RunQuery("gateway-bad-pod"))
    assert dataclasses.replace(again, ended_at=run.ended_at) == run  # the same grade
    assert store.ungraded() == []
    store.close()


def test_a_facilitator_sees_every_player_of_their_cohort_and_no_one_else(server: Live) -> None:
    """Runs of cohort A: its facilitator sees both of its players (and can narrow to one);
    not cohort B's, not a cohort-less drill's; a player still sees only their own."""
    with httpx.Client(base_url=server.http, timeout=60) as c:
        a1, hana, clock_a = solo_run(c, "hana", 1, TAKE, cohort="class-a")
        a2, _, _ = solo_run(c, "bo", 2, [], cohort="class-a")
        solo_run(c, "cy", 3, TAKE, cohort="class-b")
        solo_run(c, "dee", 4, TAKE)
        url = f"/api/drills/{a1}/history"
        h = c.get(url, headers=bearer(clock_a)).json()
        assert (h["cohort"], h["player"]) == ("class-a", None)
        assert [(r["drill_id"], r["player"], r["cohort"]) for r in h["runs"]] == [
            (a1, "hana", "class-a"),
            (a2, "bo", "class-a"),
        ]
        one = c.get(url, params={"player": "bo"}, headers=bearer(clock_a)).json()
        assert (one["player"], [r["drill_id"] for r in one["runs"]]) == ("bo", [a2])
        mine = c.get(url, headers=bearer(hana)).json()
        assert (mine["cohort"], mine["player"], [r["drill_id"] for r in mine["runs"]]) == (
            None,
            "hana",
            [a1],
        )
        # the facilitator may compare runs of the cohort, not of another one
        r = c.get(f"/api/drills/{a1}/compare", params={"other": a2}, headers=bearer(clock_a))
        assert r.status_code == 200 and r.json()["b"]["label"] == f"drill {a2}"


def test_cohort_and_history_garbage_is_refused(server: Live) -> None:
    """Bad cohort names at creation, a bad or foreign `player` filter: clear errors."""
    with httpx.Client(base_url=server.http, timeout=60) as c:
        for bad in ["", "x" * 65, "-leading", "a;drop", 7, ["a"], "tab\there"]:
            for route, body in (
                ("/api/drills", {"scenario": "gateway-bad-pod", "cohort": bad}),
                ("/api/solo", {"scenario": "gateway-bad-pod", "cohort": bad}),
            ):
                r = c.post(route, json=body)
                assert r.status_code == 422, (route, bad, r.text)
                assert r.json()["detail"][0]["loc"][-1] == "cohort", r.text
        drill, me, clock = solo_run(c, "hana", 1, [], cohort="class-a")
        url = f"/api/drills/{drill}/history"
        for bad in ["", "x" * 41, "-x", "a\x00b"]:
            r = c.get(url, params={"player": bad}, headers=bearer(clock))
            assert r.status_code == 422, (bad, r.text)
            assert "player" in r.text
        r = c.get(url, params={"player": "bo"}, headers=bearer(me))
        assert r.status_code == 403
        assert r.json()["message"] == "only the facilitator may read another player's runs"
        r = c.get(url, params={"player": "Hana"}, headers=bearer(me))  # yourself: fine
        assert r.status_code == 200 and [x["drill_id"] for x in r.json()["runs"]] == [drill]
