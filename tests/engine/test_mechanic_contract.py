"""One contract over every registered mechanic and over the action-spec table."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import get_args

import pytest

from engine import inputs, mechanics
from engine.actions import ACTIONS
from engine.grading import rubric
from engine.scenario import ENDABLE, Fault
from engine.selfcheck import TARGET_KINDS

ROOT = Path(__file__).resolve().parents[2]
FAULT_KINDS = {
    kind
    for model in get_args(get_args(Fault)[0])
    for kind in get_args(model.model_fields["kind"].annotation)
}


@pytest.mark.parametrize("mech", mechanics.MECHANICS, ids=lambda m: m.name)
def test_every_mechanic_keeps_the_contract(mech: mechanics.Mechanic) -> None:
    """Its levers are mitigations in the table naming it back; its faults are scenario kinds."""
    for lever in mech.levers:
        spec = ACTIONS[lever]
        assert (spec.category, spec.mechanic) == ("mitigate", mech.name)
        assert spec.target_field is not None and spec.target_kinds
        assert lever in inputs.PERMISSIONS["player"]
    assert set(mech.faults) <= FAULT_KINDS
    assert set(mech.ends) <= set(ENDABLE)
    assert set(mech.ends) <= set(mech.faults), "it ends only faults it starts"
    assert set(mech.says) == set(mech.levers), "every lever has its postmortem wording"
    assert set(mech.tells) <= set(mech.faults)
    assert (ROOT / "engine" / "mechanics" / f"{mech.name}.py").is_file()


def test_every_fault_kind_and_endable_kind_has_one_owner() -> None:
    """No two mechanics claim a fault kind or a lever; ENDABLE kinds can all be ended."""
    faults = [k for m in mechanics.MECHANICS for k in m.faults]
    levers = [k for m in mechanics.MECHANICS for k in m.levers]
    assert len(faults) == len(set(faults)) and len(levers) == len(set(levers))
    builtin_ends = {"pod_failure", "dependency", "db_blocker"}  # engine/effects.end_fault
    assert set(ENDABLE) == set(mechanics.ENDS) | builtin_ends


def test_every_mechanic_lever_is_worded_in_plain_english() -> None:
    """The postmortem says what a mechanic's lever did, not its raw parameters."""
    from engine.postmortem.phrases import describe_input

    for mech in mechanics.MECHANICS:
        for lever in mech.levers:
            model = inputs.input_model(lever)
            fields = {
                n: (f.default if not f.is_required() else 1)
                for n, f in model.model_fields.items()
                if n != "type"
            }
            text = describe_input({"type": lever, **fields})
            assert not text.startswith(f"{lever}("), f"{lever} has no wording: {text}"


def test_every_table_entry_naming_a_mechanic_is_implemented_by_it() -> None:
    """A lever the table assigns to a mechanic is registered by that mechanic."""
    owned = {t: a.mechanic for t, a in ACTIONS.items() if a.mechanic is not None}
    registered = {lever: m.name for m in mechanics.MECHANICS for lever in m.levers}
    assert owned == registered


def test_the_old_tables_are_derived_from_the_action_table() -> None:
    """CATEGORY, TARGET_FIELD, REVERSIBLE and TARGET_KINDS say what ACTIONS says."""
    assert {t: a.category for t, a in ACTIONS.items()} == inputs.CATEGORY
    assert {t: a.target_field for t, a in ACTIONS.items() if a.target_field} == rubric.TARGET_FIELD
    assert set(rubric.REVERSIBLE) == {t for t, a in ACTIONS.items() if a.reversible}
    assert {t: a.target_kinds for t, a in ACTIONS.items() if a.target_kinds} == TARGET_KINDS
    assert set(inputs.INPUT_TYPES) == set(ACTIONS)


def _engine_imports(path: Path) -> set[str]:
    """Modules of engine/ that ``path`` imports at module level (not under TYPE_CHECKING)."""
    tree = ast.parse(path.read_text())
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    out: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.split(".")
            base = base[: len(base) - node.level + 1]
            mod = ".".join([*base, node.module] if node.module else base)
            out.add(mod)
            if not node.module:
                out.update(f"{mod}.{a.name}" for a in node.names)
    return out


@pytest.mark.parametrize(
    "path",
    [*sorted((ROOT / "engine" / "mechanics").glob("*.py")), ROOT / "engine" / "actions.py"],
    ids=lambda p: p.name,
)
def test_mechanics_and_the_action_table_import_only_downward(path: Path) -> None:
    """Nothing below the drill imports the drill, effects, grading or postmortem."""
    above = (
        "engine.drill",
        "engine.effects",
        "engine.grading",
        "engine.postmortem",
        "engine.selfcheck",
    )
    bad = sorted(m for m in _engine_imports(path) if m.startswith(above))
    assert bad == []
