"""The bus and the follower copies it feeds, in one process against real PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from server.auth import Principal
from server.bus import Bus, Handler, LocalBus, RedisBus, open_bus
from server.cluster import Cluster
from server.drills import Drills
from server.lease import Leases
from server.library import Library
from server.settings import Settings
from server.store_pg import PostgresStore

from .drillkit import SCENARIO
from .pgkit import URL
from .rediskit import redis_url  # noqa: F401  (a fixture)


async def _received(bus: Bus, n: int) -> list[bytes]:
    got: list[bytes] = []
    done = asyncio.Event()

    def handler(channel: str, data: bytes) -> None:
        got.append(data)
        if len(got) == n:
            done.set()

    await bus.subscribe("t:*", handler, pattern=True)
    for i in range(n):
        bus.publish(f"t:{i % 3}", str(i).encode())
    await asyncio.wait_for(done.wait(), 10)
    return got


async def test_redis_delivers_in_publication_order(redis_url: str) -> None:  # noqa: F811
    """Messages published in a burst over several channels arrive in the order sent."""
    bus = RedisBus(redis_url)
    await bus.start()
    try:
        assert await _received(bus, 500) == [str(i).encode() for i in range(500)]
    finally:
        await bus.close()


async def test_the_local_bus_keeps_the_same_order() -> None:
    bus = LocalBus()
    await bus.start()
    assert await _received(bus, 50) == [str(i).encode() for i in range(50)]


async def test_an_unreachable_bus_is_a_clear_error() -> None:
    bus = open_bus("redis://127.0.0.1:1/0")
    with pytest.raises(RuntimeError, match=r"cannot reach the bus at redis://127\.0\.0\.1:1/0"):
        await bus.start()
    with pytest.raises(RuntimeError, match="expected a redis:// URL for the bus"):
        open_bus("amqp://x")


class Lossy:
    """A bus that loses the first ``drop`` messages of the owner's syncs (a dropped link)."""

    def __init__(self, inner: Bus, drop: int) -> None:
        self.inner, self.drop = inner, drop

    async def start(self) -> None:
        await self.inner.start()

    def publish(self, channel: str, data: bytes) -> None:
        self.inner.publish(channel, data)

    async def subscribe(self, channel: str, handler: Handler, pattern: bool = False) -> None:
        def lossy(ch: str, data: bytes) -> None:
            if ":sync:" in ch and self.drop > 0:
                self.drop -= 1
                return
            handler(ch, data)

        await self.inner.subscribe(channel, lossy, pattern)

    async def unsubscribe(self, channel: str) -> None:
        await self.inner.unsubscribe(channel)

    async def close(self) -> None:
        await self.inner.close()


@pytest.fixture
async def pair(pg_schema: str, redis_url: str) -> AsyncIterator[tuple[Drills, Drills]]:  # noqa: F811
    """Two workers of one cluster in this process; the second loses its first two syncs."""
    made: list[Drills] = []
    for drop in (0, 2):
        store = PostgresStore(URL, pg_schema, cluster=True)
        bus: Bus = Lossy(RedisBus(redis_url), drop)
        cluster = Cluster(bus, Leases(store.url, store.schema), f"{URL}/{pg_schema}")
        await cluster.start()
        made.append(Drills(store, Library(), Settings(), cluster))
    yield made[0], made[1]
    for d in made:
        await d.close()
        d.store.close()


async def test_a_follower_that_misses_syncs_rebuilds_and_shows_the_same_log(
    pair: tuple[Drills, Drills],
) -> None:
    """Lost messages are noticed by number; the follower rebuilds from the store and its
    clients get exactly the owner's events, in order, under the same seqs."""
    one, two = pair
    owner, _ = one.create(SCENARIO, 3, 1.0, "fac")
    fac = Principal(owner.id, "facilitator", "fac")
    follower = await two.get(owner.id)
    assert (owner.owner, follower.owner) == (True, False)
    owner.apply(fac, {"type": "clock", "action": "jump", "seconds": 120})  # lost
    owner.apply(fac, {"type": "note", "text": "first"})  # lost
    owner.apply(fac, {"type": "clock", "action": "jump", "seconds": 60})  # a gap: rebuild
    owner.apply(fac, {"type": "note", "text": "second"})
    for _ in range(200):
        if follower.seq == owner.seq:
            break
        await asyncio.sleep(0.02)
    assert follower.seq == owner.seq
    assert follower.export("facilitator") == owner.export("facilitator")
    assert b'"second"' in follower.export("facilitator")
    # an input sent to the follower is applied by the owner and acked with its seq
    done = await follower.submit(fac, {"type": "note", "text": "via the follower"})
    assert owner.drill.log.events[done.seq - 1].data == {"type": "note", "text": "via the follower"}
    # the same frame id again is recognised, not applied twice
    again = await follower.submit(fac, {"type": "note", "text": "x"}, frame_id="f1")
    with pytest.raises(Exception, match="already applied") as dup:
        await follower.submit(fac, {"type": "note", "text": "x"}, frame_id="f1")
    assert getattr(dup.value, "seq", None) == again.seq
    assert getattr(dup.value, "code", None) == "duplicate_frame"


async def test_a_follower_nobody_watches_is_dropped_and_comes_back_on_demand(
    pair: tuple[Drills, Drills], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker stops mirroring a drill none of its clients watch; the next client gets a
    fresh copy, equal to the owner's."""
    one, two = pair
    owner, _ = one.create(SCENARIO, 3, 1.0, "fac")
    fac = Principal(owner.id, "facilitator", "fac")
    await two.get(owner.id)
    monkeypatch.setattr("server.drills.FOLLOW_IDLE", 0.0)
    assert two.claim() == []  # owned by the other worker: nothing to take
    assert owner.id not in two.live
    owner.apply(fac, {"type": "clock", "action": "jump", "seconds": 90})
    follower = await two.get(owner.id)
    assert follower.export("facilitator") == owner.export("facilitator")
    assert one.claim() == [] and owner.owner


async def test_a_client_resuming_past_a_lagging_follower_gets_no_repeat(
    pair: tuple[Drills, Drills],
) -> None:
    """A client saw seq N through another worker; the follower here has not heard of N yet:
    it catches up from the store before the client attaches, so N is not sent again."""
    one, two = pair
    owner, _ = one.create(SCENARIO, 3, 1.0, "fac")
    fac = Principal(owner.id, "facilitator", "fac")
    follower = await two.get(owner.id)
    owner.apply(fac, {"type": "note", "text": "seen elsewhere"})  # its sync never arrives
    await asyncio.sleep(0.2)
    assert follower.seq < owner.seq
    two.catch_up(follower, owner.seq)
    assert follower.seq == owner.seq
    assert follower.export("facilitator") == owner.export("facilitator")
