"""docs/protocol.md's *A session* is what a real server sends, frame for frame.

The transcript is read from the page: `->` lines are sent as written (with a real token
and the same `last_seq` the page shows), `<-` lines must each be met, in order, by a frame
the server sends (frames the page leaves out, e.g. further metrics, may come between).
A shown frame matches when every key it shows is there with the value it shows; `...`
stands for what the page leaves out, and values that differ from run to run (ids, tokens,
`seq`, `t` and resume counts, which depend on wall time at 60x) must have the shown type.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import httpx
import orjson
import websockets

from .drillkit import Live, create_drill, join, open_peer

PAGE = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
VOLATILE = {"drill_id", "token", "seq", "t", "from", "events", "speed"}


def transcript() -> list[list[tuple[str, Any]]]:
    """The session's blocks (before and after the reconnect) as (direction, frame) lines."""
    section = PAGE.read_text().split("## A session", 1)[1].split("\n## ", 1)[0]
    out = []
    for body in re.findall(r"^```\n(.*?)^```", section, re.S | re.M):
        lines = []
        for line in body.splitlines():
            arrow, _, shown = line.partition(" ")
            assert arrow in ("->", "<-"), line
            lines.append((arrow, elided(shown)))
        out.append(lines)
    assert len(out) == 2, "the session has two blocks: the first connection and the resume"
    return out


def elided(shown: str) -> Any:
    """A shown frame as JSON, the `...` it leaves out removed."""
    text = re.sub(r",\s*\.\.\.(?=\s*[,}\]])", "", shown)
    text = re.sub(r"(?<=[{\[])\s*\.\.\.\s*,?", "", text)
    return json.loads(text)


def matches(shown: Any, sent: Any, key: str = "") -> bool:
    if isinstance(shown, dict):
        return isinstance(sent, dict) and all(
            k in sent and matches(v, sent[k], k) for k, v in shown.items()
        )
    if isinstance(shown, list):
        return (
            isinstance(sent, list)
            and len(shown) <= len(sent)
            and all(matches(a, b) for a, b in zip(shown, sent, strict=False))
        )
    if key in VOLATILE:
        return isinstance(sent, type(shown)) or (isinstance(shown, float) and isinstance(sent, int))
    return bool(shown == sent)


async def follow(ws: Any, lines: list[tuple[str, Any]], token: str, start: Any = None) -> None:
    """Send the `->` frames, meet each `<-` frame in order; ``start`` runs after the
    first frames the page shows before the facilitator's start."""
    for n, (arrow, frame) in enumerate(lines):
        if arrow == "->":
            if frame.get("type") == "hello":
                frame = {**frame, "token": token}
            await ws.send(orjson.dumps(frame).decode())
            continue
        seen = []
        while True:
            got = orjson.loads(await asyncio.wait_for(ws.recv(), 20))
            seen.append(got)
            if matches(frame, got):
                break
            assert len(seen) < 200, f"line {n}: {frame} never came; last: {seen[-3:]}"
        if start is not None and frame.get("type") == "events" and frame.get("seq") == 2:
            await start()  # the page's next frames follow the facilitator's start


async def test_the_documented_session_is_what_the_server_sends(
    live: Live, http: httpx.AsyncClient
) -> None:
    first, resumed = transcript()
    drill = await create_drill(http, speed=60)
    alice = await join(http, drill, drill.player_code, "alice")
    fac = await open_peer(live.ws, drill.id, drill.facilitator)

    async def start() -> None:
        assert (await fac.control("start"))["type"] == "ack"

    async with websockets.connect(f"{live.ws}/ws/{drill.id}") as ws:
        await follow(ws, first, alice, start)
    shown = resumed[1][1]["seq"]  # the log is this far on when alice comes back
    await fac.until(lambda: (fac.last_seq or 0) >= shown)
    async with websockets.connect(f"{live.ws}/ws/{drill.id}") as ws:
        await follow(ws, resumed, alice)
    await fac.close()


def test_an_elided_frame_still_has_to_match() -> None:
    """The matcher is not a yes-machine: a wrong code, message or missing key fails."""
    shown = elided('{"v":1,"type":"error","id":"a2","code":"invalid_input",...}')
    assert matches(shown, {"v": 1, "type": "error", "id": "a2", "code": "invalid_input", "m": 1})
    assert not matches(shown, {"v": 1, "type": "error", "id": "a2", "code": "bad_frame"})
    assert not matches(shown, {"v": 1, "type": "error", "code": "invalid_input"})
    assert not matches(elided('{"items":[{"seq":1},{"seq":2}]}'), {"items": [{"seq": 1}]})
