"""Regenerate the golden outcomes: ``python -m tests.golden.regen [SCENARIO_ID ...]``.

For every library scenario and each of its reference scripts (the no-op play
plus tests/reference/<id>/{strong,weak,harmful}.yaml), play seed 0 headless
and store tests/golden/<id>/<script>.json: the key events with their times
(page, inputs, effects, state changes, alerts, injects), the outcome figures
from :mod:`engine.outcome`, refused steps, the log size and sha256, and the
grade when ``engine.grading.grade`` exists (``null`` until then).
tests/test_library.py diffs a fresh run against these files. Run this only
after a *deliberate* change to the model, the scenarios or the scripts, and
review the diff before committing it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: python tests/golden/regen.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engine.drill import Drill
from engine.log import Event
from engine.outcome import outcome
from engine.scenario import Scenario
from engine.script import DecisionScript, play
from server.files import library, load_scenario, load_script

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
REFERENCE = ROOT / "tests" / "reference"
SCRIPTS = ("noop", "strong", "weak", "harmful")
SEED = 0
NOBODY = DecisionScript(name="no-op", steps=[])
KEY_EVENTS = ("page", "input", "effect", "state", "alert.fired", "alert.resolved", "inject")


def scripts_for(scenario_id: str) -> dict[str, DecisionScript]:
    """The no-op play and every reference script present for ``scenario_id``."""
    out = {"noop": NOBODY}
    for name in SCRIPTS[1:]:
        path = REFERENCE / scenario_id / f"{name}.yaml"
        if path.exists():
            out[name] = load_script(path)
    return out


def key_event(e: Event) -> list[Any]:
    """``[t, type, detail]``: one line a reviewer can read in a diff."""
    d = e.data
    if e.type == "page":
        detail = d["alert"]
    elif e.type in ("alert.fired", "alert.resolved"):
        detail = d["name"]
    elif e.type == "inject":
        detail = d.get("id") or d.get("from")
    elif e.type == "input":
        args = [
            str(v)
            for k, v in d.items()
            if k
            in (
                "service",
                "pod",
                "target",
                "topic",
                "flag",
                "dependency",
                "database",
                "enabled",
                "state",
                "audience",
                "severity",
                "role",
                "person",
                "allow_pct",
                "consumers",
                "pods",
                "pct",
                "mode",
                "breakdown",
                "users_pct",
                "trend",
                "data",
                "next_update_min",
                "team",
            )
        ]
        detail = " ".join([d["type"], *args])
    else:  # state, effect
        extra = {k: v for k, v in d.items() if k not in ("component", "what", "for", "cause")}
        detail = f"{d.get('component')}: {d.get('what')}"
        if extra:
            detail += " " + json.dumps(extra, sort_keys=True)
    return [e.t, e.type, detail]


def grade_of(scenario: Scenario, events: list[Event]) -> dict[str, Any] | None:
    """The grade as a dict, or None while engine.grading has no ``grade``."""
    try:
        from engine.grading import grade  # type: ignore[attr-defined]
    except ImportError:
        return None
    return grade(scenario, events).to_dict()  # type: ignore[no-any-return]


def record(scenario: Scenario, script_name: str, script: DecisionScript) -> dict[str, Any]:
    """What the golden file of (scenario, script) holds, from a fresh seed-0 run."""
    drill = Drill(scenario, seed=SEED)
    run = play(drill, script)
    events = drill.log.events
    out = {
        k: (round(v, 3) if isinstance(v, float) else v)
        for k, v in outcome(scenario, events).to_dict().items()
    }
    return {
        "scenario": scenario.id,
        "script": script_name,
        "seed": SEED,
        "outcome": out,
        "rejected": [[r.step, r.t, r.message] for r in run.rejected],
        "timeline": [key_event(e) for e in events if e.type in KEY_EVENTS],
        "log": {"events": len(events), "sha256": drill.log.digest()},
        # Filled by engine.grading.grade(scenario, events).to_dict() once it exists.
        "grade": grade_of(scenario, events),
    }


def dumps(rec: dict[str, Any]) -> str:
    """Stable JSON, one timeline entry per line and the grade indented, for readable diffs."""
    head = {k: v for k, v in rec.items() if k not in ("timeline", "grade")}
    lines = ["{"]
    for k, v in head.items():
        lines.append(f"  {json.dumps(k)}: {json.dumps(v, sort_keys=True)},")
    lines.append('  "timeline": [')
    tl = rec.get("timeline", [])
    for i, item in enumerate(tl):
        lines.append("    " + json.dumps(item) + ("," if i < len(tl) - 1 else ""))
    lines.append("  ],")
    grade = json.dumps(rec.get("grade"), sort_keys=True, indent=1).replace("\n", "\n  ")
    lines.append(f'  "grade": {grade}')
    lines.append("}")
    return "\n".join(lines) + "\n"


def path_for(scenario_id: str, script_name: str) -> Path:
    return GOLDEN / scenario_id / f"{script_name}.json"


def regen(ids: list[str] | None = None) -> list[Path]:
    """Rewrite the golden files of ``ids`` (default: the whole library)."""
    written = []
    for p in library():
        sc = load_scenario(p)
        if ids and sc.id not in ids:
            continue
        for name, script in scripts_for(sc.id).items():
            target = path_for(sc.id, name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(dumps(record(sc, name, script)))
            written.append(target)
    return written


def main(argv: list[str]) -> int:
    for path in regen(argv or None):
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
