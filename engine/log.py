"""The drill log: one append-only sequence of events, the only source of truth.

Every input (player action, chat, facilitator control) and every consequence
(metric sample, alert, state change, observation) is an :class:`Event` with
a monotonically increasing ``seq`` and a simulated time ``t``. Clients
resume from a seq, the store appends it, grading and the postmortem read it.
Serialisation is canonical (sorted keys, compact) so equal logs are equal bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

Visibility = str  # "all" | "facilitator"
_OPTS = orjson.OPT_SORT_KEYS


@dataclass(frozen=True, slots=True)
class Event:
    seq: int
    t: float
    actor: str
    type: str
    data: Mapping[str, Any]
    vis: Visibility = "all"

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "t": self.t,
            "actor": self.actor,
            "type": self.type,
            "data": self.data,
            "vis": self.vis,
        }

    def to_json(self) -> bytes:
        return orjson.dumps(self.to_dict(), option=_OPTS)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Event:
        return cls(
            seq=int(d["seq"]),
            t=float(d["t"]),
            actor=str(d["actor"]),
            type=str(d["type"]),
            data=dict(d["data"]),
            vis=str(d.get("vis", "all")),
        )


Subscriber = Callable[[Event], None]


class DrillLog:
    """Append-only list of events with subscribers (observers, not coupling)."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._subscribers: list[Subscriber] = []

    def __len__(self) -> int:
        return len(self.events)

    @property
    def last_seq(self) -> int:
        return self.events[-1].seq if self.events else 0

    def append(
        self, t: float, actor: str, type: str, data: Mapping[str, Any], vis: Visibility = "all"
    ) -> Event:
        event = Event(self.last_seq + 1, round(t, 3), actor, type, data, vis)
        self.events.append(event)
        for fn in tuple(self._subscribers):
            fn(event)
        return event

    def since(self, seq: int) -> list[Event]:
        """Events with a seq greater than ``seq`` (seqs are 1..n, so index = seq)."""
        return self.events[max(0, seq) :]

    def subscribe(self, fn: Subscriber) -> Callable[[], None]:
        self._subscribers.append(fn)
        return lambda: self._subscribers.remove(fn)

    def to_jsonl(self) -> bytes:
        return dump_jsonl(self.events)

    def digest(self) -> str:
        return hashlib.sha256(self.to_jsonl()).hexdigest()


def dump_jsonl(events: Iterable[Event]) -> bytes:
    return b"".join(e.to_json() + b"\n" for e in events)


def parse_jsonl(data: bytes) -> list[Event]:
    """Events from JSON lines; raises ValueError naming the bad line."""
    events = []
    for n, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            events.append(Event.from_dict(orjson.loads(line)))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"line {n}: not a drill log event ({exc})") from None
    return events
