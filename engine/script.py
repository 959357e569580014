"""Decision scripts: a runbook as data, replayed against a drill headless.

A script is a list of steps. Each step waits for its trigger (an absolute
time, a time after the page, an alert, a metric crossing), then an optional
``after`` delay, then submits one input. ``$worst_pod`` in a parameter
resolves to the pod with the highest 5xx rate in the last pod breakdown the
script looked at, so a runbook must look before it acts, as a person would;
``${name}`` in a parameter is the value the drill drew for the scenario's
choice ``name`` (engine/choices.py): the region or service it hit this seed.
See docs/scripts.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .alerts import OPS
from .choices import substitute
from .drill import Drill
from .errors import FiredrillError, PlayerError, Problem, ScriptError
from .inputs import CATEGORY, INPUT_TYPES, parse_input
from .timeexpr import Duration, format_clock, parse_duration
from .validation import validate_document
from .yamldoc import load_yaml

_AT = re.compile(r"^page(?:\s*\+\s*(.+))?$")
PLACEHOLDERS = ("$worst_pod",)


class Trigger(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    alert: str | None = None
    metric: str | None = None
    op: Literal[">", ">=", "<", "<="] = ">"
    threshold: float | None = None

    @model_validator(mode="after")
    def _one(self) -> Trigger:
        if (self.alert is None) == (self.metric is None):
            raise ValueError("needs exactly one of `alert` or `metric`")
        if self.metric is not None and self.threshold is None:
            raise ValueError("`metric` needs a `threshold`")
        return self


class Step(BaseModel):
    """One scripted input. Parameters of the input sit beside ``do``."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)
    do: str
    at: str | float | None = None
    when: Trigger | None = None
    after: Duration = 0.0
    actor: Annotated[str, Field(min_length=1, max_length=80)] = Field("player", alias="as")

    @model_validator(mode="after")
    def _check(self) -> Step:
        if self.do not in CATEGORY or CATEGORY[self.do] == "facilitate":
            allowed = [t for t in INPUT_TYPES if CATEGORY[t] != "facilitate"]
            raise ValueError(
                f"`do` must be a player action, one of: {', '.join(allowed)} (got {self.do!r})"
            )
        if self.at is not None and self.when is not None:
            raise ValueError("a step takes `at` or `when`, not both")
        if self.at is not None:
            at_seconds(self.at)
        return self

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})

    def input(self) -> dict[str, Any]:
        return {"type": self.do, **self.params}


def at_seconds(value: str | float) -> tuple[bool, float]:
    """(relative to the page?, seconds) from ``"page+2m"``, ``"page"`` or ``"5m"``."""
    if isinstance(value, str):
        m = _AT.match(value.strip())
        if m:
            return True, parse_duration(m.group(1)) if m.group(1) else 0.0
    return False, parse_duration(value)


class DecisionScript(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: Annotated[str, Field(min_length=1, max_length=80)]
    description: str = ""
    steps: list[Step]

    @classmethod
    def from_yaml(cls, source: str | bytes, file: str = "<script>") -> DecisionScript:
        doc = load_yaml(source, file, error=ScriptError)
        script = validate_document(cls, doc, error=ScriptError)
        problems = []
        for i, step in enumerate(script.steps):
            data = {k: ("pod-0" if v in PLACEHOLDERS else v) for k, v in step.input().items()}
            try:
                parse_input(data)
            except PlayerError as exc:
                problems.append(Problem(file, doc.line_of(("steps", i)), f"steps[{i}]", str(exc)))
        if problems:
            raise ScriptError(problems)
        return script


class RunError(FiredrillError):
    """A script could not be played against this scenario (e.g. a bad placeholder)."""


@dataclass
class Rejected:
    step: int
    t: float
    message: str


@dataclass
class NotRun:
    """A step that never ran: the drill ended (or never paged) before it fell due."""

    step: int
    do: str
    due: str  # the step's trigger in words: "page+26m", "alert X", ...
    message: str


@dataclass
class ScriptRun:
    drill: Drill
    rejected: list[Rejected] = field(default_factory=list)
    not_run: list[NotRun] = field(default_factory=list)


def _due(step: Step) -> str:
    if step.at is not None:
        return str(step.at)
    if step.when is not None:
        w = step.when
        return f"alert {w.alert}" if w.alert else f"{w.metric} {w.op} {w.threshold:g}"
    return "after the previous step"


def play(drill: Drill, script: DecisionScript) -> ScriptRun:
    """Run ``script`` against ``drill`` as fast as possible, then to the end."""
    run = ScriptRun(drill)
    tick = drill.scenario.tick
    end = drill.scenario.duration
    last = 0.0
    for i, step in enumerate(script.steps):
        if drill.ended:
            _not_run(run, script, i, drill)
            break
        if step.at is not None:
            relative, offset = at_seconds(step.at)
            if relative:
                while drill.page_at is None and not drill.ended:
                    drill.advance(drill.now + tick)
                if drill.page_at is None:
                    run.rejected.append(
                        Rejected(
                            i,
                            drill.now,
                            "the drill never paged: this page-relative step "
                            "and the steps after it did not run",
                        )
                    )
                    break
                drill.advance(drill.page_at + offset)
            else:
                drill.advance(offset)
        elif step.when is not None:
            while not drill.ended and not _holds(drill, step.when):
                drill.advance(drill.now + tick)
        drill.advance(max(drill.now, last) + step.after)
        if drill.ended:
            _not_run(run, script, i, drill)
            break
        data = step.input()
        data = {k: _resolve(drill, data, v, i) for k, v in data.items()}
        try:
            drill.submit(data, actor=step.actor, role="player")
        except PlayerError as exc:
            run.rejected.append(Rejected(i, drill.now, str(exc)))
        last = drill.now
    drill.advance(end + tick)
    return run


def _not_run(run: ScriptRun, script: DecisionScript, first: int, drill: Drill) -> None:
    """Record steps ``first``.. as never run: the drill ended before they fell due."""
    reason = f"the drill ended at {format_clock(drill.now)} before it fell due"
    for i in range(first, len(script.steps)):
        step = script.steps[i]
        run.not_run.append(NotRun(i, step.do, _due(step), reason))


def _holds(drill: Drill, trig: Trigger) -> bool:
    if trig.alert is not None:
        return trig.alert in drill.alerts_seen
    assert trig.metric is not None and trig.threshold is not None
    return OPS[trig.op](drill.world.metric(trig.metric), trig.threshold)


def _resolve(drill: Drill, data: dict[str, Any], value: Any, step: int) -> Any:
    if value != "$worst_pod":
        try:
            return substitute(value, drill.choices)
        except KeyError as exc:
            known = ", ".join(drill.choices) or "none"
            raise RunError(
                f"step {step}: ${{{exc.args[0]}}} names no choice of {drill.scenario.id} "
                f"(choices: {known})"
            ) from None
    want = f"{data.get('service')}/pod"
    for e in reversed(drill.log.events):
        if (
            e.type == "observation"
            and e.data["kind"] == "view_dashboard"
            and e.data["result"]["panel"] == want
        ):
            rows = e.data["result"]["rows"]
            scored = [(r.get("err_5xx_pct", -1.0), name) for name, r in rows.items()]
            return max(scored)[1]
    raise RunError(f"step {step}: `$worst_pod` used before the {want} breakdown was viewed")
