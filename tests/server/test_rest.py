"""The REST surface: scenarios, creation, health, OpenAPI."""

from __future__ import annotations

import os

import httpx

from .drillkit import Live, bearer, create_drill, join


async def test_the_library_and_a_new_drill(live: Live, http: httpx.AsyncClient) -> None:
    """Scenarios carry their metadata; a new drill hands out secrets once, in URL fragments."""
    scenarios = (await http.get("/api/scenarios")).json()
    checkout = next(s for s in scenarios if s["id"] == "checkout-deploy-500s")
    assert checkout | {"summary": "", "teaches": ""} == {
        "id": "checkout-deploy-500s",
        "title": "500s on checkout after the afternoon deploy",
        "summary": "",
        "class": "deploy-error-spike",
        "difficulty": "beginner",
        "teaches": "",
        "symptom": "PAGE CheckoutErrorRate: checkout-api 5xx above 5% for 1m.",
        "audience": "new on-call engineers: a first drill",
        "tags": ["deploy", "rollback", "checkout"],
        "duration": 2400.0,
        "source": None,
    }

    drill = await create_drill(http, speed=5, seed=42)
    body = drill.created
    base = live.http
    assert body["status"] == "created"
    assert body["urls"] == {
        "facilitator": f"{base}/drills/{drill.id}/facilitate#token={drill.facilitator}",
        "player_join": f"{base}/drills/{drill.id}/join#code={drill.player_code}",
        "observer_join": f"{base}/drills/{drill.id}/join#code={drill.observer_code}",
        "websocket": f"{live.ws}/ws/{drill.id}",
    }
    token = await join(http, drill, drill.player_code, "ivy", "comms")
    state = (await http.get(f"/api/drills/{drill.id}", headers=bearer(token))).json()
    assert {k: state[k] for k in ("scenario", "seed", "status", "speed", "t", "you")} == {
        "scenario": "checkout-deploy-500s",
        "seed": 42,
        "status": "created",
        "speed": 5.0,
        "t": 0.0,
        "you": {"name": "ivy", "role": "player", "incident_role": "comms"},
    }
    assert [p["name"] for p in state["roster"]] == ["facilitator", "ivy"]

    health = (await http.get("/api/health")).json()
    assert health["status"] == "ok" and health["drills"]["limit"] == 200
    assert health["worker"] == os.getpid()  # this test's server runs in this process
    assert (await http.get(f"/drills/{drill.id}/join")).status_code == 200


async def test_openapi_documents_every_route_and_body(http: httpx.AsyncClient) -> None:
    spec = (await http.get("/openapi.json")).json()
    assert set(spec["paths"]) == {
        "/api/health",
        "/api/actions",
        "/api/scenarios",
        "/api/drills",
        "/api/solo",
        "/api/drills/{drill_id}",
        "/api/drills/{drill_id}/join",
        "/api/drills/{drill_id}/control",
        "/api/drills/{drill_id}/inputs",
        "/api/drills/{drill_id}/codes",
        "/api/drills/{drill_id}/log",
        "/api/drills/{drill_id}/grade",
        "/api/drills/{drill_id}/postmortem",
        "/api/drills/{drill_id}/history",
        "/api/drills/{drill_id}/compare",
    }
    create = spec["paths"]["/api/drills"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/CreateDrill"
    )
    assert "404" in spec["paths"]["/api/drills/{drill_id}/grade"]["get"]["responses"]
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
    actions = spec["paths"]["/api/actions"]["get"]["responses"]["200"]["content"]
    assert actions["application/json"]["schema"]["$ref"].endswith("/ActionTable")
