"""The action-spec table as clients read it: every action with its parameters.

:data:`engine.actions.ACTIONS` says what each action is; the input models of
:mod:`engine.inputs` say what it takes. :func:`action_table` joins the two into
plain records (the server serves them at ``GET /api/actions``; the web console
builds its forms, command line and timeline wording from them), so no client
keeps a copy of either.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .actions import ACTIONS, CATEGORIES, ActionSpec, Category
from .inputs import PERMISSIONS, input_model

# Parameters whose name says what they name: the console offers the scenario's
# components of that kind (a pod from the breakdowns, a team from the experts).
_NAMED = frozenset({k for a in ACTIONS.values() for k in a.target_kinds}) | {
    "pod",
    "team",
    "person",
    "target",
}
LONG_TEXT = 1000  # characters from which the console asks for text in a text area


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Param(_Record):
    """One parameter of an action, as the console asks for it."""

    name: str
    kind: str = Field(
        description="enum, int, float, bool, text, long (a text area), task (an action), "
        "or what it names: service, pod, topic, dependency, database, flag, team, person, "
        "responder, target, inject, certificate, record, region, config, cache"
    )
    optional: bool
    label: str | None = Field(None, description="the form's label, when not the name")
    options: list[str] | None = Field(None, description="the choices of an enum")
    min: float | None = None
    max: float | None = Field(None, description="the largest number, or the longest text")


class Action(_Record):
    """One action: what it is (engine/actions.py) and what it takes (engine/inputs.py)."""

    type: str
    category: Category
    label: str
    help: str
    aliases: list[str] = Field(description="short verbs the command line also reads")
    rest: str | None = Field(description="the parameter that takes the rest of a command line")
    hidden: bool = Field(description="sent by the console itself, never offered as a form")
    done: str = Field(
        description="what the timeline says once sent: {field} is a value, [...] shows "
        "only when every field in it is set"
    )
    params: list[Param]
    target_field: str | None
    target_kinds: list[str]
    reversible: bool
    mechanic: str | None
    tool: str | None


class CategoryName(_Record):
    name: Category
    label: str


class ActionTable(_Record):
    """Every action a drill accepts, its categories and who may send what."""

    categories: list[CategoryName]
    actions: list[Action]
    permissions: dict[str, list[str]] = Field(description="input types each role may send")


@cache
def action_table() -> ActionTable:
    """The whole table (built once: it is a function of the code)."""
    return ActionTable(
        categories=[CategoryName(name=c, label=label) for c, label in CATEGORIES.items()],
        actions=[_action(spec) for spec in ACTIONS.values()],
        permissions={role: [t for t in ACTIONS if t in may] for role, may in PERMISSIONS.items()},
    )


def _action(spec: ActionSpec) -> Action:
    model = input_model(spec.type)
    schema = model.model_json_schema()
    required = set(schema.get("required", ()))
    params = [
        _param(spec, name, schema["properties"][name], name not in required, info.title)
        for name, info in model.model_fields.items()
        if name != "type"
    ]
    return Action(
        type=spec.type,
        category=spec.category,
        label=spec.label,
        help=spec.help,
        aliases=list(spec.aliases),
        rest=spec.rest,
        hidden=spec.hidden,
        done=spec.done,
        params=params,
        target_field=spec.target_field,
        target_kinds=list(spec.target_kinds),
        reversible=spec.reversible,
        mechanic=spec.mechanic,
        tool=spec.tool,
    )


def _param(
    spec: ActionSpec, name: str, prop: dict[str, Any], optional: bool, title: str | None
) -> Param:
    # an optional number is anyOf [the number, null]: its bounds are on the number
    s = next((x for x in prop.get("anyOf", [prop]) if x.get("type") != "null"), prop)
    lo = s.get("minimum", s.get("exclusiveMinimum"))
    hi = s.get("maximum", s.get("exclusiveMaximum", s.get("maxLength")))
    kind: str
    if "x-kind" in prop:
        kind = prop["x-kind"]
    elif "enum" in s:
        kind = "enum"
    elif s.get("type") in ("integer", "number", "boolean"):
        kind = {"integer": "int", "number": "float", "boolean": "bool"}[s["type"]]
    elif name in _NAMED or name == spec.target_field:
        kind = name
    else:
        kind = "long" if (hi or 0) >= LONG_TEXT else "text"
    return Param(
        name=name,
        kind=kind,
        optional=optional,
        label=title,
        options=[str(o) for o in s["enum"]] if "enum" in s else None,
        min=lo,
        max=hi,
    )
