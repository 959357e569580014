"""Prompt cards in the browser: the facilitator console shows and sends them; players never see one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import NO_BROWSER, Pages

if NO_BROWSER:
    pytest.skip(NO_BROWSER, allow_module_level=True)
expect = pytest.importorskip(
    "playwright.sync_api", reason="Playwright for Python is not installed (pip install -e '.[dev]')"
).expect

SCENARIO = "checkout-deploy-500s"
CARD = "change-feed"  # nobody has listed the changes by page+6m
LINE = "Did anything go out this morning?"


def _control(server: str, drill: str, token: str, **body: Any) -> None:
    r = httpx.post(
        f"{server}/api/drills/{drill}/control",
        headers={"Authorization": f"Bearer {token}"},
        json=body,
    )
    assert r.status_code == 200, r.text


def test_the_console_shows_a_ready_card_and_sends_it_while_players_see_only_the_line(
    server: str, pages: Pages, shots: Path
) -> None:
    """Past page+6m with no change feed looked at: the Cards tab counts one ready card with
    its text and buttons; "Send as" delivers its line to the player's chat, the card is
    marked used, and the player's page holds no card, no card text and no Cards tab."""
    d = httpx.post(f"{server}/api/drills", json={"scenario": SCENARIO, "speed": 1}).json()
    drill, fac_token = d["drill_id"], d["facilitator_token"]
    joined = httpx.post(
        f"{server}/api/drills/{drill}/join", json={"code": d["player_code"], "name": "alice"}
    ).json()
    _control(server, drill, fac_token, action="start")
    _control(server, drill, fac_token, action="pause")
    _control(server, drill, fac_token, action="jump", seconds=1000)

    fac = pages("facilitator")
    fac.goto(f"{server}/drills/{drill}/facilitate#token={fac_token}")
    alice = pages("alice")
    alice.goto(f"{server}/drills/{drill}/play#token={joined['token']}")
    expect(alice.locator(".room.role-player")).to_be_visible()

    tab = fac.locator(".fac .tab[data-tab=prompts]")
    expect(tab).to_have_text("Cards (2)")  # change-feed (page+6m) and rollback-safety (page+10m)
    tab.click()
    card = fac.locator(f".prompt-card[data-prompt={CARD}]")
    expect(card).to_have_class("prompt-card ready")
    expect(card).to_contain_text("Nobody has looked at what changed.")
    expect(card).to_contain_text("nobody has run list_changes by page+06:00")
    expect(fac.locator(".prompt-card[data-prompt=no-status-update]")).to_have_class(
        "prompt-card waiting"
    )
    fac.locator(".fac").screenshot(path=str(shots / "facilitator-cards.png"))
    card.get_by_role("button", name="Send as Checkout team lead").click()
    expect(card).to_contain_text("line sent")
    expect(card).to_have_class("prompt-card used")
    expect(tab).to_have_text("Cards (1)")

    expect(alice.locator(".chat-list .msg.inject", has_text=LINE)).to_be_visible()
    expect(alice.locator(".fac")).to_have_count(0)
    expect(alice.locator(".prompt-card")).to_have_count(0)
    assert "Nobody has looked at what changed" not in alice.content()
    assert alice.evaluate("window.firedrill.state.prompts.length") == 0
    assert alice.evaluate("window.firedrill.state.promptReady.size") == 0
