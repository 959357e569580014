"""The role matrix: every frame type and every route against every role, as documented.

The expectations are read from docs/server.md (the permission table and the
REST table's "who" column), so the test fails when the server and its
documentation disagree, whichever of the two is wrong.
"""

from __future__ import annotations

import base64
import contextlib
import hmac
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from engine.inputs import CATEGORY, INPUT_TYPES
from server import auth
from server.app import create_app
from server.lifecycle import ACTIONS

from .drillkit import Connect, Drill, Live, bearer, create_drill, hello, join

DOC = (Path(__file__).resolve().parents[2] / "docs" / "server.md").read_text()
ROLES = ("facilitator", "player", "observer")
OUTSIDERS = ("none", "other")  # no token; another drill's (valid) token

# One input of every type that checkout-deploy-500s accepts, so "allowed" can mean "acked".
# Inputs naming a topic, flag or certificate have no target in this scenario: allowed means "not refused
# for the role" (the engine then says the target is unknown).
INPUTS: dict[str, dict[str, Any]] = {
    "declare_incident": {"severity": "SEV2"},
    "take_command": {},
    "assign_role": {"person": "pia", "role": "comms"},
    "page_team": {"team": "payments"},
    "delegate": {"person": "Priya", "task": {"type": "list_changes"}},  # Priya is not paged
    "decide": {"text": "roll back first"},
    "hypothesis": {"text": "v143 is bad"},
    "view_dashboard": {"service": "checkout-api", "breakdown": "pod"},
    "read_logs": {"service": "checkout-api"},
    "list_changes": {},
    "check_migration": {"service": "checkout-api"},
    "inspect_queue": {"topic": "orders"},
    "inspect_dependency": {"dependency": "payments"},
    "inspect_database": {"database": "orders-db"},
    "ask_sme": {"team": "payments"},
    "state_impact": {"users_pct": 10, "trend": "stable", "data": "intact"},
    "rollback": {"service": "checkout-api"},
    "drain_pod": {"service": "checkout-api", "pod": "checkout-api-2265-0"},  # seed 1's pods
    "undrain_pod": {"service": "checkout-api", "pod": "checkout-api-2265-0"},
    "scale": {"service": "search-api", "pods": 5},
    "scale_consumers": {"topic": "orders", "consumers": 4},
    "set_flag": {"flag": "new-checkout", "enabled": False},
    "set_breaker": {"dependency": "payments", "state": "open"},
    "throttle_producer": {"topic": "orders", "allow_pct": 50},
    "skip_poison": {"topic": "orders"},
    "restart": {"target": "search-api"},
    "failover": {"database": "orders-db"},
    "shed_load": {"service": "checkout-api", "pct": 10},
    "kill_query": {"database": "orders-db"},
    "forward_fix": {"service": "checkout-api"},
    "rotate_certificate": {"certificate": "payments-mtls"},
    "restore_record": {"record": "payments"},
    "set_retries": {"service": "checkout-api", "dependency": "payments", "retries": 0},
    "evacuate_region": {"region": "us-east"},
    "reroute": {"component": "payments", "region": "us-east", "to": "us-west"},
    "rollback_config": {"config": "waf-rules"},
    "halt_config_push": {"config": "waf-rules"},
    "pause_autoscaler": {"service": "checkout-api"},
    "cap_autoscaler": {"service": "checkout-api", "max_pods": 8},
    "request_quota_raise": {"dependency": "payments", "rps": 500},
    "warm_cache": {"cache": "product-cache"},
    "set_coalescing": {"cache": "product-cache", "enabled": True},
    "free_resource": {"service": "checkout-api", "resource": "disk"},
    "raise_limit": {"service": "checkout-api", "resource": "memory"},
    "set_timeout": {"service": "checkout-api", "dependency": "payments", "timeout_ms": 500},
    "rate_limit": {"service": "checkout-api", "rps": 100, "client": "mobile-app"},
    "status_update": {"audience": "internal", "state": "investigating", "impact": "5xx"},
    "chat": {"text": "hello"},
    "inject": {"id": "vp-eta"},
    "message": {"sender": "VP", "text": "ETA?"},
    "note": {"text": "noted"},
    "use_prompt": {"id": "change-feed"},
    "clock": {"action": "speed", "speed": 2},
    "end": {},  # sent last, by itself
}
CONTROLS: dict[str, dict[str, Any]] = {
    "pause": {},
    "resume": {},
    "speed": {"speed": 2},
    "step": {},
    "jump": {"seconds": 5},
    "start": {},
    "end": {},  # start: already running (illegal, not forbidden); end: last
}


