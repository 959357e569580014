"""The grade's structure: JSON shape, Markdown, overrides, anchors, explanations."""

from __future__ import annotations

import re

import orjson
import pytest

from engine.grading import SPECS, grade, grade_markdown
from engine.grading.rubric import override_problems
from engine.loader import scenario_from_dict
from engine.scenario import Scenario
from tests.grading.helpers import ROOT, SCRIPTS, Log, graded, scenario, steps_of

STRONG = steps_of(SCRIPTS / "mini" / "strong.yaml")
TOP = {
    "version",
    "scenario",
    "seed",
    "anchor",
    "overall",
    "scores",
    "dimensions",
    "players",
    "mitigations",
    "claims",
    "mitigated_at",
    "ended_at",
    "windows",
    "weights",
    "notes",
}
CHECK = {
    "id",
    "dimension",
    "title",
    "points",
    "max_points",
    "outcome",
    "detail",
    "stronger",
    "evidence",
    "actors",
    "concerns",
}


def with_grading(checked: bool = True, **grading: object) -> Scenario:
    """The mini scenario with grading overrides (``checked=False`` skips the loader's
    reference checks, which reject unknown override keys)."""
    data = scenario("mini").model_dump(mode="json", by_alias=True, exclude_none=True)
    data["grading"] = {**data["grading"], **grading}
    return scenario_from_dict(data) if checked else Scenario.model_validate(data)


def test_to_dict_has_the_documented_shape_and_version() -> None:
    """Top-level keys, check keys and version 2 are exactly as docs/grading.md says."""
    d = graded("mini", STRONG).to_dict()
    assert set(d) == TOP
    assert d["version"] == 2
    assert set(d["claims"][0]) == {
        "seq",
        "t",
        "actor",
        "source",
        "kind",
        "said",
        "truth",
        "score",
        "off_by",
        "read_from",
    }
    assert [x["name"] for x in d["dimensions"]] == [
        "command",
        "blast_radius",
        "mitigation",
        "communication",
    ]
    assert set(d["dimensions"][0]["checks"][0]) == CHECK
    assert set(d["dimensions"][0]["checks"][0]["evidence"][0]) == {
        "seq",
        "t",
        "actor",
        "type",
        "note",
    }
    assert set(d["players"][0]) == {
        "actor",
        "inputs",
        "categories",
        "points_won",
        "points_lost",
        "checks",
    }
    assert d["scores"] == {
        "command": 100,
        "blast_radius": 100,
        "mitigation": 100,
        "communication": 100,
    }


def test_every_check_of_the_rubric_appears_once_in_every_grade() -> None:
    """The grade lists each check id of the rubric exactly once, in its dimension."""
    g = graded("mini", STRONG)
    ids = [c.id for d in g.dimensions for c in d.checks]
    assert sorted(ids) == sorted(SPECS)
    assert all(c.id.startswith(d.name + ".") for d in g.dimensions for c in d.checks)


def test_to_json_is_canonical() -> None:
    """to_json is compact JSON with sorted keys, equal to re-dumping to_dict sorted."""
    g = graded("mini", STRONG)
    assert g.to_json() == orjson.dumps(g.to_dict(), option=orjson.OPT_SORT_KEYS)
    assert g.to_json().startswith(b'{"anchor":{"kind":"page"')


def test_markdown_shows_scores_reasons_and_evidence() -> None:
    """The Markdown report has the score table, each dimension, Stronger lines and seqs."""
    md = grade_markdown(graded("mini", steps_of(SCRIPTS / "mini" / "weak.yaml")))
    assert md.startswith("# Grade: mini-rewards (seed 0)\n\n**Overall ")
    assert "| Command | 0 | 1 |" in md
    for title in ("## Command: 0/100", "## Blast radius: 0/100", "## Mitigations"):
        assert title in md
    assert "  - Stronger: Say you are incident commander" in md
    assert "  - Evidence: #" in md


def test_markdown_lists_every_claim_with_the_true_value_beside_it() -> None:
    """The claims table shows what was said, what the simulation had, and the verdict."""
    log = Log(users=40.0).page(100.0)
    log.input(200.0, "alex", type="state_impact", users_pct=12, trend="stable", data="intact")
    md = grade_markdown(log.grade())
    assert "## Claims checked against the simulation" in md
    assert (
        "| 25 | 3:20 | alex | state_impact | users | 12% of users | 40.0% (users affected) "
        "| partly true, 10% (-28.0 points (right within 10.0)) |"
    ) in md


