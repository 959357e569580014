"""Players and observers see what a real dashboard shows; the ground truth is the facilitator's.

The simulation knows exactly how many users are affected; no real dashboard does. Players
infer blast radius from error rates and KPIs, so neither their frames, their snapshot, nor
their log export carries engine.metrics.GROUND_TRUTH, and the scenario's cause (its
summary and class) stays out of their snapshot until the drill has ended.
"""

from __future__ import annotations

import httpx
import orjson

from engine.metrics import GROUND_TRUTH

from .drillkit import Connect, Live, bearer, create_drill, join

USERS = "business.users_affected_pct"


async def test_the_users_affected_figure_reaches_the_facilitator_only(
    live: Live, http: httpx.AsyncClient, peers: Connect
) -> None:
    drill = await create_drill(http, speed=120)
    alice = await join(http, drill, drill.player_code, "alice")
    watcher = await join(http, drill, drill.observer_code)
    fac = await peers(live.ws, drill.id, drill.facilitator)
    pa = await peers(live.ws, drill.id, alice)
    obs = await peers(live.ws, drill.id, watcher)

    assert (await fac.control("start"))["type"] == "ack"
    await pa.event(lambda e: e["type"] == "page")
    await fac.event(lambda e: e["type"] == "metrics" and e["data"]["values"][USERS] > 0)
    await pa.event(lambda e: e["type"] == "metrics" and e["t"] >= 120)
    await obs.event(lambda e: e["type"] == "metrics" and e["t"] >= 120)
    for peer in (pa, obs):
        metrics = [e for e in peer.events if e["type"] == "metrics"]
        assert metrics and all("checkout-api.err_5xx_pct" in e["data"]["values"] for e in metrics)
        assert not [k for e in metrics for k in e["data"]["values"] if k in GROUND_TRUTH]

    # a late joiner's snapshot, and the exports, follow the same rule
    late = await peers(live.ws, drill.id, alice)
    snap = late.welcome["snapshot"]
    assert (
        USERS not in snap["metrics"]["values"]
        and "business.failed_rps" in snap["metrics"]["values"]
    )
    assert "summary" not in snap["scenario"] and "class" not in snap["scenario"]
    assert snap["scenario"]["title"]
    fac_snap = (await peers(live.ws, drill.id, drill.facilitator)).welcome["snapshot"]
    assert USERS in fac_snap["metrics"]["values"] and fac_snap["scenario"]["summary"]

    public = await http.get(f"/api/drills/{drill.id}/log", headers=bearer(alice))
    full = await http.get(f"/api/drills/{drill.id}/log", headers=bearer(drill.facilitator))
    assert public.status_code == full.status_code == 200
    assert USERS.encode() not in public.content and USERS.encode() in full.content
    lines = [orjson.loads(x) for x in public.content.splitlines()]
    assert any(e["type"] == "metrics" for e in lines)

    # after the end the debrief tells everyone what it was
    assert (await fac.control("jump", seconds=3000))["type"] == "ack"
    await pa.event(lambda e: e["type"] == "drill.ended", timeout=30)
    after = (await peers(live.ws, drill.id, alice)).welcome["snapshot"]
    assert after["scenario"]["summary"] and after["scenario"]["class"]
