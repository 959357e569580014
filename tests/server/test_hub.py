"""Fan-out: one slow client is cut off; the others never wait for it."""

from __future__ import annotations

import asyncio

from engine.log import Event
from server.auth import Principal
from server.hub import Client, Hub


async def test_a_slow_client_is_cut_off_and_the_rest_keep_receiving() -> None:
    """A stuck socket gets a bounded backlog, then close 4008; publishing never waits on it."""
    unstuck = asyncio.Event()
    got: list[str] = []
    slow_got: list[str] = []

    async def stuck(frame: str) -> None:
        await unstuck.wait()
        slow_got.append(frame)

    async def fast(frame: str) -> None:
        got.append(frame)

    hub = Hub()
    slow = Client(Principal("d", "observer", "slow"), stuck, max_frames=3)
    quick = Client(Principal("d", "observer", "quick"), fast, max_frames=3)
    for c in (slow, quick):
        hub.add(c)
    for i in range(6):
        hub.broadcast(f"frame {i}")
    assert got == [f"frame {i}" for i in range(6)]  # written synchronously, in order
    assert list(slow.backlog) == ["frame 1", "frame 2", "frame 3"]
    assert (slow.close_code, slow.close_reason) == (
        4008,
        "too slow: 3 frames were waiting; reconnect with your last seq to resume",
    )
    assert slow.closing.is_set() and quick.close_code is None
    await slow.aclose()
    await quick.aclose()


async def test_a_briefly_blocked_client_gets_its_backlog_in_order() -> None:
    """When the socket drains, the waiting frames follow the blocked one, in order."""
    gate = asyncio.Event()
    got: list[str] = []

    async def send(frame: str) -> None:
        if frame == "a":
            await gate.wait()
        got.append(frame)

    client = Client(Principal("d", "player", "p"), send, max_frames=5)
    for f in ("a", "b", "c"):
        client.send(f)
    assert got == []
    gate.set()
    for _ in range(5):
        await asyncio.sleep(0)
    assert got == ["a", "b", "c"] and client.close_code is None
    client.send("d")
    assert got == ["a", "b", "c", "d"]
    await client.aclose()


def test_events_are_serialised_once_per_view() -> None:
    """Facilitators get every event; others only vis=all ones, from the same bytes."""
    sent: dict[str, list[str]] = {"fac": [], "obs": []}

    def recorder(key: str):  # type: ignore[no-untyped-def]
        async def send(frame: str) -> None:
            sent[key].append(frame)

        return send

    hub = Hub()
    hub.add(Client(Principal("d", "facilitator", "f"), recorder("fac"), 10))
    hub.add(Client(Principal("d", "observer", "o"), recorder("obs"), 10))
    events = [
        Event(1, 0.0, "system", "state", {"what": "x"}, "facilitator"),
        Event(2, 0.0, "system", "page", {"alert": "A"}),
    ]
    blobs = [e.to_json() for e in events]
    hub.publish(events, blobs, blobs)
    fac, obs = sent["fac"][0], sent["obs"][0]
    assert fac.startswith('{"v":1,"type":"events","seq":2,"items":[{"actor"')
    assert '"seq":1' in fac and '"seq":1' not in obs
    assert obs == '{"v":1,"type":"events","seq":2,"items":[' + events[1].to_json().decode() + "]}"
