"""Reading scenario, script and log files: the only place the CLI touches disk for input."""

from __future__ import annotations

import difflib
from pathlib import Path

from engine.errors import Problem, ScenarioError, ScriptError
from engine.loader import load_scenario as parse_scenario
from engine.scenario import Scenario
from engine.script import DecisionScript

from .assets import LIBRARY

MAX_BYTES = 1_000_000


def read_bytes(path: Path, error: type[ScenarioError] | type[ScriptError]) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise error(
                [Problem(str(path), None, "", f"is {size} bytes; the limit is {MAX_BYTES}")]
            )
        return path.read_bytes()
    except OSError as exc:
        raise error([Problem(str(path), None, "", f"cannot be read: {exc.strerror}")]) from None


def id_choices(ref: str) -> str:
    """What to say to a scenario id that is not in the library: the ids and the nearest one."""
    ids = library_ids()
    listed = ", ".join(ids) or f"none (no scenarios in {LIBRARY})"
    near = difflib.get_close_matches(ref, ids, n=1, cutoff=0.6)
    return f"available: {listed}" + (f"; did you mean {near[0]!r}?" if near else "")


def resolve_scenario(ref: str) -> Path:
    """A path, or the id of a scenario in the library (ScenarioError for an unknown id)."""
    path = Path(ref)
    if path.exists() or ref.endswith((".yaml", ".yml")) or "/" in ref or "\\" in ref:
        return path
    found = LIBRARY / f"{ref}.yaml"
    if not found.is_file():
        why = "is neither a file nor the id of a library scenario"
        raise ScenarioError([Problem(ref, None, "", f"{why}; {id_choices(ref)}")])
    return found


def load_scenario(ref: str | Path) -> Scenario:
    path = resolve_scenario(str(ref))
    return parse_scenario(read_bytes(path, ScenarioError), str(path))


def load_script(path: str | Path) -> DecisionScript:
    p = Path(path)
    return DecisionScript.from_yaml(read_bytes(p, ScriptError), str(p))


def library() -> list[Path]:
    """The library's scenario files, sorted by id."""
    return sorted(LIBRARY.glob("*.yaml"))


def library_ids() -> list[str]:
    """The ids of the library's scenarios, sorted."""
    return [p.stem for p in library()]
