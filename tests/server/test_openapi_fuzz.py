"""The REST API fuzzed against its own OpenAPI document.

Schemathesis generates requests for every operation from the document the
server serves at /openapi.json, valid ones and invalid ones, in two passes:
as generated, then re-aimed at real drills (created, running, paused, ended)
with real tokens (facilitator, player, observer, another drill's) and
realistic bodies (real scenario ids, join codes, engine inputs), so that the
fuzz reaches the engine and not just 401 and 404. Every answer must be no
5xx, a documented status, and a content type and body the document promises
for it (errors included: the document says every error is
``{"error": ..., "message": ...}``).

The second half sends what no schema generates: bodies that are not JSON,
the wrong content type, bodies far too big, odd characters in the path.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from engine.inputs import Input
from server.app import create_app
from server.settings import Limits, Settings

from .drillkit import SCENARIO, Drill, Live, bearer, create_drill, join, start_in_thread

ROOT = Path(__file__).resolve().parents[2]
# every operation of the document (read from the app, so a new route is fuzzed too)
OPERATIONS = [
    f"{method.upper()} {path}"
    for path, ops in create_app().openapi()["paths"].items()
    for method in ops
]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
EXAMPLES = 100  # per operation and pass (as generated, aimed at real drills)


# ------------------------------------------------------------------ the server
@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    db = tmp_path_factory.mktemp("fuzz") / "firedrill.db"
    # limits the fuzz would hit but that are not what it tests (see test_limits.py):
    # inputs should reach the engine, not the rate limiter; every created drill stays live
    limits = Limits(inputs_per_second=1e6, input_burst=10**6, drills=10_000)
    live = start_in_thread(Settings(db=str(db), limits=limits))
    yield live
    live.stop()


@pytest.fixture(scope="module")
def api(server: Live) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{server.http}/openapi.json")


@dataclass(frozen=True)
class World:
    """Real drills in every status and everyone's credentials, for one operation's fuzz."""

    drills: tuple[str, ...]
    tokens: dict[str, tuple[str, ...]]  # drill id -> facilitator, player, observer
    codes: tuple[str, ...]  # every drill's player and observer codes
    players: tuple[str, ...]
    words: tuple[str, ...]  # names from the scenario and a live snapshot: services, pods, ...


@pytest.fixture
def world(server: Live) -> World:
    """Fresh drills per operation, since the fuzz may end, pause or jump the ones it gets."""
    return asyncio.run(_world(server))


async def _world(live: Live) -> World:
    drills, tokens, codes, players = [], {}, [], []
    words = set(_words(yaml.safe_load((ROOT / "scenarios" / f"{SCENARIO}.yaml").read_text())))
    async with httpx.AsyncClient(base_url=live.http, timeout=10) as client:
        for status, actions in (
            ("created", []),
            ("running", ["start"]),
            ("paused", ["start", "pause"]),
            ("ended", ["start", "end"]),
        ):
            d = await create_drill(client, speed=1)
            player = await join(client, d, d.player_code, f"ann-{status}", "ic")
            observer = await join(client, d, d.observer_code)
            for action in actions:
                r = await client.post(
                    f"/api/drills/{d.id}/control",
                    json={"action": action},
                    headers=bearer(d.facilitator),
                )
                assert r.status_code == 200, r.text
            drills.append(d.id)
            tokens[d.id] = (d.facilitator, player, observer)
            codes += [d.player_code, d.observer_code]
            players.append(f"ann-{status}")
        r = await client.get(f"/api/drills/{drills[1]}", headers=bearer(tokens[drills[1]][0]))
        words.update(_words(r.json()["snapshot"]))  # pod names and the like
    return World(tuple(drills), tokens, tuple(codes), tuple(players), tuple(sorted(words)))


def _words(node: Any) -> Iterator[str]:
    """Short identifier-like strings anywhere in a document."""
    if isinstance(node, dict):
        for value in node.values():
            yield from _words(value)
    elif isinstance(node, list):
        for value in node:
            yield from _words(value)
    elif isinstance(node, str) and re.fullmatch(r"[A-Za-z0-9][\w.-]{0,39}", node):
        yield node


# ------------------------------------------------------------------ realistic requests
def _json_value(schema: dict[str, Any], words: tuple[str, ...]) -> st.SearchStrategy[Any]:
    """Values for the JSON schema of one engine input field (the few forms those use)."""
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "anyOf" in schema:
        return st.one_of([_json_value(s, words) for s in schema["anyOf"]])
    kind = schema.get("type")
    if kind == "string":
        lo, hi = schema.get("minLength", 0), min(schema.get("maxLength", 60), 60)
        return st.one_of(st.sampled_from(words), st.text(min_size=lo, max_size=hi))
    if kind in ("integer", "number"):
        lo, hi = schema.get("minimum", schema.get("exclusiveMinimum")), schema.get("maximum")
        if kind == "integer":
            return st.integers(lo, hi)
        return st.floats(lo, hi, exclude_min="exclusiveMinimum" in schema, allow_nan=False)
    if kind == "boolean":
        return st.booleans()
    return st.none()


def engine_inputs(words: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
    """Inputs of every engine type, mostly well-formed, aimed at the scenario's own names."""
    kinds = []
    for cls in Input.__subclasses__():
        schema = cls.model_json_schema()
        fields = {k: _json_value(v, words) for k, v in schema["properties"].items()}
        required = set(schema.get("required", ()))
        kinds.append(
            st.fixed_dictionaries(
                {k: v for k, v in fields.items() if k in required},
                optional={k: v for k, v in fields.items() if k not in required},
            )
        )
    return st.one_of(kinds)


