"""The runs the postmortem tests draft from: every library scenario x its reference scripts.

Scripts come from ``tests/reference/<id>/*.yaml`` (the library's strong, weak
and harmful runs); a scenario without any falls back to
``tests/postmortem/scripts/<id>/*.yaml``. Every scenario also gets a
``no-response`` run (nobody acts). All runs use seed 0. Drills, grades and
postmortems are cached per test session: each is a pure function of its inputs.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from engine.drill import Drill
from engine.loader import load_scenario
from engine.log import Event
from engine.postmortem import Postmortem, postmortem, postmortem_markdown
from engine.scenario import Scenario
from engine.script import DecisionScript, play

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden"
EXAMPLE = ROOT / "docs" / "examples" / "postmortem-checkout-deploy-500s.md"
EXAMPLE_RUN = ("checkout-deploy-500s", "strong")
EXAMPLE_DATE = "2026-03-02"
TEMPLATE_RUN = ("loyalty-irreversible-migration", "harmful")  # rendered in every template
JSON_RUN = ("checkout-deploy-500s", "strong")  # to_dict() golden
NO_RESPONSE = "no-response"
SEED = 0
REGEN = ".venv/bin/python -m tests.postmortem.regen"


def scenario_ids() -> list[str]:
    return sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))


def scripts_of(scenario_id: str) -> dict[str, Path]:
    for base in (ROOT / "tests" / "reference" / scenario_id, HERE / "scripts" / scenario_id):
        found = {p.stem: p for p in sorted(base.glob("*.yaml"))}
        if found:
            return found
    return {}


def runs() -> list[tuple[str, str]]:
    """(scenario id, script name) for every run, in a stable order."""
    return [(sid, name) for sid in scenario_ids() for name in [*scripts_of(sid), NO_RESPONSE]]


@cache
def scenario(scenario_id: str) -> Scenario:
    path = ROOT / "scenarios" / f"{scenario_id}.yaml"
    return load_scenario(path.read_bytes(), str(path))


@cache
def events(scenario_id: str, script: str) -> tuple[Event, ...]:
    sc = scenario(scenario_id)
    if script == NO_RESPONSE:
        ds = DecisionScript(name=NO_RESPONSE, steps=[])
    else:
        path = scripts_of(scenario_id)[script]
        ds = DecisionScript.from_yaml(path.read_bytes(), str(path))
    drill = Drill(sc, seed=SEED)
    play(drill, ds)
    return tuple(drill.log.events)


@cache
def grade(scenario_id: str, script: str) -> Any:
    """The drill grade, or None while engine.grading has no grade()."""
    try:
        from engine.grading import grade as grade_fn
    except ImportError:  # pragma: no cover - before the grader lands
        return None
    return grade_fn(scenario(scenario_id), events(scenario_id, script))


@cache
def draft(
    scenario_id: str, script: str, template: str = "default", drill_date: str | None = None
) -> Postmortem:
    return postmortem(
        scenario(scenario_id),
        events(scenario_id, script),
        grade(scenario_id, script),
        template=template,
        drill_date=drill_date,
    )


def golden_path(
    scenario_id: str, script: str, template: str = "default", suffix: str = "md"
) -> Path:
    tail = "" if template == "default" else f".{template}"
    return GOLDEN / scenario_id / f"{script}{tail}.{suffix}"


def expected_files() -> dict[Path, str]:
    """Every stored file and its current content (what regen writes)."""
    import orjson

    out: dict[Path, str] = {}
    for sid, name in runs():
        out[golden_path(sid, name)] = postmortem_markdown(draft(sid, name))
    for template in ("pagerduty", "google-sre"):
        out[golden_path(*TEMPLATE_RUN, template)] = postmortem_markdown(
            draft(*TEMPLATE_RUN, template)
        )
    data = (
        orjson.dumps(
            draft(*JSON_RUN).to_dict(), option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2
        ).decode()
        + "\n"
    )
    out[golden_path(*JSON_RUN, suffix="json")] = data
    out[EXAMPLE] = postmortem_markdown(draft(*EXAMPLE_RUN, drill_date=EXAMPLE_DATE))
    return out