# ---------------------------------------------------------------- the docs
def _rows(after: str) -> list[list[str]]:
    """The rows of the first table after ``after`` (escaped pipes become slashes)."""
    text = DOC.split(after, 1)[1]
    lines = text[text.index("\n|") + 1 :].split("\n\n", 1)[0].splitlines()
    return [
        [c.strip().replace("\\|", "/") for c in re.split(r"(?<!\\)\|", ln.strip().strip("|"))]
        for ln in lines
        if ln.startswith("|") and not ln.startswith("|---")
    ][1:]


def documented_permissions() -> dict[str, frozenset[str]]:
    """docs/server.md's permission table, one entry per action name."""
    table: dict[str, frozenset[str]] = {}
    for cells in _rows("`engine.inputs.PERMISSIONS`) plus:\n"):
        first, marks = cells[0], cells[1:]
        who = frozenset(r for r, m in zip(ROLES, marks, strict=True) if m == "yes")
        for name in re.findall(r"`([a-z_]+:[^`]+)`", first.split("(")[0]):
            if name == "input:<type>":
                facilitation = "facilitate" in first
                names = [
                    f"input:{t}" for t, c in CATEGORY.items() if (c == "facilitate") == facilitation
                ]
            elif "<" in name:
                kind, options = name.split(":<")
                names = [f"{kind}:{o}" for o in options.rstrip(">").split("/")]
            else:
                names = [name]
            table.update(dict.fromkeys(names, who))
    return table


def documented_routes() -> dict[str, str]:
    """'METHOD /path' -> the REST table's "who" cell."""
    return {
        cells[0].strip("`"): cells[1]
        for cells in _rows("## REST API\n")
        if cells[0].startswith("`")
    }


DOCUMENTED = documented_permissions()


def test_the_documented_table_is_the_servers() -> None:
    assert DOCUMENTED == auth.PERMISSIONS
    app_routes = {
        f"{m.upper()} {p}" for p, ops in create_app().openapi()["paths"].items() for m in ops
    }
    assert set(documented_routes()) == app_routes
    assert set(INPUTS) == set(INPUT_TYPES) and set(CONTROLS) == set(ACTIONS)


def refusal(role: str, action: str) -> str:
    who = " or ".join(f"a {r}" for r in sorted(DOCUMENTED[action]))
    article = "an" if role[0] in "aeiou" else "a"
    return f"{article} {role} may not {auth.describe(action)}; only {who} may"


# ---------------------------------------------------------------- secrets
async def test_every_secret_has_at_least_128_bits_and_codes_compare_in_constant_time(
    http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    drill = await create_drill(http)
    player = await join(http, drill, drill.player_code, "sam")
    observer = await join(http, drill, drill.observer_code)
    for secret in (drill.facilitator, drill.player_code, drill.observer_code, player, observer):
        raw = base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))
        assert len(raw) * 8 >= 128, secret

    compared: list[tuple[str, str]] = []
    real = hmac.compare_digest

    def spy(a: str, b: str) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", spy)
    await join(http, drill, drill.player_code, "tia")
    r = await http.post(f"/api/drills/{drill.id}/join", json={"code": "guess", "name": "x"})
    assert r.status_code == 401
    assert len(compared) >= 3  # each code check went through compare_digest


# ---------------------------------------------------------------- WebSocket
@pytest.fixture
async def cast(tight: Any, peers: Connect) -> AsyncIterator[dict[str, Any]]:
    """A running drill with one peer per role, and a second drill for its token, on a
    server whose rate limit will not get in the way of ~50 frames per role."""
    live: Live = tight(inputs_per_second=1000, input_burst=1000)
    async with httpx.AsyncClient(base_url=live.http, timeout=10) as http:
        yield await _cast(live, http, peers)


