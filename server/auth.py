"""Tokens, roles and the one permission table.

Every participant holds its own token (256 random bits); join codes are
128-bit secrets shared by the facilitator to let people mint a token. The
store keeps only SHA-256 digests of both, so a leaked database grants
nothing. Tokens are looked up by their digest (timing of an index lookup
reveals nothing about a 256-bit secret); codes, which are compared against
one drill's stored digests, use :func:`hmac.compare_digest`. What each role
may do is :data:`PERMISSIONS`: the engine's own input table
(engine.inputs.PERMISSIONS) plus the server's controls and routes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Literal

from engine.inputs import INPUT_TYPES
from engine.inputs import PERMISSIONS as INPUT_PERMISSIONS

from .errors import Forbidden
from .lifecycle import ACTIONS

Role = Literal["facilitator", "player", "observer"]
ROLES: tuple[Role, ...] = ("facilitator", "player", "observer")
IncidentRole = Literal["ic", "comms", "ops", "scribe"]

_ALL = frozenset(ROLES)
_FAC = frozenset({"facilitator"})

PERMISSIONS: dict[str, frozenset[str]] = {
    # inputs: derived from the engine's table so the two can never disagree
    **{
        f"input:{t}": frozenset(r for r, types in INPUT_PERMISSIONS.items() if t in types)
        for t in INPUT_TYPES
    },
    # control frames (and POST /control) are clock inputs with a friendlier shape
    **{f"control:{a}": _FAC for a in ACTIONS},
    "input:as_player": _FAC,  # `as`: act on behalf of a player
    "read:state": _ALL,
    "read:log": _ALL,  # filtered to the role's view
    "read:truth": _FAC,  # hidden truth, facilitator-only events and notes
    "read:report_live": _FAC,  # grade / postmortem before the drill has ended
    "read:report": _ALL,  # grade / postmortem once the drill has ended
    "drill:codes": _FAC,  # rotate the join codes
    "read:history": frozenset({"facilitator", "player"}),  # runs: a player's own, or everyone's
}


def may(role: str, action: str) -> bool:
    return role in PERMISSIONS.get(action, frozenset())


def require(role: str, action: str) -> None:
    """Raise Forbidden naming the action and who may perform it."""
    if not may(role, action):
        who = sorted(PERMISSIONS.get(action, frozenset()))
        allowed = " or ".join(_a(w) for w in who) if who else "nobody"
        raise Forbidden(f"{_a(role)} may not {describe(action)}; only {allowed} may")


_DESCRIBE = {
    "input:as_player": "act on behalf of a player (`as`)",
    "control:end": "end the drill",
    "read:truth": "see the hidden truth",
    "read:report_live": "read the grade or postmortem before the drill ends",
    "read:report": "read the grade or postmortem",
    "drill:codes": "rotate the join codes",
}


def describe(action: str) -> str:
    if action in _DESCRIBE:
        return _DESCRIBE[action]
    kind, _, what = action.partition(":")
    return {
        "input": f"send {what}",
        "control": f"{what} the clock",
        "read": f"read the {what}",
    }.get(kind, action)


def _a(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_code() -> str:
    return secrets.token_urlsafe(16)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def matches(secret: str, stored_digest: str) -> bool:
    """Constant-time comparison of a presented secret with a stored digest."""
    return hmac.compare_digest(digest(secret), stored_digest)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is on the other end of a token."""

    drill_id: str
    role: Role
    name: str
    incident_role: IncidentRole | None = None

    @property
    def view(self) -> str:
        """Which stream of events this principal sees."""
        return "facilitator" if self.role == "facilitator" else "public"

    def public(self) -> dict[str, str | None]:
        return {"name": self.name, "role": self.role, "incident_role": self.incident_role}
