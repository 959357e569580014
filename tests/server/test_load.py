"""Sustained load on a real server process: nothing lost, every request answered, memory flat.

A short run of bench/load.py's driver (bench/loadkit.py): 6 drills x 5 clients
for 8 s at 10x, three rounds, two clients per drill dropping their socket and
resuming with ``last_seq``. No wall-clock thresholds: only counts and memory.
"""

from __future__ import annotations

import asyncio
import gc
import weakref
from pathlib import Path

import pytest

from bench.loadkit import SCENARIO, LoadConfig, LoadReport, ServerProcess, run_load
from server.auth import Principal
from server.drills import COLLECT_AFTER, Drills
from server.library import Library
from server.settings import Settings
from server.store import SqliteStore

CI = LoadConfig(
    drills=6,
    clients=5,
    seconds=8,
    speed=10,
    rounds=3,
    seed=7,
    per_minute=6,
    reconnect_share=0.4,
    settle=0.5,
)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> LoadReport:
    """One load run (about 35 s: the warm-up fills the ended cache first) for the tests below."""
    with ServerProcess(tmp_path_factory.mktemp("load")) as server:
        return asyncio.run(run_load(server, CI))


def test_nothing_fails_under_load(report: LoadReport) -> None:
    """No error reply, unexpected close, HTTP error, lost, duplicate or differing event."""
    assert report.problems() == []
    assert report.faults == {}


def test_every_request_gets_its_one_expected_reply(report: LoadReport) -> None:
    """Each input is acked, each deliberate mistake refused with its code, per round."""
    for r in report.rounds:
        t = r.tally
        assert t.inputs > 0 and t.acked == t.inputs
        assert t.provoked > 0 and t.pings > 0
        assert t.requests == t.inputs + t.provoked + t.pings


def test_resumed_clients_end_with_exactly_their_view_of_the_log(report: LoadReport) -> None:
    """Clients that dropped and came back with last_seq were checked against the export."""
    for r in report.rounds:
        assert r.tally.drops == round(CI.reconnect_share * CI.clients) * r.drills
        assert r.tally.reconnects == r.tally.drops
        assert r.tally.checked == r.tally.events > 0  # every event received was compared


def test_memory_returns_to_the_post_warm_up_baseline(report: LoadReport) -> None:
    """After every later round the server's RSS is back within tolerance of round 1's end."""
    assert report.rounds[0].drills == CI.cache_fill + CI.drills  # the warm-up fills the cache
    for r in report.rounds[1:]:
        assert r.rss_after <= report.rss_limit, (r.index, r.rss_after, report.rss_limit)


async def test_a_drill_pushed_out_of_the_ended_cache_is_freed_within_seconds(
    tmp_path: Path,
) -> None:
    """A drill is a web of reference cycles; the server collects evicted ones itself, soon."""
    settings = Settings(db=str(tmp_path / "cache.db"), ended_cache=1)
    store = SqliteStore(settings.db)
    drills = Drills(store, Library(), settings)

    def create_and_end() -> weakref.ref[object]:
        session = drills.create(SCENARIO, 1, 10.0, "facilitator")[0]
        session.apply(Principal(session.id, "facilitator", "facilitator"), {"type": "end"})
        return weakref.ref(session)

    gc.disable()  # only the server's own collection may free it
    try:
        first = create_and_end()
        create_and_end()  # evicts the first from the one-drill cache
        await asyncio.sleep(COLLECT_AFTER + 1.0)
        assert first() is None
    finally:
        gc.enable()
        await drills.close()
        store.close()
