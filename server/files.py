"""Reading scenario, script and log files: the only place the CLI touches disk for input."""

from __future__ import annotations

from pathlib import Path

from engine.errors import Problem, ScenarioError, ScriptError
from engine.scenario import Scenario
from engine.script import DecisionScript

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "scenarios"
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


def resolve_scenario(ref: str) -> Path:
    """A path, or the id of a scenario in the library."""
    path = Path(ref)
    if path.exists() or ref.endswith((".yaml", ".yml")):
        return path
    return LIBRARY / f"{ref}.yaml"


def load_scenario(ref: str | Path) -> Scenario:
    path = resolve_scenario(str(ref))
    return Scenario.from_yaml(read_bytes(path, ScenarioError), str(path))


def load_script(path: str | Path) -> DecisionScript:
    p = Path(path)
    return DecisionScript.from_yaml(read_bytes(p, ScriptError), str(p))


def library() -> list[Path]:
    return sorted(LIBRARY.glob("*.yaml"))
