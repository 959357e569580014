"""Live drills are frozen out of the collector's walks; ended ones pushed out are still freed."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

from server.drills import Drills
from server.library import Library
from server.settings import Settings
from server.store import SqliteStore

SCENARIO = "checkout-deploy-500s"


def walked() -> set[int]:
    """Ids of the objects a collection of any generation would walk now."""
    return {id(o) for g in range(3) for o in gc.get_objects(generation=g)}


async def test_a_built_drill_joins_the_frozen_heap_and_a_full_collection_skips_it(
    tmp_path: Path,
) -> None:
    """Once the loop turns after a drill is built, no collection walks it (nor its log)."""
    store = SqliteStore(str(tmp_path / "h.db"))
    drills = Drills(store, Library(), Settings(db=str(tmp_path / "h.db")))
    try:
        session = drills.create(SCENARIO, 1, 10.0, "facilitator")[0]
        parts = (session, session.drill, session.drill.log, session.drill.log.events)
        assert {id(p) for p in parts} <= walked()  # just built: still in the young generation
        await asyncio.sleep(0)
        assert not {id(p) for p in parts} & walked()
        assert gc.get_freeze_count() > 0
    finally:
        await drills.close()
        store.close()
