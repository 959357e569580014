"""Run history: every finished drill kept with its grade, per player, and comparisons.

A run is one player's attempt at a scenario: the drill's grade (the team's grade; a
solo player's own) kept in the store's ``runs`` table when the drill ends
(server/drills.py), so a person's attempts can be listed with their scores over time.
A drill may name a *cohort* when it is created (a class, a team, an interview loop):
its runs carry it, and a facilitator's history is the runs of their drill's cohort
(without one, of their drill alone), never every player on the server. A comparison puts two
runs side by side (or a run and the scenario's strong reference play, replayed with
the same seed): scores per check, the player actions on one time axis measured from
the page, and the main metric curves. Everything is derived from the drill logs, which
are themselves rebuilt from the stored inputs.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from engine.drill import Drill
from engine.grading import grade
from engine.inputs import CATEGORY
from engine.log import Event
from engine.scenario import Scenario
from engine.script import play

from . import assets
from .files import load_script
from .store import RunRecord

REFERENCE = "reference"  # the `other` of a comparison with the strong reference play
NOBODY = "nobody"  # ... with the same drill had nobody done anything


def runs_of(
    drill_id: str,
    scenario: Scenario,
    seed: int,
    players: Sequence[str],
    events: Sequence[Event],
    cohort: str | None = None,
) -> list[RunRecord]:
    """The runs of one ended drill: one per human player, all with the drill's grade."""
    g = grade(scenario, events)
    checks = {c.id: c.points for d in g.dimensions for c in d.checks}
    return [
        RunRecord(
            drill_id,
            scenario.id,
            p,
            seed,
            time.time(),
            g.overall,
            {d.name: d.score for d in g.dimensions},
            checks,
            cohort,
        )
        for p in players
    ]


def reference_events(scenario: Scenario, seed: int) -> list[Event] | None:
    """The strong reference play of the scenario with this seed (None if it has none)."""
    path = assets.REFERENCE / scenario.id / "strong.yaml"
    if not path.is_file():
        return None
    return list(play(Drill(scenario, seed), load_script(path)).drill.log.events)


def nobody_events(scenario: Scenario, seed: int, until: float) -> list[Event]:
    """The same drill (scenario, seed) with no input at all, run to ``until``."""
    drill = Drill(scenario, seed)
    drill.advance(until)
    return list(drill.log.events)


def side(scenario: Scenario, events: Sequence[Event], label: str) -> dict[str, Any]:
    """One side of a comparison: grade per check, actions and metric curves from the page."""
    g = grade(scenario, events)
    page = next((e.t for e in events if e.type == "page"), None)
    zero = page if page is not None else 0.0
    metrics = sorted({a.metric for a in scenario.alerts})[:4]
    samples = [e for e in events if e.type == "metrics"]
    return {
        "label": label,
        "overall": g.overall,
        "scores": {d.name: d.score for d in g.dimensions},
        "checks": [
            {"id": c.id, "title": c.title, "points": c.points, "max_points": c.max_points}
            for d in g.dimensions
            for c in d.checks
        ],
        "page_at": page,
        "actions": [
            {"t": round(e.t - zero, 3), "actor": e.actor, "type": str(e.data.get("type"))}
            for e in events
            if e.type == "input" and CATEGORY.get(str(e.data.get("type"))) != "facilitate"
        ],
        "metrics": {
            m: [[round(e.t - zero, 3), e.data["values"].get(m)] for e in samples] for m in metrics
        },
    }
