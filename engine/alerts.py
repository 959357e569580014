"""Alert rules: a metric crossing a threshold for a duration fires; recovery resolves."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence

from .scenario import AlertRule

OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


class AlertEngine:
    """Evaluates every rule each tick against the world's metric list.

    ``index`` maps metric names to positions in the list ``step`` gets; rules
    are resolved to positions once (a metric the world lacks reads as 0.0).
    """

    def __init__(self, rules: list[AlertRule], index: Mapping[str, int]) -> None:
        self.rules = rules
        self._ops = [OPS[r.op] for r in rules]
        self._slots = [index.get(r.metric) for r in rules]
        self._since: list[float | None] = [None] * len(rules)
        self.firing: dict[str, float] = {}  # name -> time it fired

    def no_data(self) -> None:
        """A tick without data (alerting is down): nothing fires or resolves, and a
        breach must hold for a rule's whole ``for`` again once data returns."""
        self._since = [None] * len(self.rules)

    def step(self, now: float, values: Sequence[float]) -> list[tuple[str, AlertRule, float]]:
        """Transitions this tick: ("fired" | "resolved", rule, current value)."""
        out: list[tuple[str, AlertRule, float]] = []
        for i, rule in enumerate(self.rules):
            slot = self._slots[i]
            value = 0.0 if slot is None else values[slot]
            breach = self._ops[i](value, rule.threshold)
            if breach:
                since = self._since[i]
                if since is None:
                    self._since[i] = since = now
                if rule.name not in self.firing and now - since >= rule.for_:
                    self.firing[rule.name] = now
                    out.append(("fired", rule, value))
            else:
                self._since[i] = None
                if rule.name in self.firing:
                    del self.firing[rule.name]
                    out.append(("resolved", rule, value))
        return out
