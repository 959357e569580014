"""Seed-chosen targets: one scenario, a different failing region, service or decoy per seed.

A scenario may declare ``choices``, named lists of values
(``region: [eu-west, ap-south]``). Any string of the scenario may name a
choice as ``${region}``, whole (``region: ${region}``) or inside a text
(``"customers in ${region} see errors"``). A drill draws one value of each
choice, in declared order, from its seeded random before anything else
(:func:`draw`), and plays the scenario with every ``${name}`` replaced
(:func:`resolve`): the fault, the alerts, the truth and the grading targets
all name the chosen value, as if the author had written it. Since the draw
is the first use of the drill's ``random.Random(seed)``, :func:`as_played`
rebuilds the same scenario from a log's seed, for the grader and the
postmortem; a scenario without choices draws nothing and plays as before.

Reference scripts name the drill's choice the same way (``region: ${region}``;
engine/script.py). :func:`check` is the load-time validation: every
placeholder names a declared choice, every choice is used, and every
resolution passes the scenario's reference checks (its errors say which
value broke them).
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .errors import Problem, ScenarioError

if TYPE_CHECKING:
    from .log import Event
    from .scenario import Scenario

PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
MAX_PLAYS = 64  # resolutions validated at load: the product of the choices' sizes
# Shown in the lobby before any drill (and so before any draw): no placeholder there.
FIXED_FIELDS = (
    "id", "title", "summary", "class", "difficulty", "teaches", "symptom", "audience", "tags",
    "source",
)  # fmt: skip


def draw(choices: Mapping[str, Sequence[str]], rng: random.Random) -> dict[str, str]:
    """One value of each choice, in declared order, from ``rng`` (nothing drawn if none)."""
    return {name: rng.choice(list(values)) for name, values in choices.items()}


def substitute(data: Any, chosen: Mapping[str, str]) -> Any:
    """``data`` with every ``${name}`` in its strings replaced by ``chosen[name]``.

    Raises KeyError for a name ``chosen`` lacks (load-time checks rule it out)."""
    if isinstance(data, str):
        return PLACEHOLDER.sub(lambda m: chosen[m.group(1)], data) if "${" in data else data
    if isinstance(data, dict):
        return {k: substitute(v, chosen) for k, v in data.items()}
    if isinstance(data, list):
        return [substitute(v, chosen) for v in data]
    return data


def resolve(scenario: Scenario, chosen: Mapping[str, str]) -> Scenario:
    """The scenario as played with ``chosen``: every placeholder replaced.

    It keeps its ``choices``, so a drill of it on the same seed draws (and so uses
    its random) exactly as the first did: a replay or a counterfactual of a log
    rebuilds that log. Resolving it again changes nothing."""
    if not scenario.choices:
        return scenario
    data = scenario.model_dump(by_alias=True)
    return type(scenario).model_validate(substitute(data, chosen))


def for_seed(scenario: Scenario, seed: int) -> tuple[Scenario, dict[str, str]]:
    """What a drill of ``scenario`` on ``seed`` plays, and the values it drew."""
    chosen = draw(scenario.choices, random.Random(seed))
    return resolve(scenario, chosen), chosen


def as_played(scenario: Scenario, events: Sequence[Event]) -> Scenario:
    """``scenario`` resolved for the seed its log was played on (itself if it has no choices)."""
    if not scenario.choices:
        return scenario
    created = next((e for e in events if e.type == "drill.created"), None)
    seed = int(created.data.get("seed", 0)) if created is not None else 0
    return for_seed(scenario, seed)[0]


def placeholders(data: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple, str]]:
    """Every ``(path, name)`` of a ``${name}`` in the strings of plain ``data``."""
    if isinstance(data, str):
        for m in PLACEHOLDER.finditer(data):
            yield path, m.group(1)
    elif isinstance(data, dict):
        for k, v in data.items():
            yield from placeholders(v, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from placeholders(v, (*path, i))


def check(scenario: Scenario, doc: Any, checks: Sequence[Callable[[Scenario, Any], None]]) -> None:
    """Validate the choices of ``scenario`` (loaded from ``doc``), then run ``checks`` on
    every resolution; raise one ScenarioError listing every located problem."""
    from .yamldoc import format_path

    problems: list[Problem] = []

    def bad(path: tuple[str | int, ...], message: str) -> None:
        problems.append(Problem(doc.file, doc.line_of(path), format_path(path), message))

    names = list(scenario.choices)
    used: set[str] = set()
    for path, name in placeholders(doc.data):
        if path[:1] == ("choices",):
            bad(path, "a choice's values are plain names, not placeholders")
        elif name not in scenario.choices:
            known = ", ".join(names) or "none declared"
            bad(path, f"names an unknown choice ${{{name}}} (choices: {known})")
        elif path[0] in FIXED_FIELDS:
            bad(path, "is shown in the lobby before the seed draws a value: no placeholder here")
        else:
            used.add(name)
    for name, values in scenario.choices.items():
        if name not in used:
            bad(("choices", name), f"is never used: no `${{{name}}}` in the scenario")
        dupes = sorted({v for v in values if values.count(v) > 1})
        if dupes:
            bad(("choices", name), f"lists {', '.join(dupes)} more than once")
    plays = 1
    for values in scenario.choices.values():
        plays *= len(values)
    if plays > MAX_PLAYS:
        bad(("choices",), f"allow {plays} different plays; at most {MAX_PLAYS} are checked")
    if problems:
        raise ScenarioError(problems)
    seen: set[tuple[str | None, str, str]] = set()
    for combo in itertools.product(*scenario.choices.values()):
        chosen = dict(zip(names, combo, strict=True))
        when = ", ".join(f"{k} is {v}" for k, v in chosen.items())
        played = resolve(scenario, chosen)
        for run in checks:
            try:
                run(played, doc)
            except ScenarioError as exc:
                for p in exc.problems:
                    key = (p.path, p.message, when)
                    if key not in seen:
                        seen.add(key)
                        problems.append(
                            Problem(p.file, p.line, p.path, f"when {when}: {p.message}")
                        )
    if problems:
        raise ScenarioError(problems)