async def _cast(live: Live, http: httpx.AsyncClient, peers: Connect) -> dict[str, Any]:
    drill = await create_drill(http, speed=1)
    other = await create_drill(http)
    tokens = {
        "facilitator": drill.facilitator,
        "player": await join(http, drill, drill.player_code, "pia"),
        "observer": await join(http, drill, drill.observer_code, "oli"),
    }
    socks = {r: await peers(live.ws, drill.id, t) for r, t in tokens.items()}
    assert (await socks["facilitator"].control("start"))["type"] == "ack"
    return {
        "drill": drill,
        "other": other,
        "tokens": tokens,
        "socks": socks,
        "live": live,
        "http": http,
    }


async def test_every_input_and_control_frame_against_every_role(cast: dict[str, Any]) -> None:
    """Allowed: acked, or refused by the engine for a reason other than the role.
    Not allowed: `forbidden`, with the documented message, and nothing logged."""
    socks = cast["socks"]
    outcomes: dict[tuple[str, str], str] = {}

    async def check(role: str, action: str, frame: dict[str, Any]) -> None:
        reply = await socks[role].request(frame)
        outcome = reply["type"] if reply["type"] == "ack" else reply["code"]
        outcomes[(role, action)] = outcome
        if role in DOCUMENTED[action]:
            assert outcome not in ("forbidden", "unauthorized"), (role, action, reply)
        else:
            assert (outcome, reply["message"]) == ("forbidden", refusal(role, action))

    for role in ("observer", "player", "facilitator"):
        for kind, params in INPUTS.items():
            if kind != "end":
                await check(
                    role, f"input:{kind}", {"type": "input", "input": {"type": kind, **params}}
                )
        await check(
            role,
            "input:as_player",
            {"type": "input", "input": {"type": "chat", "text": "x"}, "as": "pia"},
        )
        for action, params in CONTROLS.items():
            if action != "end":
                await check(
                    role, f"control:{action}", {"type": "control", "action": action, **params}
                )
        for kind in ("ping", "hello"):  # ping: everyone; a second hello: nobody
            reply = await socks[role].request(
                {"type": kind, **({"token": "t"} if kind == "hello" else {})}
            )
            assert reply["type"] == ("ack" if kind == "ping" else "error"), (role, kind)

    # "not forbidden" hides no other refusal: the facilitator's frames were acked except
    # those naming a topic, flag or certificate (this scenario has none) and start/step
    # while running
    refused = {a: o for (r, a), o in outcomes.items() if r == "facilitator" and o != "ack"}
    assert refused == {
        **dict.fromkeys(
            [
                f"input:{t}"
                for t in (
                    "inspect_queue",
                    "scale_consumers",
                    "set_flag",
                    "throttle_producer",
                    "skip_poison",
                    "rotate_certificate",
                    "restore_record",
                    "rollback_config",
                    "halt_config_push",
                    "reroute",
                    "warm_cache",
                    "set_coalescing",
                    "rate_limit",  # the scenario names no clients
                )
            ],
            "invalid_input",
        ),
        # mechanics this drill's scenario does not have: no autoscaler, quota or leak
        **dict.fromkeys(
            [
                f"input:{t}"
                for t in (
                    "pause_autoscaler",
                    "cap_autoscaler",
                    "request_quota_raise",
                    "free_resource",
                    "raise_limit",
                )
            ],
            "not_allowed",
        ),
        "input:delegate": "not_allowed",
        "control:step": "illegal_transition",
        "control:start": "illegal_transition",
    }
    # end, last: only the facilitator, as an input and as a control
    for role in ("observer", "player"):
        await check(role, "input:end", {"type": "input", "input": {"type": "end"}})
        await check(role, "control:end", {"type": "control", "action": "end"})
    await check("facilitator", "control:end", {"type": "control", "action": "end"})
    assert outcomes[("facilitator", "control:end")] == "ack"


