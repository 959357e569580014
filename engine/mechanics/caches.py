"""A cache in front of a database: a flush or a cold start stampedes the database.

Reads of an endpoint with a ``cache`` ask it first; only misses reach the
database (``engine.world.backends.CacheState``). A ``cache_flush`` (a flush,
a cache node restart) drops the hit rate to 0: every read hits the database
at once, its pool saturates and reads time out. The cache refills only from
reads that succeed, so a stampede that saturates the database also slows the
refill that would end it.

What helps is what reduces the reads reaching the database: a warm-up job
(``warm_cache``, from a snapshot, after the cache's ``prewarm``), request
coalescing (``set_coalescing``: concurrent misses of one key share one read),
or shedding. Scaling the application out does not: the database is the
bottleneck, and more pods send it the same misses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import NotAllowed
from ..inputs import Input, SetCoalescing, WarmCache
from .base import Ctx, Mechanic, Plan

if TYPE_CHECKING:
    from ..scenario import CacheFlushFault

COALESCE_S = 30.0  # a client config change reaches every pod


def flush(ctx: Ctx, fault: CacheFlushFault, key: str) -> dict[str, Any]:
    """The cache loses everything: the hit rate is 0 from now."""
    cache = ctx.world.caches[fault.cache]
    before = cache.hit
    cache.set(hit=0.0)
    return {"cache": fault.cache, "hit_pct_before": round(100.0 * before, 3)}


def warm(ctx: Ctx, inp: Input) -> Plan:
    """Lever ``warm_cache``: a warm-up job fills the cache from a snapshot (``prewarm`` s)."""
    assert isinstance(inp, WarmCache)
    cache = ctx.need("cache", inp.cache, ctx.world.caches)
    if cache.hit >= cache.target:
        raise NotAllowed(f"cache {cache.spec.name} is already warm ({100 * cache.hit:g}% hits)")
    if not cache.spec.snapshot:  # a warm-up job needs something to load from
        raise NotAllowed(
            f"cache {cache.spec.name} has no snapshot to warm from: it fills only from the "
            "reads that reach the database"
        )

    def plan(seq: int) -> None:
        ctx.effect(seq, cache.spec.name, "cache warm-up started", ready_in_s=cache.spec.prewarm)

        def done() -> None:
            cache.set(hit=cache.target)
            ctx.effect(seq, cache.spec.name, "cache warmed", hit_pct=cache.spec.hit_pct)

        ctx.later(cache.spec.prewarm, done)

    return plan


def coalesce(ctx: Ctx, inp: Input) -> Plan:
    """Lever ``set_coalescing``: misses of one key wait for one read, or each reads."""
    assert isinstance(inp, SetCoalescing)
    cache = ctx.need("cache", inp.cache, ctx.world.caches)

    def plan(seq: int) -> None:
        def apply() -> None:
            cache.set(coalescing=inp.enabled)
            what = "request coalescing on" if inp.enabled else "request coalescing off"
            ctx.effect(seq, cache.spec.name, what)

        ctx.later(COALESCE_S, apply)

    return plan


MECHANIC = Mechanic(
    name="caches",
    faults={"cache_flush": flush},
    levers={"warm_cache": warm, "set_coalescing": coalesce},
    says={
        "warm_cache": lambda d: f"started a warm-up of cache {d.get('cache')}",
        "set_coalescing": lambda d: (
            f"turned request coalescing {'on' if d.get('enabled') else 'off'} "
            f"for cache {d.get('cache')}"
        ),
    },
    tells={"cache_flush": lambda f: f"Cache {f.cache} lost its contents"},
)