def names(world: World) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from([*world.players, "ann", "System", "facilitator", "observer"]),
        st.from_regex(r"[\w][\w .'@-]{0,39}", fullmatch=True),
    )


def bodies(label: str, world: World, scenarios: list[str]) -> st.SearchStrategy[Any]:
    """A realistic body for the operation (None: keep the generated one)."""
    if label == "POST /api/drills":
        return st.fixed_dictionaries(
            {"scenario": st.sampled_from(scenarios)},
            optional={
                "seed": st.integers(0, 2**63 - 1),
                "speed": st.floats(0.01, 600),
                "facilitator": names(world),
            },
        )
    if label == "POST /api/solo":
        return st.fixed_dictionaries(
            {"scenario": st.sampled_from(scenarios)},
            optional={"seed": st.integers(0, 2**63 - 1), "name": names(world)},
        )
    if label.endswith("/join"):
        return st.fixed_dictionaries(
            {"code": st.sampled_from([*world.codes, "not-a-code"])},
            optional={"name": names(world), "role": st.sampled_from(["ic", "comms", "ops"])},
        )
    if label.endswith("/inputs"):
        return st.fixed_dictionaries(
            {"input": engine_inputs(world.words)},
            optional={"as": st.one_of(st.sampled_from(world.players), names(world))},
        )
    return st.none()


def realistic(
    label: str, world: World, scenarios: list[str]
) -> st.SearchStrategy[tuple[str | None, str | None, Any]]:
    """(drill id, token, body) to put into a generated case; None keeps what was generated."""
    drill = st.sampled_from(world.drills)
    # the drill's own people; or the first drill's (another drill's, for the rest); or nobody
    someone = drill.flatmap(
        lambda d: st.tuples(
            st.just(d),
            st.one_of(
                st.sampled_from(world.tokens[d]),
                st.sampled_from(world.tokens[world.drills[0]]),
                st.none(),
            ),
        )
    )
    ids = someone if "{drill_id}" in label else st.just((None, None))
    return st.tuples(ids, bodies(label, world, scenarios)).map(lambda t: (*t[0], t[1]))


