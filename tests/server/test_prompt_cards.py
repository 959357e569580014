"""Prompt cards over a real server: the facilitator gets them, players and observers never do."""

from __future__ import annotations

import httpx
import orjson

from .drillkit import Connect, Live, bearer, create_drill, join

CARD = "change-feed"  # checkout-deploy-500s: nobody has listed the changes by page+6m


async def test_a_ready_card_reaches_the_facilitator_only_and_its_use_is_logged(
    live: Live, http: httpx.AsyncClient, peers: Connect
) -> None:
    """The card is in the facilitator's snapshot and stream; players and observers see only
    the line it sends, as a chat message; a player's use_prompt is forbidden, nothing logged."""
    drill = await create_drill(http, speed=120)
    alice = await join(http, drill, drill.player_code, "alice")
    watcher = await join(http, drill, drill.observer_code)
    fac = await peers(live.ws, drill.id, drill.facilitator)
    pa = await peers(live.ws, drill.id, alice)
    obs = await peers(live.ws, drill.id, watcher)
    cards = fac.welcome["snapshot"]["prompts"]
    assert [c["id"] for c in cards] == ["change-feed", "rollback-safety", "no-status-update"]
    assert cards[0]["ready_at"] is None and cards[0]["text"].startswith("Nobody has looked")
    assert "prompts" not in pa.welcome["snapshot"] and "prompts" not in obs.welcome["snapshot"]

    assert (await fac.control("start"))["type"] == "ack"
    ready = await fac.event(lambda e: e["type"] == "prompt_ready" and e["data"]["id"] == CARD)
    assert ready["vis"] == "facilitator" and ready["data"]["why"] == (
        "nobody has run list_changes by page+06:00"
    )
    refused = await pa.act({"type": "use_prompt", "id": CARD})
    assert (refused["type"], refused["code"]) == ("error", "forbidden")
    acked = await fac.act({"type": "use_prompt", "id": CARD, "send": True})
    assert acked["type"] == "ack"
    used = await fac.event(lambda e: e["type"] == "prompt_used")
    assert (used["data"], used["vis"]) == ({"id": CARD, "ready": True, "sent": True}, "facilitator")
    again = await fac.act({"type": "use_prompt", "id": CARD})
    assert again["type"] == "error" and "already used" in again["message"]

    line = (
        "Checkout lead here. Did anything go out this morning? I saw a deploy notification fly by."
    )
    for peer in (pa, obs):
        said = await peer.event(lambda e: e["type"] == "inject" and e["data"]["text"] == line)
        assert said["actor"] == "Checkout team lead" and said["data"]["id"] is None
        assert not [e for e in peer.events if e["type"].startswith("prompt") or e["vis"] != "all"]
        assert not [e for e in peer.events if e["data"].get("type") == "use_prompt"]
    late = (await peers(live.ws, drill.id, drill.facilitator)).welcome["snapshot"]["prompts"]
    assert (late[0]["used_at"], late[0]["sent"]) == (used["t"], True)

    public = await http.get(f"/api/drills/{drill.id}/log", headers=bearer(alice))
    full = await http.get(f"/api/drills/{drill.id}/log", headers=bearer(drill.facilitator))
    kinds = {orjson.loads(x)["type"] for x in public.content.splitlines()}
    assert (
        "prompt_ready" not in kinds
        and "prompt_used" not in kinds
        and b"use_prompt" not in public.content
    )
    assert b'"prompt_ready"' in full.content and b'"use_prompt"' in full.content


async def test_a_garbage_use_prompt_frame_is_refused_with_its_field_named(
    live: Live, http: httpx.AsyncClient, peers: Connect
) -> None:
    """Unknown card, wrong types and unknown fields: invalid_input naming what is valid."""
    drill = await create_drill(http, speed=120)
    fac = await peers(live.ws, drill.id, drill.facilitator)
    assert (await fac.control("start"))["type"] == "ack"
    for inp, says in (
        ({"id": "nope"}, "unknown prompt card 'nope'; valid: change-feed, rollback-safety"),
        ({"id": CARD, "send": [1]}, "`send`"),
        ({"id": ""}, "`id`"),
        ({}, "`id` is required"),
        ({"id": CARD, "as": "x"}, "`as` is not a parameter of use_prompt"),
    ):
        reply = await fac.act({"type": "use_prompt", **inp})
        assert (reply["type"], reply["code"]) == ("error", "invalid_input"), reply
        assert says in reply["message"], reply
    assert not [e for e in fac.events if e["type"] == "prompt_used"]
