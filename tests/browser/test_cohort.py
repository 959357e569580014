"""The facilitator's history in real Chromium: every player of the drill's cohort, no one else."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.server.drillkit import solo_run

from .conftest import NO_BROWSER, Pages
from .test_web import shoot

if NO_BROWSER:
    pytest.skip(NO_BROWSER, allow_module_level=True)
expect = pytest.importorskip("playwright.sync_api").expect


def test_the_facilitator_sees_the_cohorts_players(server: str, pages: Pages, shots: Path) -> None:
    """Two players of cohort "class-a" are listed under its name; class-b's player is not."""
    with httpx.Client(base_url=server, timeout=60) as c:
        drill, _, clock = solo_run(c, "hana", 11, [{"type": "take_command"}], cohort="class-a")
        solo_run(c, "bo", 12, [], cohort="class-a")
        solo_run(c, "cy", 13, [{"type": "take_command"}], cohort="class-b")
    page = pages("facilitator")
    page.goto(f"{server}/drills/{drill}/end#token={clock}")
    page.click('.tab[data-tab="attempts"]')
    rows = page.locator(".runs tbody tr")
    expect(rows).to_have_count(2, timeout=20_000)
    expect(page.locator(".cohort-name")).to_have_text("class-a")
    expect(page.locator(".attempts .cohort")).to_contain_text("(2 players)")
    assert [rows.nth(i).locator("td").nth(1).inner_text() for i in range(2)] == ["hana", "bo"]
    expect(page.locator(".runs")).not_to_contain_text("cy")
    shoot(page, shots, "facilitator-cohort")
