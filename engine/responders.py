"""Simulated teammates (responders): people a lone player can page, give roles and tasks.

A responder is data in the scenario (``responders:``; :data:`DEFAULT_ROSTER` when the
scenario names none). Paged with ``page_team <name>``, one joins the channel after a
while; given a task with ``delegate`` (any player action), it acknowledges, waits until
it is free, takes a realistic time, then performs the action through the same input
vocabulary (an ``input`` event with ``actor`` = the responder and ``via`` = the seq of
the ``delegate``) and reports back in the channel. A responder can be busy for a stretch
of the drill (it says so and starts later) or wrong about one kind of task (it performs
it but reports what the scenario says it believes). Every delay comes from a
``random.Random`` seeded by (drill seed, responder, task number), so the world's own
random stream is untouched and the same inputs give the same log.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from . import inputs as I
from .errors import FiredrillError, InvalidInput, NotAllowed
from .roster import DEFAULT_ROSTER, Busy, Mistake, Responder

if TYPE_CHECKING:
    from .handle import DrillHandle
    from .log import Event

__all__ = ["DEFAULT_ROSTER", "Busy", "Mistake", "Responder", "Responders", "public", "roster"]

# Seconds a task takes before its action lands (uniform in the range, times ``pace``):
# reading a dashboard is quick, a change needs a terminal and a second look.
TASK_TIME: dict[str, tuple[float, float]] = {
    "command": (20.0, 40.0),
    "investigate": (40.0, 90.0),
    "impact": (90.0, 150.0),
    "mitigate": (60.0, 120.0),
    "communicate": (120.0, 180.0),
}
NOT_DELEGABLE = frozenset({"delegate", "chat"})


def roster(scenario: Any) -> tuple[Responder, ...]:
    """The scenario's responders, or the default roster when it names none."""
    own = getattr(scenario, "responders", None)
    return tuple(own) if own is not None else DEFAULT_ROSTER


def public(scenario: Any) -> list[dict[str, str]]:
    """What every participant may know about the responders: who they are."""
    return [{"name": r.name, "title": r.title} for r in roster(scenario)]


@dataclass
class _Mate:
    spec: Responder
    paged_at: float | None = None
    joined: bool = False
    free_at: float = 0.0
    tasks: int = 0
    queue: list[int] = field(default_factory=list)


class Responders:
    """The responders of one drill; the drill calls :meth:`check` and :meth:`after`."""

    def __init__(self, drill: DrillHandle) -> None:
        self.drill = drill
        self.mates = {r.name.casefold(): _Mate(r) for r in roster(drill.scenario)}

    def find(self, name: str) -> _Mate | None:
        return self.mates.get(name.strip().casefold())

    # ------------------------------------------------------------ hooks
    def check(self, inp: I.Input) -> None:
        """Refuse, before anything is logged, what would not work with real people."""
        if isinstance(inp, I.Delegate):
            mate = self.find(inp.person)
            if mate is None:
                names = ", ".join(m.spec.name for m in self.mates.values())
                raise InvalidInput(f"no teammate called {inp.person!r}; teammates: {names}")
            task = I.parse_input(dict(inp.task))
            if task.type in NOT_DELEGABLE or task.type not in I.PERMISSIONS["player"]:
                raise InvalidInput(f"a teammate cannot be given {task.type!r} as a task")
            self._need_joined(mate)
        # assign_role is not gated: the engine cannot tell a teammate from a person of
        # the same name in a group drill; a teammate only acknowledges once in the channel

    def after(self, inp: I.Input, event: Event) -> None:
        """React to an input that was just logged (not to the responders' own)."""
        if "via" in event.data:
            return
        if isinstance(inp, I.PageTeam):
            mate = self.find(inp.team)
            if mate is not None and mate.paged_at is None:
                mate.paged_at = self.drill.now
                wait = mate.spec.joins_after * self._rng(mate, "page").uniform(0.8, 1.2)
                self.drill.later(_ms(wait), partial(self._join, mate))
        elif isinstance(inp, I.AssignRole):
            mate = self.find(inp.person)
            if mate is not None and mate.joined:
                self._say(mate, f"Got it, I'm {ROLE_NAMES.get(inp.role, inp.role)}.", event.seq)
        elif isinstance(inp, I.Delegate):
            mate = self.find(inp.person)
            assert mate is not None  # check() ran
            self._take(mate, event)

    # -------------------------------------------------------- internals
    def _need_joined(self, mate: _Mate) -> None:
        if mate.joined:
            return
        name = mate.spec.name
        if mate.paged_at is None:
            raise NotAllowed(f"{name} is not in the channel; page them first (page_team {name})")
        raise NotAllowed(f"{name} was paged and has not joined the channel yet")

    def _rng(self, mate: _Mate, what: str) -> random.Random:
        return random.Random(f"{self.drill.seed}/{mate.spec.name}/{what}/{mate.tasks}")

    def _join(self, mate: _Mate) -> None:
        mate.joined = True
        mate.free_at = max(mate.free_at, self.drill.now)
        self._say(mate, f"{mate.spec.name} here ({mate.spec.title}). What do you need?", None)

    def _take(self, mate: _Mate, event: Event) -> None:
        now = self.drill.now
        task = dict(event.data["task"])
        kind = str(task["type"])
        mate.tasks += 1
        start = max(now, mate.free_at)
        busy = next((b for b in mate.spec.busy if b.start <= start < b.until), None)
        if busy is not None:
            start = busy.until
            self._say(mate, busy.says, event.seq)
        elif start > now + 1:
            self._say(mate, f"Queued behind what I'm on; I'll do {_what(task)} next.", event.seq)
        else:
            self._say(mate, f"On it: {_what(task)}.", event.seq)
        lo, hi = TASK_TIME[I.CATEGORY[kind]]
        done = start + self._rng(mate, "task").uniform(lo, hi) * mate.spec.pace
        mate.free_at = done
        self.drill.at(_ms(done), partial(self._perform, mate, task, event.seq))

    def _perform(self, mate: _Mate, task: dict[str, Any], via: int) -> None:
        try:
            done = self.drill.submit(task, actor=mate.spec.name, role="player", via=via)
        except FiredrillError as exc:
            self._say(mate, f"I couldn't {_what(task)}: {exc}", via)
            return
        result = next(
            (
                e.data.get("result")
                for e in reversed(self.drill.log.events)
                if e.type == "observation" and e.data.get("for") == done.seq
            ),
            None,
        )
        slip = next(
            (
                m
                for m in mate.spec.wrong
                if m.action == task["type"] and m.target in (None, _target(task))
            ),
            None,
        )
        text = slip.says if slip is not None else _report(task, result)
        self._say(mate, text, via)

    def _say(self, mate: _Mate, text: str, about: int | None) -> None:
        self.drill.log.append(
            self.drill.now,
            mate.spec.name,
            "inject",
            {
                "id": None,
                "from": mate.spec.name,
                "role": "teammate",
                "channel": "chat",
                "text": text,
                "asks": None,
                "about": about,
            },
        )


