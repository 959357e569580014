"""The lobby shows each scenario as a paged engineer would meet it: title, the page, who it
is for. The cause, the class and what it teaches are behind the facilitators' disclosure."""

from __future__ import annotations

from typing import Any

import pytest

from engine.loader import load_scenario
from engine.scenario import Scenario

from .conftest import NO_BROWSER, ROOT, Pages

if NO_BROWSER:
    pytest.skip(NO_BROWSER, allow_module_level=True)


def library() -> list[Scenario]:
    return [
        load_scenario(p.read_bytes(), str(p)) for p in sorted((ROOT / "scenarios").glob("*.yaml"))
    ]


def secrets(sc: Scenario) -> list[str]:
    t = sc.truth
    return [sc.summary.strip(), sc.teaches, t.root_cause, t.trigger, *t.causal_chain]


def visible(page: Any) -> str:
    return str(page.locator("body").inner_text())


def test_no_scenario_gives_its_cause_away_in_the_lobby(server: str, pages: Pages) -> None:
    """Every card, opened: its title, symptom and audience show; none of its secrets (nor
    its giveaway words in what it shows first) until a facilitator opens the spoilers."""
    page = pages("candidate")
    page.goto(server + "/")
    scenarios = library()
    for sc in scenarios:
        page.locator(f'[data-scenario="{sc.id}"]').click()
        detail = page.locator(".scenario-info")
        assert detail.locator("h2").inner_text() == sc.title
        assert sc.symptom and sc.symptom in detail.inner_text()
        text = visible(page)
        leaked = [s for other in scenarios for s in secrets(other) if s and s in text]
        assert not leaked, f"{sc.id}: the lobby shows {leaked}"
        assert sc.scenario_class not in detail.inner_text()
        # a facilitator opens the spoilers on purpose, and then reads what it is about
        detail.locator("details.spoilers summary").click()
        assert sc.teaches in detail.inner_text() and sc.scenario_class in detail.inner_text()
        detail.locator("details.spoilers summary").click()
        assert sc.teaches not in visible(page)
