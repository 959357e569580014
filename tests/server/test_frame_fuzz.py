"""Fuzzing the WebSocket: whatever a client sends, it gets one reply per frame, and the drill
changes only by the inputs the server acknowledged.

Hypothesis writes the frames: random bytes, random text, random JSON, and real frames with
fields removed, retyped or replaced, with ids drawn from a small pool so that re-used and
out-of-order ids are common. A synchronous client keeps hypothesis in charge of the loop.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.sync.client import ClientConnection, connect

from server.settings import Limits, Settings

from .drillkit import SCENARIO, Live, bearer, hello, start_in_thread

DOCUMENTED_CODES = {
    "bad_frame",
    "unknown_action",
    "invalid_input",
    "not_allowed",
    "forbidden",
    "not_found",
    "duplicate_frame",
    "illegal_transition",
    "not_running",
    "rate_limited",
}


@dataclass
class Target:
    live: Live
    drill_id: str
    tokens: dict[str, str]  # role -> token
    acked_inputs: int = 0


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """A paused drill (no ticks: the log moves only by acked inputs) on a server whose rate
    limit stays out of the way."""
    db = tmp_path_factory.mktemp("fuzz") / "f.db"
    live = start_in_thread(
        Settings(db=str(db), limits=Limits(inputs_per_second=10_000, input_burst=10_000))
    )
    with httpx.Client(base_url=live.http) as http:
        body = http.post("/api/drills", json={"scenario": SCENARIO, "seed": 3}).json()
        drill_id = body["drill_id"]
        tokens = {"facilitator": body["facilitator_token"]}
        for role, code in (("player", body["player_code"]), ("observer", body["observer_code"])):
            r = http.post(f"/api/drills/{drill_id}/join", json={"code": code, "name": role})
            tokens[role] = r.json()["token"]
        for action in ("start", "pause"):
            http.post(
                f"/api/drills/{drill_id}/control",
                json={"action": action},
                headers=bearer(tokens["facilitator"]),
            )
    yield Target(live, drill_id, tokens)
    live.stop()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
ids = st.sampled_from(["1", "2", "3", "a", "z9", "", "x" * 65]) | st.integers(-2, 2) | st.none()
VALID = [
    {"type": "input", "input": {"type": "chat", "text": "hi"}},
    {"type": "input", "input": {"type": "take_command"}},
    {"type": "input", "input": {"type": "rollback", "service": "checkout-api"}},
    {"type": "input", "input": {"type": "note", "text": "n"}},
    {"type": "input", "input": {"type": "chat", "text": "x"}, "as": "player"},
    {"type": "control", "action": "resume"},
    {"type": "control", "action": "speed", "speed": 2},
    {"type": "ping"},
    {"type": "hello", "v": 1, "token": "t"},
]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A real frame with an id from the pool and up to two fields removed or replaced."""
    frame: dict[str, Any] = {**copy.deepcopy(draw(st.sampled_from(VALID))), "id": draw(ids)}
    for _ in range(draw(st.integers(0, 2))):
        key = draw(st.sampled_from([*sorted(frame), "input.type", "input.text", "extra", "v"]))
        where, _, inner = key.partition(".")
        box = frame.get(where) if inner else frame
        if not isinstance(box, dict):
            continue
        name = inner or where
        if draw(st.booleans()):
            box.pop(name, None)
        else:
            box[name] = draw(json_values)
    return json.dumps(frame)


frames = st.lists(
    st.one_of(
        mutated(),
        mutated(),
        st.binary(max_size=64),
        st.text(max_size=200),
        json_values.map(json.dumps),
    ),
    min_size=1,
    max_size=8,
)


def _reply(ws: ClientConnection) -> dict[str, Any]:
    """The next ack or error (event, clock and roster frames may come between)."""
    while True:
        frame = orjson.loads(ws.recv(timeout=10))
        if frame["type"] in ("ack", "error"):
            return frame  # type: ignore[no-any-return]


def _usable_id(raw: str | bytes) -> str | None:
    try:
        fid = json.loads(raw).get("id")
    except (ValueError, AttributeError, TypeError):
        return None
    return fid if isinstance(fid, str) and 0 < len(fid) <= 64 else None


@settings(
    max_examples=120, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(role=st.sampled_from(["player", "observer", "facilitator"]), batch=frames)
def test_any_frames_get_one_reply_each_and_only_acked_inputs_change_the_drill(
    target: Target, role: str, batch: list[str | bytes]
) -> None:
    url = f"{target.live.ws}/ws/{target.drill_id}"
    with connect(url, compression=None) as ws:
        ws.send(hello(target.tokens[role]))
        welcome = orjson.loads(ws.recv(timeout=10))
        assert welcome["type"] == "welcome"
        for raw in batch:
            ws.send(raw)
            reply = _reply(ws)
            assert reply["id"] == _usable_id(raw), (raw, reply)
            if reply["type"] == "error":
                assert reply["code"] in DOCUMENTED_CODES, (raw, reply)
                assert reply["message"], raw
            elif json.loads(raw)["type"] != "ping":
                target.acked_inputs += 1
        # the connection is still healthy after the garbage
        ws.send('{"id": "ping-after", "type": "ping"}')
        pong = _reply(ws)
        assert (pong["type"], pong["id"]) == ("ack", "ping-after")


def test_the_fuzzed_drill_holds_exactly_the_acked_inputs(target: Target) -> None:
    """Runs after the fuzzing (same module): the log grew by one input event per acked input
    frame (a resumed clock may add ticks, which are not inputs), and nothing else broke."""
    r = httpx.get(
        f"{target.live.http}/api/drills/{target.drill_id}/log",
        headers=bearer(target.tokens["facilitator"]),
    )
    log = [orjson.loads(line) for line in r.content.splitlines()]
    inputs = [e for e in log if e["type"] == "input"]
    assert len(inputs) == target.acked_inputs + 2  # + the start and pause of the fixture
    assert [e["seq"] for e in log] == list(range(1, len(log) + 1))
