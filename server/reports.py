"""Grade and postmortem draft: pure engine functions of the log, served when they exist.

The engine modules are imported lazily, so the routes exist (and stay in
the OpenAPI schema) before ``engine.grading`` / ``engine.postmortem`` do;
until then they answer 404 saying so. Expected shape:
``grade(scenario, events)`` and ``postmortem(scenario, events)``, returning a
dict, a dataclass, a pydantic model, something with ``to_dict()``, or text.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from typing import Any

from .errors import NotFound

REPORTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "grade": ("engine.grading", ("grade",)),
    "postmortem": ("engine.postmortem", ("postmortem", "draft")),
}


def find(kind: str) -> Callable[..., Any]:
    module_name, names = REPORTS[kind]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise  # the module exists but is broken: a real error, not "not yet"
        raise NotFound(
            f"{kind} is not available on this server yet ({module_name} is missing)"
        ) from None
    for name in names:
        fn = getattr(module, name, None)
        if callable(fn):
            return fn  # type: ignore[no-any-return]
    raise NotFound(f"{kind} is not available: {module_name} has no {' or '.join(names)}()")


def to_json(result: Any) -> Any:
    """Whatever the engine returned, as JSON-ready data."""
    if isinstance(result, str):
        return {"markdown": result}
    for attr in ("to_dict", "model_dump"):
        fn = getattr(result, attr, None)
        if callable(fn):
            return fn()
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        return dataclasses.asdict(result)
    return result


def render_report(kind: str, scenario: Any, events: list[Any]) -> dict[str, Any]:
    """The grade, or the postmortem built with the grade; both with their Markdown."""
    from engine.grading import grade

    g = grade(scenario, events)
    if kind == "grade":
        return {**g.to_dict(), "markdown": g.to_markdown()}
    from engine.postmortem import postmortem

    pm = postmortem(scenario, events, g)
    return {**pm.to_dict(), "markdown": pm.to_markdown()}
