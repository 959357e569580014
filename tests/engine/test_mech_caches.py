"""A cache in front of a database: a flush stampedes the database until it refills."""

from __future__ import annotations

from typing import Any

import pytest

from engine.drill import Drill
from engine.errors import NotAllowed, ScenarioError
from engine.loader import scenario_from_dict
from engine.scenario import Scenario

from .conftest import play, series
from .inline import BASE, tiny

TIMES = (100.0, 150.0, 300.0, 600.0, 1200.0)
WARM = {"type": "warm_cache", "cache": "items"}
COALESCE = {"type": "set_coalescing", "cache": "items", "enabled": True}


def _sc(snapshot: bool = True) -> Scenario:
    """400 reads/s, 95% hits: 20 reads/s reach a pool of 5 (8% busy). Flushed at 120 s."""
    return tiny(
        api={
            "endpoints": [{"name": "GET /item", "share": 1.0, "database": "db", "cache": "items"}]
        },
        topology={
            "databases": [{"name": "db", "pool_size": 5, "query_ms": 20}],
            "caches": [
                {
                    "name": "items",
                    "database": "db",
                    "refill": 600,
                    "prewarm": 120,
                    "snapshot": snapshot,
                }
            ],
        },
        faults=[{"id": "flush", "kind": "cache_flush", "cache": "items", "at": 120}],
    )


def _at(d: Drill, metric: str) -> list[float]:
    values = dict(series(d, metric))
    return [values[t] for t in TIMES]


def _effects(d: Drill) -> list[tuple[float, str]]:
    return [(e.t, e.data["what"]) for e in d.log.events if e.type == "effect"]


def test_doing_nothing_a_flush_stampedes_the_database_until_the_cache_refills() -> None:
    """Every read misses: the pool saturates and a third of reads time out; the refill,
    slowed by the timeouts, ends it after several minutes."""
    d = play(_sc(), [])
    assert _at(d, "items.hit_pct") == [95.0, 4.048, 25.826, 72.385, 95.0]
    assert _at(d, "db.pool_util_pct") == [8.0, 100.0, 100.0, 47.985, 8.0]
    assert _at(d, "api.err_5xx_pct") == [0.0, 34.303, 14.014, 0.0, 0.0]


def test_warming_the_cache_ends_the_stampede_when_the_job_finishes() -> None:
    """The warm-up job fills it from a snapshot in 2 minutes."""
    d = play(_sc(), [(60, WARM)])
    assert _effects(d) == [(214.0, "cache warm-up started"), (334.0, "cache warmed")]
    assert _at(d, "items.hit_pct")[3:] == [95.0, 95.0]
    errs = dict(series(d, "api.err_5xx_pct"))
    assert (errs[330.0], errs[360.0]) == (8.331, 0.0)  # the pool drains over ~15 s


def test_a_cache_with_no_snapshot_cannot_be_warmed_and_refills_as_if_nobody_tried() -> None:
    """A cache built from live reads (sessions, boot data) has nothing to load: the job is
    refused during the stampede, nothing is logged, and the refill is the no-op's."""
    d = Drill(_sc(snapshot=False), seed=0)
    d.advance(200.0)
    before = d.log.last_seq
    with pytest.raises(NotAllowed, match=r"cache items has no snapshot to warm from"):
        d.submit(WARM, actor="alice")
    assert d.log.last_seq == before
    d.advance(d.scenario.duration + 5)
    assert _at(d, "items.hit_pct") == [95.0, 4.048, 25.826, 72.385, 95.0]


def test_request_coalescing_cuts_the_reads_reaching_the_database() -> None:
    """Misses of one key share a read: 20x fewer reads, the pool drains at once."""
    d = play(_sc(), [(60, COALESCE)])
    assert _effects(d) == [(244.0, "request coalescing on")]
    assert _at(d, "items.db_reads_per_s") == [20.0, 273.984, 14.699, 5.199, 1.0]
    assert _at(d, "api.err_5xx_pct") == [0.0, 34.303, 0.0, 0.0, 0.0]


def test_scaling_the_app_out_does_not_help() -> None:
    """More pods send the database the same misses."""
    d = play(_sc(), [(60, {"type": "scale", "service": "api", "pods": 8})])
    assert _at(d, "api.err_5xx_pct") == [0.0, 34.303, 13.808, 0.0, 0.0]
    assert _at(d, "db.pool_util_pct")[2] == 100.0


def test_shedding_relieves_the_database_and_counts_apart() -> None:
    """Shedding 80% brings the misses under the pool; shed requests are not 5xx."""
    d = play(_sc(), [(60, {"type": "shed_load", "service": "api", "pct": 80})])
    assert _at(d, "api.err_5xx_pct") == [0.0, 34.303, 0.0, 0.0, 0.0]
    assert _at(d, "business.shed_rps")[2:] == [320.0, 320.0, 320.0]


def test_warming_a_warm_cache_is_refused_and_changes_nothing() -> None:
    """Before the flush the cache is warm; an unknown cache lists the known ones."""
    d = Drill(_sc(), seed=0)
    before = d.log.last_seq
    with pytest.raises(NotAllowed, match=r"cache items is already warm \(95% hits\)"):
        d.submit(WARM, actor="alice")
    with pytest.raises(Exception, match=r"unknown cache 'nope'; valid: items"):
        d.submit({"type": "warm_cache", "cache": "nope"}, actor="alice")
    assert d.log.last_seq == before


def test_bad_cache_fields_are_located_errors() -> None:
    """An unknown database, an endpoint reading another database, an unknown flushed cache."""
    doc: dict[str, Any] = {**BASE, "topology": {**BASE["topology"]}}
    svc = BASE["topology"]["services"][0]
    doc["topology"]["services"] = [
        {**svc, "endpoints": [{"name": "GET /", "share": 1.0, "cache": "items"}]}
    ]
    doc["topology"]["caches"] = [{"name": "items", "database": "ghost"}]
    doc["faults"] = [{"kind": "cache_flush", "cache": "nope"}]
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(doc)
    assert [str(p) for p in info.value.problems] == [
        "<scenario>: `topology.services[0].endpoints[0].cache` cache items fronts ghost: the "
        "endpoint must read that database (its database is None)",
        "<scenario>: `topology.caches[0].database` names an unknown database 'ghost' "
        "(known: none declared)",
        "<scenario>: `faults[0].cache` names an unknown cache 'nope' (known: items)",
    ]
