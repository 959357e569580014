"""Grade and postmortem draft: pure engine functions of the drill log, rendered for the API."""

from __future__ import annotations

from typing import Any

from engine.grading import grade, grade_markdown
from engine.postmortem import postmortem, postmortem_markdown


def render_report(kind: str, scenario: Any, events: list[Any]) -> dict[str, Any]:
    """The grade, or the postmortem built with the grade; both with their Markdown."""
    g = grade(scenario, events)
    if kind == "grade":
        return {**g.to_dict(), "markdown": grade_markdown(g)}
    pm = postmortem(scenario, events, g)
    return {**pm.to_dict(), "markdown": postmortem_markdown(pm)}