ROLE_NAMES = {
    "ic": "incident commander",
    "deputy": "deputy",
    "scribe": "scribe",
    "comms": "on comms",
    "ops": "on ops",
    "sme": "the SME",
}
_TARGETS = ("service", "topic", "dependency", "database", "flag", "team", "target")


def _ms(t: float) -> float:
    return round(t, 3)


def _target(task: dict[str, Any]) -> str | None:
    return next((str(task[k]) for k in _TARGETS if k in task), None)


def _what(task: dict[str, Any]) -> str:
    kind = str(task["type"]).replace("_", " ")
    if task["type"] == "view_dashboard":
        return f"the {task.get('breakdown')} breakdown of {task.get('service')}"
    if task["type"] in ("drain_pod", "undrain_pod"):
        return f"{kind} {task.get('pod')}"
    target = _target(task)
    return f"{kind} {target}" if target else kind


def _report(task: dict[str, Any], result: Any) -> str:
    """What a responder says when a task is done: the gist of what it showed."""
    what = _what(task)
    if not isinstance(result, dict):
        return f"Done: {what}."
    if task["type"] == "view_dashboard":
        rows = result.get("rows") or {}
        rated = [(float(r.get("err_5xx_pct", 0.0)), n) for n, r in rows.items() if r]
        if not rated:
            return f"Looked at {what}: nothing is serving there."
        worst, name = max(rated)
        rest = [e for e, n in rated if n != name]
        if worst < 1.0 or (rest and worst < 2 * max(rest) + 0.5):
            return f"Looked at {what}: nothing stands out (worst is {name} at {worst:.1f}% 5xx)."
        return (
            f"Looked at {what}: {name} is at {worst:.1f}% 5xx, "
            f"the other {len(rest)} at most {max(rest, default=0.0):.1f}%."
        )
    if task["type"] == "read_logs":
        lines = result.get("lines") or []
        errors = [ln for ln in lines if isinstance(ln, dict) and ln.get("level") == "ERROR"]
        if not errors:
            return f"Read {what}: {len(lines)} lines, no errors."
        return f'Read {what}: {len(errors)} error lines, e.g. "{errors[-1].get("text")}".'
    if task["type"] == "list_changes":
        changes = result.get("changes") or []
        if not changes:
            return "No recent changes on record."
        last = changes[-1]
        return f"Latest change: {last.get('summary')} ({last.get('kind')})."
    if task["type"] == "ask_sme":
        return f"{result.get('from')} says: {result.get('answer')}"
    return f"Done: {what}; it's on the investigation panels."
