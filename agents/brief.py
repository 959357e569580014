"""The scenario brief a player gets: the public facts, as Markdown. No faults, no truth."""

from __future__ import annotations

from typing import Any

from engine.drill import SPOILERS, public_info
from engine.scenario import Scenario
from engine.timeexpr import format_clock

# The author's summary and the scenario's class state the cause ("all the errors come from
# one pod..."): a responder paged at 3 a.m. does not get them, so an agent does not either.
WITHHELD = SPOILERS


def player_facts(scenario: Scenario) -> dict[str, Any]:
    """The scenario's public facts (``public_info``) without what gives the cause away."""
    return {k: v for k, v in public_info(scenario).items() if k not in WITHHELD}


def brief_markdown(info: dict[str, Any]) -> str:
    """:func:`player_facts` rendered for a reader (a person or a model)."""
    lines = [
        f"# {info['title']}",
        "",
        f"- scenario: `{info['id']}` ({info['difficulty']})",
        *([f"- the page: {info['symptom']}"] if info.get("symptom") else []),
        f"- duration: {format_clock(info['duration'])[2:]} of simulated time",
    ]
    for s in info["services"]:
        lines.append(
            f"- service `{s['name']}`: {s['pods']} pods; endpoints "
            + (", ".join(f"`{e}`" for e in s["endpoints"]) or "none")
        )
    for key in ("dependencies", "databases", "topics", "experts"):
        if info[key]:
            lines.append(f"- {key}: " + ", ".join(f"`{x}`" for x in info[key]))
    for f in info["flags"]:
        lines.append(f"- flag `{f['name']}`: {f['description']}")
    for a in info["alerts"]:
        lines.append(f"- alert `{a['name']}`: {a['metric']} {a['op']} {a['threshold']}")
    return "\n".join(lines) + "\n"
