"""GET /api/actions: the action table the web console is built from."""

from __future__ import annotations

import httpx

from engine.vocabulary import action_table


async def test_the_route_serves_the_engines_table(http: httpx.AsyncClient) -> None:
    """Anyone may read it, without a token; it is the engine's table, byte for byte in
    meaning, including the levers mechanics own."""
    r = await http.get("/api/actions")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body = r.json()
    assert body == action_table().model_dump(mode="json")
    cert = next(a for a in body["actions"] if a["type"] == "rotate_certificate")
    assert (cert["category"], cert["mechanic"], cert["target_kinds"]) == (
        "mitigate",
        "certificates",
        ["certificate"],
    )


async def test_garbage_sent_to_the_route_changes_nothing(http: httpx.AsyncClient) -> None:
    """A body, a query or another method: the table is read-only and the same after."""
    before = (await http.get("/api/actions")).json()
    r = await http.post("/api/actions", content=b"\x00not json", headers={"content-type": "x/y"})
    assert r.status_code == 405 and r.json()["error"] == "method_not_allowed"
    r = await http.get("/api/actions", params={"type": "'; drop", "role": ["x", "y"]})
    assert r.status_code == 200 and r.json() == before
