"""Imports point downward: the import-linter contracts in pyproject.toml hold, and bite.

The contracts declare the engine's layers (highest first), that the engine imports
neither the server nor the agents, that only the server's CLI imports the agents, and
that no package has an import cycle. Type-only and function-local imports count.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    """Run every contract over the packages under ``root`` (no cache written anywhere)."""
    return subprocess.run(
        [str(LINT), "--no-cache", "--no-logo", str(root / "pyproject.toml")],
        cwd=root,
        env={"PATH": str(LINT.parent), "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        check=False,
    )


def _copy(tmp_path: Path) -> Path:
    for name in ("engine", "server", "agents"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("_data"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_tree_keeps_every_import_contract() -> None:
    """The engine's layers, its purity from server and agents, and acyclic packages hold."""
    run = _lint(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "4 kept, 0 broken" in run.stdout


def test_a_new_engine_module_must_be_given_a_layer(tmp_path: Path) -> None:
    """The layers are exhaustive: a module nobody placed fails until it is listed."""
    root = _copy(tmp_path)
    (root / "engine" / "stray.py").write_text('"""Not in any layer."""\n')
    run = _lint(root)
    assert run.returncode == 1
    assert "engine.stray" in run.stdout


PLANTS = {
    "module level": "from .drill import Drill  # noqa\n",
    "function-local": "def _late() -> object:\n    from .drill import Drill\n\n    return Drill\n",
    "type-only": "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from .drill import Drill\n",
}


@pytest.mark.parametrize("how", PLANTS)
def test_an_upward_import_is_refused_however_it_is_written(tmp_path: Path, how: str) -> None:
    """The scenario format importing the drill (a layer far above it) breaks the layers
    contract and closes a cycle, whether at module level, inside a function or for types."""
    root = _copy(tmp_path)
    scenario = root / "engine" / "scenario.py"
    scenario.write_text(scenario.read_text() + "\n\n" + PLANTS[how])
    run = _lint(root)
    assert run.returncode == 1
    assert "engine layers, highest first BROKEN" in run.stdout
    assert "no import cycles inside any package BROKEN" in run.stdout
    assert "engine.scenario -> engine.drill" in run.stdout


def test_a_cycle_inside_a_subpackage_is_caught(tmp_path: Path) -> None:
    """world/backends.py naming the world model that builds it is a cycle inside
    engine.world, which the layers of the engine alone would not see."""
    root = _copy(tmp_path)
    backends = root / "engine" / "world" / "backends.py"
    backends.write_text(
        backends.read_text()
        + "\n\n"
        + PLANTS["type-only"].replace(".drill import Drill", ".model import World")
    )
    run = _lint(root)
    assert run.returncode == 1
    assert "engine layers, highest first KEPT" in run.stdout
    assert "No cycles are allowed in engine.world." in run.stdout
