"""Workers sharing one PostgreSQL store and a Redis bus, as separate `firedrill serve` processes."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from click.testing import CliRunner

from server.cli.serve import serve
from server.errors import StoreLocked
from server.store_pg import PostgresStore

from .drillkit import Peer, Process, bearer, create_drill, join, open_peer
from .pgkit import URL, schema_url
from .rediskit import redis_url  # noqa: F401  (a fixture)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def workers(pg_schema: str, redis_url: str) -> Iterator[list[Process]]:  # noqa: F811
    """Three workers of one cluster, each on its own port (a load balancer's view of them)."""
    procs = [Process(schema_url(pg_schema), _port(), "--bus", redis_url) for _ in range(3)]
    try:
        for p in procs:
            p.start()
        yield procs
    finally:
        for p in procs:
            p.stop()


async def _caught_up(peer: Peer, seq: int) -> None:
    await peer.until(lambda: peer.last_seq == seq)


async def _export(client: httpx.AsyncClient, drill_id: str, token: str) -> list[dict[str, Any]]:
    r = await client.get(f"/api/drills/{drill_id}/log", headers=bearer(token))
    assert r.status_code == 200, r.text
    return [orjson.loads(line) for line in r.content.splitlines()]


async def test_a_worker_killed_mid_drill_loses_nothing_and_the_drill_goes_on(
    workers: list[Process],
) -> None:
    """Clients on three workers; the owner is SIGKILLed while the drill runs.

    Every acked input is in the log; the drill keeps running on another worker; every
    client's events (across its reconnect) are the log export of its view, no gap, no repeat.
    """
    a, b, c = workers
    async with (
        httpx.AsyncClient(base_url=a.http, timeout=10) as on_a,
        httpx.AsyncClient(base_url=b.http, timeout=10) as on_b,
    ):
        drill = await create_drill(on_a, speed=20, seed=3)  # created on a: a owns it
        erin = await join(on_b, drill, drill.player_code, "erin", "ic")  # joined through b
        watcher = await join(on_b, drill, drill.observer_code)
        fac = await open_peer(a.ws, drill.id, drill.facilitator)
        player = await open_peer(b.ws, drill.id, erin)
        observer = await open_peer(c.ws, drill.id, watcher)
        assert [p["name"] for p in fac.welcome["roster"]] == ["facilitator", "erin", "observer"]
        acked: list[tuple[int, str]] = []
        assert (await fac.control("start"))["type"] == "ack"
        reply = await player.act({"type": "take_command"})  # forwarded from b to a
        assert reply["type"] == "ack", reply
        acked.append((reply["seq"], "take_command"))
        reply = await player.act({"type": "chat", "text": "looking at checkout"})
        assert reply["type"] == "ack", reply
        acked.append((reply["seq"], "chat"))
        # garbage through a follower: the owner's error, the drill unharmed
        reply = await player.act({"type": "reboot_the_internet"})
        assert (reply["type"], reply["code"]) == ("error", "unknown_action"), reply
        reply = await player.act({"type": "chat"})
        assert (reply["type"], reply["code"]) == ("error", "invalid_input"), reply
        # REST through the third worker is forwarded too, and answers with the owner's seq
        async with httpx.AsyncClient(base_url=c.http, timeout=20) as on_c:
            r = await on_c.post(
                f"/api/drills/{drill.id}/inputs",
                json={"input": {"type": "chat", "text": "over REST"}},
                headers=bearer(erin),
            )
            assert r.status_code == 200, r.text
            acked.append((r.json()["seq"], "chat"))
            r = await on_c.post(
                f"/api/drills/{drill.id}/control", json={"action": "start"}, headers=bearer(erin)
            )
            assert (r.status_code, r.json()["error"]) == (403, "forbidden"), r.text
            r = await on_c.post(
                f"/api/drills/{drill.id}/control",
                json={"action": "start"},
                headers=bearer(drill.facilitator),
            )
            assert (r.status_code, r.json()["error"]) == (409, "illegal_transition"), r.text
        # the follower on c shows the player's input under the owner's seq
        await observer.event(lambda e: e["seq"] == acked[0][0])
        started = await observer.until(lambda: observer.last_seq)
        await observer.until(lambda: (observer.last_seq or 0) > started)  # the clock runs

        a.kill()
        await fac.wait_closed()
        # b or c takes the lease; an input sent meanwhile waits for the new owner
        reply = await player.act({"type": "chat", "text": "still here"})
        assert reply["type"] == "ack", reply
        acked.append((reply["seq"], "chat"))
        before = observer.last_seq or 0
        await observer.until(lambda: (observer.last_seq or 0) > before + 1)  # it goes on
        # the facilitator comes back through another worker and resumes where it was
        fac2 = await open_peer(c.ws, drill.id, drill.facilitator, last_seq=fac.last_seq)
        assert fac2.welcome["resume"]["mode"] == "events"
        assert fac2.welcome["status"] == "running"
        reply = await fac2.control("pause")
        assert reply["type"] == "ack", reply

        full = await _export(on_b, drill.id, drill.facilitator)
        public = await _export(on_b, drill.id, watcher)
        assert [e["seq"] for e in full] == list(range(1, len(full) + 1))
        for peer, view in ((player, public), (observer, public), (fac2, full)):
            await _caught_up(peer, view[-1]["seq"])
        assert fac.events + fac2.events == full
        assert player.events == public
        assert observer.events == public
        by_seq = {e["seq"]: e for e in full}
        for seq, kind in acked:
            assert (by_seq[seq]["type"], by_seq[seq]["data"]["type"]) == ("input", kind)
            assert by_seq[seq]["actor"] == "erin"
        chats = [e["data"]["text"] for e in full if e["type"] == "input" and "text" in e["data"]]
        assert chats == ["looking at checkout", "over REST", "still here"]
        assert fac2.events[0]["seq"] == fac.events[-1]["seq"] + 1
        assert any(e["t"] > by_seq[acked[-1][0]]["t"] for e in fac2.events)  # time went on
        for peer in (fac, player, observer, fac2):
            await peer.close()


def test_a_cluster_and_a_lone_server_never_share_a_store(pg_schema: str) -> None:
    """Workers hold the store together; a server started without --bus is refused, and back."""
    w1 = PostgresStore(URL, pg_schema, cluster=True)
    w2 = PostgresStore(URL, pg_schema, cluster=True)
    with pytest.raises(StoreLocked, match="is in use by another firedrill server"):
        PostgresStore(URL, pg_schema)
    w1.close()
    w2.close()
    alone = PostgresStore(URL, pg_schema)
    with pytest.raises(StoreLocked, match="in use by a firedrill server started without --bus"):
        PostgresStore(URL, pg_schema, cluster=True)
    alone.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--workers", "2"], "--workers 2 needs --store postgresql://..."),
        (["--workers", "2", "--store", "var/x.db"], "--workers 2 needs --store postgresql://..."),
        (
            ["--workers", "3", "--store", "postgresql://u@127.0.0.1/x"],
            "--workers 3 needs --bus redis://...",
        ),
        (["--bus", "redis://127.0.0.1:6379/0"], "--bus needs --store postgresql://..."),
        (
            ["--bus", "http://127.0.0.1:6379", "--store", "postgresql://u@127.0.0.1/x"],
            "Invalid value for --bus: expected a redis:// URL",
        ),
        (["--workers", "0"], "Invalid value for '--workers': 0 is not in the range 1<=x<=64"),
        (["--workers", "many"], "Invalid value for '--workers': 'many' is not a valid integer"),
        (["--workers", "65"], "Invalid value for '--workers': 65 is not in the range 1<=x<=64"),
    ],
)
def test_serve_refuses_workers_and_bus_it_cannot_honour(args: list[str], message: str) -> None:
    """Several workers need a shared store and a bus; bad values are usage errors (exit 2)."""
    result = CliRunner().invoke(serve, ["--port", "0", *args])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split()), result.output


async def test_serve_workers_runs_several_processes_on_one_port(
    pg_schema: str,
    redis_url: str,  # noqa: F811
) -> None:
    """`--workers 2`: two processes answer on one port and share the drills."""
    p = Process(schema_url(pg_schema), _port(), "--bus", redis_url, "--workers", "2")
    try:
        p.start()
        async with httpx.AsyncClient(base_url=p.http, timeout=10) as client:
            drill = await create_drill(client)
            for _ in range(20):  # new connections land on either worker
                async with httpx.AsyncClient(base_url=p.http, timeout=10) as fresh:
                    r = await fresh.get(
                        f"/api/drills/{drill.id}", headers=bearer(drill.facilitator)
                    )
                    assert r.status_code == 200, r.text
        peers: list[Peer] = [await open_peer(p.ws, drill.id, drill.facilitator) for _ in range(4)]
        reply = await peers[0].control("start")
        assert reply["type"] == "ack"
        for peer in peers:
            await peer.event(lambda e: e["seq"] == reply["seq"])
            await peer.close()
        assert "worker pid" in p.banner
    finally:
        p.stop()