async def test_outsiders_cannot_open_a_socket_with_any_frame(cast: dict[str, Any]) -> None:
    """No token, a made-up one, or another drill's: closed with a reason before any event."""
    drill: Drill = cast["drill"]
    other: Drill = cast["other"]
    firsts: list[tuple[str, str, str, int]] = [
        (
            hello(other.facilitator),
            "forbidden",
            f"this token belongs to another drill, not {drill.id}",
            4001,
        ),
        (hello("x" * 43), "unauthorized", "token not recognised; join the drill to get one", 4001),
        ('{"type": "hello", "v": 1}', "bad_frame", "hello frame: `token` is required", 4000),
    ]
    for kind in ("input", "control", "ping"):
        body = (
            {"input": {"type": "chat", "text": "x"}}
            if kind == "input"
            else ({"action": "pause"} if kind == "control" else {})
        )
        firsts.append(
            (
                orjson.dumps({"id": "1", "type": kind, **body}).decode(),
                "bad_frame",
                f"the first frame must be a hello, not {kind}",
                4000,
            )
        )
    for first, code, message, close in firsts:
        async with connect(f"{cast['live'].ws}/ws/{drill.id}") as ws:
            await ws.send(first)
            frames = []
            with contextlib.suppress(ConnectionClosed):  # 4xxx closes are errors to the client
                while True:
                    frames.append(orjson.loads(await ws.recv()))
            assert [(f["type"], f["code"], f["message"]) for f in frames] == [
                ("error", code, message)
            ]
            assert (ws.close_code, ws.close_reason) == (close, message)


# ---------------------------------------------------------------- REST
def _expected(route: str, who: str, role: str, ended: bool) -> int:
    """The status the REST table's "who" column and the permission table promise."""
    method = route.split()[0]
    created = ("POST /api/drills", "POST /api/solo", "POST /api/drills/{drill_id}/join")
    ok = 201 if route in created else 200
    if who == "anyone":
        return ok
    if role == "none":
        return 401
    if role == "other":
        return 403
    allowed = {
        "token": set(ROLES),
        "facilitator": {"facilitator"},
        "player, facilitator": {"player", "facilitator"},
    }[who]
    if role not in allowed:
        return 403
    reports = ("/grade", "/postmortem", "/compare")
    if route.endswith(reports) and not ended and role != "facilitator":
        return 409  # read:report, but not read:report_live
    if method == "POST" and route.endswith(("/control", "/inputs")) and ended:
        return 409
    return ok


async def test_every_route_against_every_role(cast: dict[str, Any]) -> None:
    """Each route answers each role (and outsiders) with the status its docs promise,
    before and after the drill ends."""
    drill: Drill = cast["drill"]
    http: httpx.AsyncClient = cast["http"]
    credentials = {**cast["tokens"], "other": cast["other"].facilitator}
    bodies: dict[str, Any] = {
        "POST /api/drills": {"scenario": "checkout-deploy-500s"},
        "POST /api/solo": {"scenario": "checkout-deploy-500s"},
        "POST /api/drills/{drill_id}/control": {"action": "speed", "speed": 2},
        "POST /api/drills/{drill_id}/inputs": {"input": {"type": "chat", "text": "hi"}},
    }
    routes = documented_routes()
    for ended in (False, True):
        for route, who in routes.items():
            if who == "code holders":
                continue  # join: decided by the code, not a token (below)
            method, path = route.split()
            for role in (*ROLES, *OUTSIDERS):
                headers = bearer(credentials[role]) if role in credentials else {}
                r = await http.request(
                    method,
                    path.replace("{drill_id}", drill.id),
                    json=bodies.get(route),
                    headers=headers,
                )
                want = _expected(route, who, role, ended)
                assert r.status_code == want, (route, role, ended, r.text)
                if r.status_code >= 400:
                    assert set(r.json()) == {"error", "message"}
        if not ended:
            assert (
                await http.post(
                    f"/api/drills/{drill.id}/control",
                    json={"action": "end"},
                    headers=bearer(drill.facilitator),
                )
            ).status_code == 200

    # join: the player code makes players, the observer code observers, anything else 401
    other: Drill = cast["other"]
    for code, status, role in [
        (other.player_code, 201, "player"),
        (other.observer_code, 201, "observer"),
        (drill.observer_code, 401, None),
        ("", 422, None),
    ]:
        r = await http.post(f"/api/drills/{other.id}/join", json={"code": code, "name": "jo"})
        assert r.status_code == status, r.text
        if role:
            assert r.json()["role"] == role
