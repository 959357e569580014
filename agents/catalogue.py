"""Concrete actions a player could take in a scenario, enumerated from the input models.

The random baseline and the Gymnasium environment's discrete action space draw
from this list. Each player input model's fields are filled by kind: targets
from the scenario's public facts (``service``, ``topic``...), every value of
a choice (``Literal``) or a flag (``bool``), a few values of a number, a
fixed text for free text. Optional fields keep their defaults.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any, Literal, get_args, get_origin

from .actions import PLAYER_ACTIONS, model_of

PEOPLE = ("sam", "priya")
PERCENTS = (10.0, 50.0)
COUNTS = (2, 12)


def _choices(
    kind: str,
    name: str,
    annotation: Any,
    facts: Mapping[str, Any],
    pods: Mapping[str, Sequence[str]],
) -> list[Any]:
    services = [s["name"] for s in facts["services"]]
    targets: dict[str, list[Any]] = {
        "service": services,
        "topic": list(facts["topics"]),
        "dependency": list(facts["dependencies"]),
        "database": list(facts["databases"]),
        "flag": [f["name"] for f in facts["flags"]],
        "team": list(facts["experts"]),
        "target": [*services, *facts["databases"], *facts["topics"]],
        "person": list(PEOPLE),
        "pod": sorted({p for names in pods.values() for p in names}),
    }
    if name in targets:
        return targets[name]
    if get_origin(annotation) is Literal:
        return list(get_args(annotation))
    if annotation is bool:
        return [True, False]
    if annotation is float:
        return list(PERCENTS)
    if annotation is int:
        return list(COUNTS)
    return [f"{kind.replace('_', ' ')} (from the action catalogue)"]


def catalogue(
    facts: Mapping[str, Any], pods: Mapping[str, Sequence[str]] | None = None
) -> list[dict[str, Any]]:
    """Every enumerated action for a scenario's public ``facts`` and the pods known by name."""
    pods = pods or {}
    out: list[dict[str, Any]] = []
    for kind in PLAYER_ACTIONS:
        fields = {
            n: f for n, f in model_of(kind).model_fields.items() if n != "type" and f.is_required()
        }
        options = [_choices(kind, n, f.annotation, facts, pods) for n, f in fields.items()]
        for combo in itertools.product(*options):
            action = {"type": kind, **dict(zip(fields, combo, strict=True))}
            if "pod" in action and action["pod"] not in pods.get(action.get("service", ""), ()):
                continue  # a pod belongs to one service
            out.append(action)
    return out
