"""The WebSocket protocol, version 1: client frames (validated) and server frames (built).

docs/protocol.md is the specification. Client frames are parsed once, at the
edge, into frozen models; anything else becomes :class:`BadFrame` with a
message naming the field, what was expected and what arrived. Server frames
are built as bytes with orjson; an event is serialised once and the same
bytes are spliced into every frame that carries it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from .errors import BadFrame
from .lifecycle import ACTIONS

VERSION = 1
FRAME_TYPES = ("hello", "input", "control", "ping")

FrameId = Annotated[str, Field(min_length=1, max_length=64)]
Name = Annotated[str, Field(min_length=1, max_length=40)]


class _Frame(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    v: Literal[1] = 1


class Hello(_Frame):
    type: Literal["hello"]
    token: Annotated[str, Field(min_length=1, max_length=256)]
    last_seq: Annotated[int, Field(ge=0)] | None = None
    id: FrameId | None = None


class InputFrame(_Frame):
    id: FrameId
    type: Literal["input"]
    input: dict[str, Any]
    as_: Name | None = Field(None, alias="as")


class ControlFrame(_Frame):
    id: FrameId
    type: Literal["control"]
    action: Literal["start", "pause", "resume", "speed", "step", "jump", "end"]
    speed: Annotated[float, Field(gt=0, le=600)] | None = None
    seconds: Annotated[float, Field(gt=0, le=3600)] | None = None
    reason: Annotated[str, Field(max_length=200)] | None = None

    def as_input(self) -> dict[str, Any]:
        """The engine input this control stands for (clock and end are logged inputs)."""
        if self.action == "end":
            reason = {} if self.reason is None else {"reason": self.reason}
            return {"type": "end", **reason}
        data: dict[str, Any] = {"type": "clock", "action": self.action}
        if self.speed is not None:
            data["speed"] = self.speed
        if self.seconds is not None:
            data["seconds"] = self.seconds
        return data


class Ping(_Frame):
    id: FrameId
    type: Literal["ping"]


ClientFrame = Annotated[Hello | InputFrame | ControlFrame | Ping, Field(discriminator="type")]
_ADAPTER: TypeAdapter[Hello | InputFrame | ControlFrame | Ping] = TypeAdapter(ClientFrame)
assert set(ControlFrame.model_fields["action"].annotation.__args__) == set(ACTIONS)  # type: ignore[union-attr]


def parse_frame(text: str | bytes) -> Hello | InputFrame | ControlFrame | Ping:
    """Validate one client frame; raise BadFrame (with the frame's id when it has one)."""
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise BadFrame(f"a frame must be one JSON object; this is not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise BadFrame(f"a frame must be a JSON object (got {_kind(data)})")
    fid = data.get("id")
    fid = fid if isinstance(fid, str) and 0 < len(fid) <= 64 else None
    kind = data.get("type")
    if kind not in FRAME_TYPES:
        raise BadFrame(
            f"unknown frame type {kind!r}; expected one of: {', '.join(FRAME_TYPES)}", fid
        )
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as exc:
        raise BadFrame(f"{kind} frame: " + "; ".join(describe_errors(exc)), fid) from None


def describe_errors(exc: ValidationError, skip: int = 1) -> list[str]:
    """pydantic errors as 'field: expected ..., got ...' lines."""
    out = []
    for e in exc.errors():
        loc = ".".join(str(p) for p in e["loc"][skip:]) or "frame"
        if e["type"] == "missing":
            out.append(f"`{loc}` is required")
        elif e["type"] == "extra_forbidden":
            hint = " (the token belongs in the hello frame only)" if loc == "token" else ""
            out.append(f"`{loc}` is not a field of this frame{hint}")
        else:
            got = repr(e.get("input"))
            got = got if len(got) <= 60 else got[:57] + "..."
            out.append(f"`{loc}`: {e['msg'][0].lower()}{e['msg'][1:]} (got {got})")
    return out


def _kind(value: Any) -> str:
    return {
        list: "an array",
        str: "a string",
        int: "a number",
        float: "a number",
        bool: "a boolean",
        type(None): "null",
    }.get(type(value), type(value).__name__)


# ------------------------------------------------------------ server frames
def dumps(frame: dict[str, Any]) -> str:
    return orjson.dumps(frame).decode()


def events_frame(items: Sequence[bytes], seq: int) -> bytes:
    """One ``events`` frame, UTF-8, from already-serialised events (never re-serialised)."""
    head = b'{"v":1,"type":"events","seq":%d,"items":[' % seq
    return head + b",".join(items) + b"]}"


def ack(frame_id: str | None, seq: int) -> str:
    return dumps({"v": VERSION, "type": "ack", "id": frame_id, "seq": seq})


def error(frame_id: str | None, code: str, message: str, **extra: Any) -> str:
    return dumps(
        {"v": VERSION, "type": "error", "id": frame_id, "code": code, "message": message, **extra}
    )
