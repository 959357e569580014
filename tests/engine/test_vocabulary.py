"""The action table clients read (engine/vocabulary.py) says what the engine accepts."""

from __future__ import annotations

import re
from typing import Any, get_args

from engine import inputs as I
from engine.actions import ACTIONS
from engine.vocabulary import action_table


def _literal(annotation: Any) -> list[str] | None:
    args = get_args(annotation)
    return [str(a) for a in args] if args and all(isinstance(a, str) for a in args) else None


def test_every_action_takes_exactly_its_input_models_fields() -> None:
    """Same types in table order, same parameter names and order, same required ones,
    and an enum's choices are the model's Literal, in order."""
    table = action_table()
    assert [a.type for a in table.actions] == list(ACTIONS)
    for action in table.actions:
        fields = {n: f for n, f in I.input_model(action.type).model_fields.items() if n != "type"}
        assert [p.name for p in action.params] == list(fields), action.type
        for p in action.params:
            f = fields[p.name]
            assert p.optional == (not f.is_required()), (action.type, p.name)
            if p.kind == "enum":
                assert p.options == _literal(f.annotation), (action.type, p.name)


def test_bounds_are_the_models_and_the_engine_refuses_past_them() -> None:
    """A number's min and max are where parse_input starts refusing."""
    scale = {p.name: p for p in next(a for a in action_table().actions if a.type == "scale").params}
    assert (scale["pods"].kind, scale["pods"].min, scale["pods"].max) == ("int", 0, 256)
    I.parse_input({"type": "scale", "service": "api", "pods": 256})
    try:
        I.parse_input({"type": "scale", "service": "api", "pods": 257})
    except I.InvalidInput as exc:
        assert "less than or equal to 256" in str(exc)
    else:
        raise AssertionError("257 pods were accepted")


def test_the_console_words_come_from_the_table() -> None:
    """Labels, aliases, the rest-of-line parameter and the timeline wording are the
    spec's; every {field} the wording names is a parameter, and so is `rest`."""
    for action in action_table().actions:
        spec = ACTIONS[action.type]
        assert (action.label, action.help, action.done) == (spec.label, spec.help, spec.done)
        assert action.label and action.help and action.done, action.type
        names = {p.name for p in action.params}
        assert set(re.findall(r"\{(\w+)\}", action.done)) <= names, action.type
        assert action.rest is None or action.rest in names, action.type
    aliases = [a for action in action_table().actions for a in action.aliases]
    assert len(aliases) == len(set(aliases)) and not set(aliases) & set(ACTIONS)


def test_kinds_say_what_a_parameter_names() -> None:
    """A lever's target is named by its kind (a mechanic's too), a teammate is a
    responder, a delegated task an action, a long text a text area."""
    kinds = {(a.type, p.name): p.kind for a in action_table().actions for p in a.params}
    assert kinds[("rollback", "service")] == "service"
    assert kinds[("rotate_certificate", "certificate")] == "certificate"
    assert kinds[("restart", "target")] == "target"
    assert kinds[("delegate", "person")] == "responder"
    assert kinds[("delegate", "task")] == "task"
    assert kinds[("inject", "id")] == "inject"
    assert kinds[("chat", "text")] == "long"
    assert kinds[("declare_incident", "summary")] == "text"
    assert kinds[("set_flag", "enabled")] == "bool"


def test_permissions_are_the_engines() -> None:
    """Who may send what, as the drill enforces it: observers nothing, players no
    facilitator input."""
    table = action_table()
    assert {r: set(ts) for r, ts in table.permissions.items()} == {
        r: set(ts) for r, ts in I.PERMISSIONS.items()
    }
    assert table.permissions["observer"] == [] and "inject" not in table.permissions["player"]
