"""Helpers for grading tests: the mini fixture scenario, drills, synthetic logs."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from engine.drill import Drill
from engine.grading import Grade, grade
from engine.loader import load_scenario
from engine.log import Event
from engine.scenario import Scenario
from engine.script import DecisionScript, play

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
SCRIPTS = HERE / "scripts"
REFERENCE = ROOT / "tests" / "reference"


@lru_cache
def scenario(name: str) -> Scenario:
    """The mini fixture (``mini``) or a library scenario by id."""
    path = (
        HERE / "fixtures" / "mini.yaml" if name == "mini" else ROOT / "scenarios" / f"{name}.yaml"
    )
    return load_scenario(path.read_text(), str(path))


def load_script(path: Path) -> DecisionScript:
    return DecisionScript.from_yaml(path.read_text(), str(path))


def make_script(steps: list[dict[str, Any]], name: str = "test") -> DecisionScript:
    return DecisionScript.model_validate({"name": name, "steps": steps})


@lru_cache(maxsize=512)
def _events(name: str, steps_json: bytes, seed: int) -> tuple[Event, ...]:
    steps = orjson.loads(steps_json)
    drill = Drill(scenario(name), seed)
    play(drill, make_script(steps))
    return tuple(drill.log.events)


def run(name: str, steps: list[dict[str, Any]], seed: int = 0) -> tuple[Event, ...]:
    """The log of playing ``steps`` (cached: equal steps, equal log)."""
    return _events(name, orjson.dumps(steps, option=orjson.OPT_SORT_KEYS), seed)


def steps_of(path: Path) -> list[dict[str, Any]]:
    return [
        s.model_dump(by_alias=True, exclude_none=True, exclude_defaults=True) | {"as": s.actor}
        for s in load_script(path).steps
    ]


def graded(name: str, steps: list[dict[str, Any]], seed: int = 0) -> Grade:
    return grade(scenario(name), run(name, steps, seed))


class Log:
    """A synthetic drill log for exact tests: samples every 10 s, then inputs."""

    def __init__(
        self,
        users: Callable[[float], float] | float = 0.0,
        until: float = 1800.0,
        rows: Callable[[float], float] | float = 0.0,
        extra: Callable[[float], dict[str, float]] | None = None,
    ) -> None:
        self.items: list[tuple[float, int, str, str, dict[str, Any]]] = []
        self._n = 0
        self.add(0.0, "system", "drill.created", {"scenario": "mini-rewards", "seed": 0})
        t = 0.0
        while t <= until + 1e-9:
            u = users(t) if callable(users) else users
            r = rows(t) if callable(rows) else rows
            values = {
                "business.users_affected_pct": u,
                "business.rows_corrupted": r,
                "rewards-api.err_5xx_pct": u,
            }
            values.update(extra(t) if extra else {})
            self.add(t, "system", "metrics", {"values": values})
            t += 10.0
        self.add(until, "system", "drill.ended", {"reason": "time"})

    def add(self, t: float, actor: str, type: str, data: dict[str, Any]) -> int:
        self._n += 1
        self.items.append((t, self._n, actor, type, data))
        return self._n

    def page(self, t: float) -> Log:
        self.add(t, "system", "alert.fired", {"name": "RedeemErrors"})
        self.add(t, "system", "page", {"alert": "RedeemErrors"})
        return self

    def input(self, t: float, actor: str, **data: Any) -> int:
        """Add an input; returns a key to pass as ``for_`` to effects."""
        return self.add(t, actor, "input", data)

    def effect(self, t: float, for_: int, component: str, what: str, **data: Any) -> None:
        self.add(t, "system", "effect", {"for": for_, "component": component, "what": what, **data})

    def state(
        self, t: float, component: str, what: str, for_: int | None = None, **data: Any
    ) -> None:
        cause = {} if for_ is None else {"for": for_}
        self.add(t, "system", "state", {"component": component, "what": what, **cause, **data})

    def events(self) -> list[Event]:
        """Events in time order (metrics before inputs at the same time), seq 1..n.
        Effects and states name their input by insertion key; keys become seqs."""
        order = sorted(
            self.items, key=lambda x: (x[0], x[3] == "drill.ended", x[3] != "metrics", x[1])
        )
        seq_of = {key: i for i, (_, key, _, _, _) in enumerate(order, start=1)}
        out = []
        for i, (t, _, actor, type, data) in enumerate(order, start=1):
            data = dict(data)
            if type == "effect":
                data["for"] = seq_of[data["for"]]
            if type == "state" and data.get("for") is not None:
                data["for"] = seq_of[data["for"]]
            out.append(Event(i, t, actor, type, data))
        return out

    def seq(self, key: int) -> int:
        """The seq that the event added with insertion key ``key`` ends up with."""
        return next(
            i
            for i, (_, k, *_r) in enumerate(
                sorted(
                    self.items, key=lambda x: (x[0], x[3] == "drill.ended", x[3] != "metrics", x[1])
                ),
                start=1,
            )
            if k == key
        )

    def grade(self) -> Grade:
        return grade(scenario("mini"), self.events())
