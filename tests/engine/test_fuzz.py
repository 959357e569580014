"""Fuzzing the ways in: scenario and script documents, and player inputs.

Whatever arrives, the loader raises only the documented author errors and the
drill only player errors, leaving itself unchanged.
"""

from __future__ import annotations

import contextlib
import copy
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.drill import Drill
from engine.errors import PlayerError, ScenarioError, ScriptError
from engine.inputs import INPUT_TYPES
from engine.loader import load_scenario
from engine.script import DecisionScript

from .conftest import ROOT, load

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=25,
)
BASE = yaml.safe_load((ROOT / "scenarios" / "checkout-deploy-500s.yaml").read_text())


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


PATHS = [p for p in _paths(BASE) if p]


@SETTINGS
@given(documents)
def test_random_documents_give_only_scenario_errors(doc: object) -> None:
    """Any YAML document is either a scenario or a ScenarioError, never a crash."""
    text = yaml.safe_dump(doc)
    try:
        load_scenario(text, "fuzz.yaml")
    except ScenarioError as exc:
        assert all(p.file == "fuzz.yaml" for p in exc.problems)


@SETTINGS
@given(st.sampled_from(PATHS), documents)
def test_mutated_library_scenario_gives_only_located_errors(
    path: tuple[Any, ...], value: object
) -> None:
    """Replacing any field of a real scenario with garbage yields errors with a line."""
    doc = copy.deepcopy(BASE)
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    try:
        load_scenario(yaml.safe_dump(doc, sort_keys=False), "mutated.yaml")
    except ScenarioError as exc:
        assert all(p.line is not None for p in exc.problems)


@SETTINGS
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(
                [
                    "do",
                    "at",
                    "when",
                    "after",
                    "as",
                    "service",
                    "pod",
                    "flag",
                    "enabled",
                    "text",
                    "x",
                ]
            ),
            scalars,
            max_size=5,
        ),
        max_size=5,
    )
)
def test_random_scripts_give_only_script_errors(steps: list[dict[str, Any]]) -> None:
    """Any list of steps is a valid script or a ScriptError."""
    with contextlib.suppress(ScriptError):
        DecisionScript.from_yaml(yaml.safe_dump({"name": "fuzz", "steps": steps}), "s.yaml")


DRILL = Drill(load("checkout-deploy-500s"), seed=0)
DRILL.advance(400)


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        documents,
        st.fixed_dictionaries(
            {"type": st.sampled_from(INPUT_TYPES)},
            optional={
                k: scalars
                for k in [
                    "service",
                    "pod",
                    "flag",
                    "enabled",
                    "severity",
                    "text",
                    "topic",
                    "consumers",
                    "pods",
                    "state",
                    "impact",
                    "target",
                ]
            },
        ),
    )
)
def test_random_inputs_never_harm_the_drill(data: Any) -> None:
    """Garbage inputs raise player errors and leave the log as it was."""
    before = len(DRILL.log)
    try:
        ev = DRILL.submit(data, actor="fuzz")
    except PlayerError:
        assert len(DRILL.log) == before
    else:
        assert ev.seq == before + 1