@pytest.mark.parametrize("script", ["strong", "weak", "harmful", "group"])
def test_every_point_won_or_lost_cites_events_and_lost_points_say_what_was_stronger(
    script: str,
) -> None:
    """Non-zero points cite evidence; lost points carry a one-sentence stronger move."""
    g = graded("mini", steps_of(SCRIPTS / "mini" / f"{script}.yaml"))
    for d in g.dimensions:
        for c in d.checks:
            if c.points != 0 or c.points < c.max_points:
                assert c.evidence, c.id
            if c.points < c.max_points or c.points < 0:
                assert c.stronger and c.stronger.endswith("."), c.id
                assert not re.search(r"(?<!e\.g)\. [A-Z]", c.stronger), c.stronger  # one sentence
            else:
                assert c.stronger is None, c.id


def test_scores_never_go_below_zero() -> None:
    """Penalties beyond the points earned clamp the dimension at 0."""
    log = Log(users=10.0).page(100.0)
    log.input(130.0, "ben", type="read_logs", service="rewards-api")
    d = log.grade().dimension("blast_radius")
    assert (d.earned, d.score) == (-20.0, 0)


def test_weights_and_windows_are_overridden_by_the_scenario() -> None:
    """Dimension weights, check multipliers and windows come from grading: in the scenario."""
    sc = with_grading(weights={"command": 3.0, "command.ic": 2.0}, windows={"command": 60})
    log = Log(users=10.0).page(100.0)
    log.input(190.0, "alex", type="take_command")
    g = grade(sc, log.events())
    c = g.check("command.ic")
    assert (c.points, c.max_points) == (35.0, 70.0)  # 1:30 is late against a 1:00 window
    assert g.dimension("command").weight == 3.0
    assert g.overall == round(3 * g.dimension("command").score / 6)
    assert dict(g.windows)["command"] == 60.0


def test_par_mitigate_sets_the_par_window_and_unknown_keys_become_notes() -> None:
    """par_mitigate feeds mitigation_par; a misspelt key that got past the loader is
    ignored with a note."""
    sc = with_grading(False, par_mitigate="3m", windows={"comand": 60}, weights={"comms": 2})
    g = grade(sc, Log().page(100.0).events())
    assert dict(g.windows)["mitigation_par"] == 180.0
    assert g.notes == (
        "ignored unknown grading.windows key 'comand'",
        "ignored unknown grading.weights key 'comms'",
    )
    assert override_problems({"comand": 60}, {"command": 1}) == [
        "grading.windows: unknown key 'comand' (known: command, command_late, blast_radius, "
        "blast_radius_late, mitigation_par, mitigation_model, mitigation, communication, "
        "communication_late, debate, conflict, trend, settle, cadence_grace)"
    ]


def test_without_a_page_the_first_alert_anchors_the_windows() -> None:
    """No page event: the first alert.fired is the anchor; no alert: the first fault."""
    log = Log()
    log.add(200.0, "system", "alert.fired", {"name": "RedeemErrors"})
    log.add(150.0, "system", "state", {"component": "fault", "what": "fault started"})
    g = log.grade()
    assert (g.anchor.kind, g.anchor.t) == ("alert", 200.0)
    only_fault = Log()
    only_fault.add(150.0, "system", "state", {"component": "fault", "what": "fault started"})
    assert only_fault.grade().anchor.kind == "fault"
    assert Log().grade().anchor.to_dict() == {"kind": "start", "seq": 1, "t": 0.0}


def test_an_empty_log_grades_to_zero_without_error() -> None:
    """No events at all: every dimension scores 0 and the anchor is the start."""
    g = grade(scenario("mini"), [])
    assert g.scores == {
        "overall": 0,
        "command": 0,
        "blast_radius": 0,
        "mitigation": 0,
        "communication": 0,
    }
    assert g.anchor.kind == "start"


def test_docs_list_every_check_with_its_points() -> None:
    """docs/grading.md has one table row per check id, with the rubric's points."""
    text = (ROOT / "docs" / "grading.md").read_text()
    rows = dict(re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \| (-?\d+)", text, flags=re.M))
    assert {k: float(v) for k, v in rows.items()} == {k: s.points for k, s in SPECS.items()}