def aim(case: Case, parts: tuple[str | None, str | None, Any]) -> Case:
    drill_id, token, body = parts
    if drill_id is not None:
        case.path_parameters = {**case.path_parameters, "drill_id": drill_id}
        headers = case.headers.copy()
        headers.pop("Authorization", None)
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        case.headers = headers
    if body is not None:
        case.body = body
        case.media_type = "application/json"
    return case


# ------------------------------------------------------------------ the fuzz
@pytest.mark.parametrize("label", OPERATIONS)
def test_fuzzed_requests_get_documented_answers(
    api: schemathesis.BaseSchema, server: Live, world: World, label: str
) -> None:
    """No 5xx; every status, content type, header and body is one the document promises."""
    operation = api.find_operation_by_label(label)
    assert operation is not None, label
    scenarios = [s["id"] for s in httpx.get(f"{server.http}/api/scenarios").json()]
    generated = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )
    aimed = st.tuples(generated, realistic(label, world, scenarios)).map(lambda t: aim(*t))
    with requests.Session() as session:
        _fuzz(generated, session)
        at_real_drills = _fuzz(aimed, session)
    # real drills, tokens and bodies got past authentication and lookup to real answers
    assert any(200 <= s < 300 for s in at_real_drills), sorted(set(at_real_drills))


def _fuzz(cases: st.SearchStrategy[Case], session: requests.Session) -> list[int]:
    """Send every case, check every answer; return the statuses seen."""
    statuses: list[int] = []

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def fuzz(case: Case) -> None:
        response = case.call(session=session)
        statuses.append(response.status_code)
        case.validate_response(response, checks=CHECKS)

    fuzz()
    return statuses


# ------------------------------------------------------------------ garbage
@pytest.fixture(scope="module")
def target(server: Live) -> Iterator[tuple[httpx.Client, Drill]]:
    """A client and a drill that every garbage request below aims at (and must not change)."""

    async def make() -> Drill:
        async with httpx.AsyncClient(base_url=server.http) as client:
            return await create_drill(client)

    drill = asyncio.run(make())
    with httpx.Client(base_url=server.http, timeout=30) as client:
        seq = _seq(client, drill)
        yield client, drill
        assert _seq(client, drill) == seq  # nothing got through


def _seq(client: httpx.Client, drill: Drill) -> int:
    return int(
        client.get(f"/api/drills/{drill.id}", headers=bearer(drill.facilitator)).json()["seq"]
    )


def _refused(r: httpx.Response, status: int, error: str) -> str:
    """Assert the project's error answer; return its message."""
    assert (r.status_code, r.headers["content-type"]) == (status, "application/json"), r.text
    body = r.json()
    assert body["error"] == error and isinstance(body["message"], str), body
    return str(body["message"])


BODY_ROUTES = [
    "/api/drills",
    "/api/solo",
    "/api/drills/{id}/join",
    "/api/drills/{id}/control",
    "/api/drills/{id}/inputs",
]
JSON = {"content-type": "application/json"}


@pytest.mark.parametrize("route", BODY_ROUTES)
def test_bodies_that_are_not_json_get_400_saying_why(
    target: tuple[httpx.Client, Drill], route: str
) -> None:
    client, drill = target
    cases = [
        (b"{nope", "Expecting property name"),
        ('{"name": "Zoë"}'.encode("latin-1"), "'utf-8' codec can't decode byte 0xeb"),
        (b"\x00", "Expecting value"),
        (b"[" * 5000 + b"]" * 5000, "maximum recursion depth exceeded"),
        (b'{"seed": ' + b"9" * 5000 + b"}", "Exceeds the limit (4300 digits)"),
    ]
    for raw, why in cases:
        r = client.post(
            route.format(id=drill.id), content=raw, headers={**JSON, **bearer(drill.facilitator)}
        )
        message = _refused(r, 400, "bad_request")
        assert message.startswith("the body is not valid JSON") and why in message, message


