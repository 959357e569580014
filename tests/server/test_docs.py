"""The server's docs list every route, frame type, error code and close code it has."""

from __future__ import annotations

from pathlib import Path

from server.app import create_app
from server.errors import CLOSE
from server.lifecycle import ACTIONS
from server.protocol import FRAME_TYPES

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_route_is_documented() -> None:
    text = (DOCS / "server.md").read_text()
    paths = create_app().openapi()["paths"]
    missing = [
        f"{m.upper()} {p}"
        for p, ops in paths.items()
        for m in ops
        if f"`{m.upper()} {p}`" not in text
    ]
    assert missing == []


def test_every_frame_code_and_close_code_is_documented() -> None:
    text = (DOCS / "protocol.md").read_text()
    server_frames = ("welcome", "events", "ack", "error", "clock", "roster")
    codes = (
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
        "unauthorized",
        "internal",
    )
    for name in (*FRAME_TYPES, *server_frames, *codes, *ACTIONS):
        assert f"`{name}`" in text, name
    for code in CLOSE.values():
        assert f"| {code} |" in text, code
