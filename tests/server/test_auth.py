"""Tokens, digests and the permission table."""

from __future__ import annotations

import base64

import pytest

from engine.inputs import CATEGORY
from server.auth import PERMISSIONS, digest, matches, may, new_code, new_token, require
from server.errors import Forbidden


def test_tokens_are_unguessable_and_only_their_digest_is_kept() -> None:
    """256-bit tokens, 128-bit codes, SHA-256 digests compared in constant time."""
    token = new_token()
    assert len(base64.urlsafe_b64decode(token + "=")) == 32
    assert len(base64.urlsafe_b64decode(new_code() + "==")) == 16
    assert new_token() != token
    assert len(digest(token)) == 64 and token not in digest(token)
    assert matches(token, digest(token)) and not matches(token + "x", digest(token))


def test_input_permissions_are_the_engines() -> None:
    """Players may send every non-facilitation input; observers nothing; facilitators all."""
    for kind, category in CATEGORY.items():
        assert may("facilitator", f"input:{kind}")
        assert may("player", f"input:{kind}") == (category != "facilitate")
        assert not may("observer", f"input:{kind}")
    controls = [a for a in PERMISSIONS if a.startswith("control:")]
    assert controls and all(PERMISSIONS[a] == {"facilitator"} for a in controls)


def test_refusals_say_who_may() -> None:
    with pytest.raises(Forbidden) as info:
        require("observer", "read:report_live")
    assert str(info.value) == (
        "an observer may not read the grade or postmortem before the drill ends; "
        "only a facilitator may"
    )
