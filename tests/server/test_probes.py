"""/healthz, /readyz and /metrics: what an orchestrator, a balancer and Prometheus read."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis

from server.bus import RedisBus
from server.settings import Settings
from server.telemetry import readiness_of_bus

from .drillkit import Connect, Live, create_drill, join, scraped, start_in_thread
from .rediskit import redis_url  # noqa: F401  (a fixture)


async def test_a_fresh_server_is_alive_ready_and_reports_nothing_live(
    http: httpx.AsyncClient,
) -> None:
    alive = await http.get("/healthz")
    assert alive.status_code == 200 and alive.json()["status"] == "ok"
    ready = await http.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready", "reasons": []})
    m = await http.get("/metrics")
    # the same figures as /api/health (this server may hold other tests' drills)
    health = (await http.get("/api/health")).json()
    assert scraped(m, "firedrill_live_drills") == health["drills"]["live"]
    assert scraped(m, "firedrill_store_ok") == 1
    assert scraped(m, "firedrill_drill_limit") == 200
    # operator routes stay out of the API's schema
    paths = (await http.get("/openapi.json")).json()["paths"]
    assert not {"/healthz", "/readyz", "/metrics"} & set(paths)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    """Here each test gets a server of its own: no other test's drill starts or ends while
    one counts (``http`` and ``peers`` use it)."""
    server = start_in_thread(Settings(db=str(tmp_path / "alone.db")))
    yield server
    server.stop()


async def test_metrics_follow_a_drill_its_clients_ticks_and_replies(
    live: Live, http: httpx.AsyncClient, peers: Connect
) -> None:
    before = await http.get("/metrics")
    assert scraped(before, "firedrill_live_drills") == 0
    drill = await create_drill(http, speed=120)
    alice = await join(http, drill, drill.player_code, "alice")
    fac = await peers(live.ws, drill.id, drill.facilitator)
    pa = await peers(live.ws, drill.id, alice)
    assert (await fac.control("start"))["type"] == "ack"
    assert (await pa.act({"type": "chat", "text": "looking"}))["type"] == "ack"
    assert (await pa.act({"type": "no_such_action"}))["type"] == "error"
    await pa.event(lambda e: e["type"] == "metrics" and e["t"] >= 60)

    m = await http.get("/metrics")

    def grew(name: str, **labels: str) -> float:
        return scraped(m, name, **labels) - scraped(before, name, **labels)

    assert grew("firedrill_live_drills") == 1
    assert grew("firedrill_owned_drills") == 1
    assert grew("firedrill_clients", view="facilitator") == 1
    assert grew("firedrill_clients", view="public") == 1
    assert grew("firedrill_reply_seconds_count", outcome="ack") == 2  # start, chat
    assert grew("firedrill_reply_seconds_count", outcome="error") == 1
    assert grew("firedrill_tick_lateness_seconds_count") >= 1
    # the drill's creation, the join and the inputs were written before they were answered
    assert grew("firedrill_store_write_seconds_count") >= 4
    assert grew("firedrill_store_write_failures_total") == 0

    await pa.close()
    for _ in range(100):
        m = await http.get("/metrics")
        if grew("firedrill_clients", view="public") == 0:
            break
        await asyncio.sleep(0.05)
    assert grew("firedrill_clients", view="public") == 0


async def test_a_bus_that_cannot_publish_makes_the_worker_not_ready(
    redis_url: str,  # noqa: F811
) -> None:
    """The real Redis client, pointed at a port where nothing listens after start: the
    failure is reported (readiness, failure count) and clears when publishing works again."""
    bus = RedisBus(redis_url)
    failures: list[int] = []
    bus.on_failure = lambda: failures.append(1)
    await bus.start()
    try:
        assert readiness_of_bus(bus) is None
        good = bus._pub
        bus._pub = aioredis.from_url("redis://127.0.0.1:1", socket_connect_timeout=1)
        bus.publish("probe", b"x")
        for _ in range(100):
            if readiness_of_bus(bus) is not None:
                break
            await asyncio.sleep(0.02)
        why = readiness_of_bus(bus)
        assert why is not None and why.startswith("bus: publish failed: "), why
        assert failures
        await bus._pub.aclose()
        bus._pub = good  # Redis is back: the queued message goes out, the worker is ready
        for _ in range(200):
            if readiness_of_bus(bus) is None:
                break
            await asyncio.sleep(0.02)
        assert readiness_of_bus(bus) is None
    finally:
        await bus.close()


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
async def test_probes_refuse_other_methods_with_a_json_error(
    http: httpx.AsyncClient, path: str
) -> None:
    r = await http.post(path, content=b"garbage")
    assert r.status_code == 405 and r.json()["error"] == "method_not_allowed", r.text