@pytest.mark.parametrize("route", BODY_ROUTES)
def test_bodies_not_sent_as_json_get_415_naming_what_was_sent(
    target: tuple[httpx.Client, Drill], route: str
) -> None:
    client, drill = target
    url, auth = route.format(id=drill.id), bearer(drill.facilitator)
    body = b'{"scenario": "checkout-deploy-500s", "code": "x", "action": "start"}'
    sends: list[tuple[dict[str, Any], str]] = [
        ({"content": body, "headers": {"content-type": "text/plain", **auth}}, "text/plain"),
        ({"content": body, "headers": auth}, "no content type"),
        ({"data": {"scenario": SCENARIO}, "headers": auth}, "application/x-www-form-urlencoded"),
        (
            {"files": {"scenario": ("s.json", body)}, "headers": auth},
            "multipart/form-data; boundary=",
        ),
        (
            {"content": b"<drill/>", "headers": {"content-type": "application/xml", **auth}},
            "application/xml",
        ),
    ]
    for kwargs, sent in sends:
        r = client.post(url, **kwargs)
        message = _refused(r, 415, "unsupported_media_type")
        assert message.startswith(
            f"send the body as JSON with `Content-Type: application/json` (got {sent}"
        ), message


@pytest.mark.parametrize("route", BODY_ROUTES)
def test_bodies_over_64_kib_get_413_before_they_are_read(
    target: tuple[httpx.Client, Drill], route: str
) -> None:
    client, drill = target
    url, headers = route.format(id=drill.id), {**JSON, **bearer(drill.facilitator)}
    chat = {"input": {"type": "chat", "text": "x" * 70_000}}
    r = client.post(url, json=chat, headers=bearer(drill.facilitator))
    assert _refused(r, 413, "too_large").startswith(
        "the request body is over the limit of 65536 bytes (got 700"
    )
    r = client.post(url, content=b" " * 5_000_000, headers=headers)
    assert "(got 5000000)" in _refused(r, 413, "too_large")

    def chunked() -> Iterator[bytes]:  # no Content-Length: refused once 64 KiB have arrived
        for _ in range(100):
            yield b" " * 65_536

    r = client.post(url, content=chunked(), headers=headers)
    assert _refused(r, 413, "too_large").startswith(
        "the request body is over the limit of 65536 bytes;"
    )


ODD_IDS = [
    "%00",
    "%FF",
    "%C0%AF",
    "%F0%9F%92%A5",
    "%2e%2e",
    "%25",
    "%20",
    "%0D%0A",
    "a;b",
    "'",
    "%5C",
    "%22%3E%3Cscript%3E",
    "a%2Fb",
    "x" * 2000,
]


@pytest.mark.parametrize("odd", ODD_IDS)
def test_odd_drill_ids_are_not_found(target: tuple[httpx.Client, Drill], odd: str) -> None:
    client, drill = target
    auth = bearer(drill.facilitator)
    for r in [
        client.get(f"/api/drills/{odd}", headers=auth),
        client.get(f"/api/drills/{odd}/log", headers=auth),
        client.post(f"/api/drills/{odd}/join", json={"code": drill.player_code, "name": "ann"}),
        client.post(
            f"/api/drills/{odd}/inputs",
            headers=auth,
            json={"input": {"type": "chat", "text": "hi"}},
        ),
    ]:
        _refused(r, 404, "not_found")


def test_garbage_credentials_and_methods_are_refused(target: tuple[httpx.Client, Drill]) -> None:
    client, drill = target
    url = f"/api/drills/{drill.id}"
    for auth in [
        b"Basic YTpi",
        b"Bearer",
        b"Bearer \xe9\xff",
        b"Token " + drill.facilitator.encode(),
        b"Bearer " + drill.facilitator.encode() + b"x",
    ]:
        _refused(client.get(url, headers=[(b"Authorization", auth)]), 401, "unauthorized")
    r = client.delete(url, headers=bearer(drill.facilitator))
    _refused(r, 405, "method_not_allowed")
    assert r.headers["allow"] == "GET"
