"""The scenario library for agents: ids, scenarios, and content digests for reproducibility."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import engine
from engine.scenario import Scenario
from server.files import library, load_scenario

ENGINE_DIR = Path(engine.__file__).resolve().parent


def library_ids() -> list[str]:
    """Ids of the library's scenarios, sorted."""
    return [p.stem for p in library()]


def path_of(scenario_id: str) -> Path:
    for p in library():
        if p.stem == scenario_id:
            return p
    raise KeyError(
        f"unknown scenario {scenario_id!r}; available: {', '.join(library_ids()) or 'none'}"
    )


def load(scenario_id: str) -> Scenario:
    """A library scenario by id; KeyError naming the ids that exist."""
    return load_scenario(path_of(scenario_id))


def scenario_digest(scenario_id: str) -> str:
    """sha256 of the scenario file's bytes (first 16 hex digits)."""
    return hashlib.sha256(path_of(scenario_id).read_bytes()).hexdigest()[:16]


@cache
def engine_digest() -> str:
    """sha256 over the engine's source files, by path (first 16 hex digits)."""
    h = hashlib.sha256()
    for p in sorted(ENGINE_DIR.rglob("*.py")):
        h.update(p.relative_to(ENGINE_DIR).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()[:16]
