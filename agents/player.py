"""The player interface every agent plays through, and the player's view of a drill.

An agent sees what a human player sees and nothing more: events logged for
everyone (``vis == "all"``), the latest metric sample, the alerts firing and
the public facts of the scenario. :class:`View` folds a player's event stream
into :class:`Observation` records; the headless session and the live client
feed it the same events, so an agent cannot tell them apart.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from engine.log import Event

# Messages in the incident channel: injects (people writing in) and these inputs.
CHANNEL_INPUTS = frozenset({"chat", "status_update", "decide", "hypothesis", "state_impact"})
CHANNEL_KEEP = 20  # the channel in an observation: its last messages


class Refused(Exception):
    """The drill refused an action; nothing changed. ``code`` is the engine's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Acted:
    """An accepted action: its logged seq, the simulated time, and an investigation's answer."""

    seq: int
    t: float
    result: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "t": self.t, "result": self.result}


@dataclass(frozen=True)
class Observation:
    """What a player can see now, and what changed since the last look."""

    t: float
    page_at: float | None
    ended: bool
    alerts: tuple[str, ...]
    dashboards: dict[str, float]
    panels: tuple[str, ...]
    incident: dict[str, Any]
    channel: tuple[dict[str, Any], ...]
    changes: tuple[dict[str, Any], ...]

    def to_dict(self) -> dict[str, Any]:
        """A fresh plain copy: whoever receives it may change it without touching the drill."""
        return copy.deepcopy(
            {
                "t": self.t,
                "page_at": self.page_at,
                "ended": self.ended,
                "alerts": list(self.alerts),
                "dashboards": self.dashboards,
                "panels": list(self.panels),
                "incident": self.incident,
                "channel": list(self.channel),
                "changes": list(self.changes),
            }
        )


class Player(Protocol):
    """One participant's handle on a drill: headless (agents.session) or live (agents.live)."""

    @property
    def now(self) -> float:
        """Simulated seconds since the drill started."""
        ...

    @property
    def scenario(self) -> dict[str, Any]:
        """The scenario's public facts (``engine.drill.public_info``)."""
        ...

    def observe(self) -> Observation:
        """The player's view now; ``changes`` holds what happened since the last observe."""
        ...

    def act(self, action: Mapping[str, Any]) -> Acted:
        """Submit one input of the vocabulary (docs/actions.md); raises :class:`Refused`."""
        ...

    def wait(self, seconds: float) -> None:
        """Let ``seconds`` of simulated time pass."""
        ...


def brief(event: Event) -> dict[str, Any]:
    """One event as an agent reads it."""
    return {
        "seq": event.seq,
        "t": event.t,
        "actor": event.actor,
        "type": event.type,
        "data": event.data,
    }


@dataclass
class View:
    """A player's picture of the drill, folded from the events it may see."""

    state: dict[str, Any]
    seen: int = 0
    channel: list[dict[str, Any]] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)

    def feed(self, events: Iterable[Event]) -> list[Event]:
        """Take new events (player-visible only); return those that are news to an agent."""
        news = []
        for e in events:
            if e.vis != "all" or e.seq <= self.seen:
                continue
            self.seen = e.seq
            if e.type == "metrics":
                self.metrics = dict(e.data.get("values", {}))
                continue
            news.append(e)
            if e.type == "inject" or (e.type == "input" and e.data.get("type") in CHANNEL_INPUTS):
                self.channel.append({"seq": e.seq, "t": e.t, "from": e.actor, **_channel_text(e)})
        del self.channel[:-CHANNEL_KEEP]
        return news

    def observation(self, state: Mapping[str, Any], news: list[Event]) -> Observation:
        """An observation from the drill's player snapshot and the news since the last look."""
        return Observation(
            t=float(state["t"]),
            page_at=state.get("page_at"),
            ended=bool(state.get("ended")),
            alerts=tuple(state.get("alerts", ())),
            dashboards=dict(self.metrics),
            panels=tuple(state.get("revealed", ())),
            incident=copy.deepcopy(dict(state.get("incident", {}))),
            channel=tuple(dict(m) for m in self.channel),
            changes=tuple(copy.deepcopy(brief(e)) for e in news),
        )


def _channel_text(e: Event) -> dict[str, Any]:
    if e.type == "inject":
        return {"kind": "message", "role": e.data.get("role"), "text": e.data.get("text")}
    data = {k: v for k, v in e.data.items() if k != "type"}
    return {"kind": e.data["type"], **data}
