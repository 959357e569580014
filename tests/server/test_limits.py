"""Process and drill limits answer with errors that name the limit."""

from __future__ import annotations

import httpx
from websockets.asyncio.client import connect

from .drillkit import Connect, Live, create_drill, hello


async def test_limits_on_drills_and_clients(tight, peers: Connect) -> None:
    """The drill after the limit gets a 503; the client after the limit a 1013 close."""
    server: Live = tight(drills=2, clients_per_drill=2)
    async with httpx.AsyncClient(base_url=server.http) as client:
        first = await create_drill(client)
        await create_drill(client)
        r = await client.post("/api/drills", json={"scenario": "checkout-deploy-500s"})
        assert (r.status_code, r.json()) == (
            503,
            {
                "error": "limit_reached",
                "message": "this server already runs 2 live drills, its limit; "
                "end one or try again later",
            },
        )
        health = (await client.get("/api/health")).json()
        assert health["drills"] == {"live": 2, "limit": 2}

        await peers(server.ws, first.id, first.facilitator)
        await peers(server.ws, first.id, first.facilitator)
        async with connect(f"{server.ws}/ws/{first.id}") as ws:
            await ws.send(hello(first.facilitator))
            await ws.wait_closed()
            assert ws.close_code == 1013
            assert ws.close_reason == (
                f"drill {first.id} already has 2 clients, the limit; try again later"
            )

        # ending a drill frees its place
        await client.post(
            f"/api/drills/{first.id}/control",
            json={"action": "end"},
            headers={"Authorization": f"Bearer {first.facilitator}"},
        )
        r = await client.post("/api/drills", json={"scenario": "checkout-deploy-500s"})
        assert r.status_code == 201
