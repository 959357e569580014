"""Faults with causes: watch a ``when`` or ``until`` condition, fire once.

A cause is a metric condition held for a while, an alert firing, a player
action (optionally on a named component), or another fault starting or ending. The
drill checks metric, alert and fault causes once per tick (after alerts are
evaluated) and action causes as the input is applied, so a cause is as
deterministic as the rest of the drill. A ``started`` cause fires as the fault
it names starts (the drill does that; the tick check is a fallback).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from .actions import ACTIONS
from .alerts import OPS
from .inputs import Input
from .scenario import Cause


@dataclass(slots=True)
class Watch:
    """One pending cause and what to do when it happens (after its ``delay``)."""

    cause: Cause
    fire: Callable[[], None]
    held_since: float | None = field(default=None)

    def due(
        self,
        now: float,
        metric: Callable[[str], float],
        alerts_seen: Collection[str],
        ended: Collection[str],
        started: Collection[str] = (),
    ) -> bool:
        """Whether a tick-checked cause holds now (action causes never do here)."""
        c = self.cause
        if c.metric is not None:
            if not OPS[c.op](metric(c.metric), c.threshold or 0.0):
                self.held_since = None
                return False
            if self.held_since is None:
                self.held_since = now
            return now - self.held_since >= c.for_
        if c.alert is not None:
            return c.alert in alerts_seen
        if c.fault is not None:
            return c.fault in ended
        if c.started is not None:
            return c.started in started
        return False

    def matches(self, inp: Input) -> bool:
        """Whether the input ``inp`` is the action this cause waits for."""
        c = self.cause
        if c.action is None or c.action != inp.type:
            return False
        # turning the flag on does not end what turning it off ends
        if c.enabled is not None and getattr(inp, "enabled", None) is not c.enabled:
            return False
        # a flag set in one region leaves the rest as they were: not what the cause awaits
        if inp.type == "set_flag" and getattr(inp, "region", None) is not None:
            return False
        if c.target is None:
            return True
        spec = ACTIONS.get(inp.type)
        field_name = spec.target_field if spec is not None else None
        return field_name is not None and getattr(inp, field_name, None) == c.target
