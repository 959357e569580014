"""The drill lifecycle as one table: created -> running <-> paused -> ended.

Each facilitator clock action (and the end of simulated time) is looked up
in :data:`TRANSITIONS`; a pair that is not in the table is illegal and
raises :class:`IllegalTransition` without changing anything. Which inputs a
participant may send in each state is the second table, :data:`OPEN_TO_PLAYERS`.
"""

from __future__ import annotations

from enum import StrEnum

from engine.errors import DrillStateError


class Status(StrEnum):
    CREATED = "created"
    RUNNING = "running"
    PAUSED = "paused"
    ENDED = "ended"


C, R, P, E = Status.CREATED, Status.RUNNING, Status.PAUSED, Status.ENDED

TRANSITIONS: dict[tuple[Status, str], Status] = {
    (C, "start"): R,
    (R, "pause"): P,
    (P, "resume"): R,
    # speed and jump re-time the clock without changing the state
    (C, "speed"): C,
    (R, "speed"): R,
    (P, "speed"): P,
    (C, "jump"): C,
    (R, "jump"): R,
    (P, "jump"): P,
    # step moves a stopped clock by one tick (or `seconds`); a running clock moves itself
    (C, "step"): C,
    (P, "step"): P,
    (C, "end"): E,
    (R, "end"): E,
    (P, "end"): E,
}
ACTIONS: tuple[str, ...] = ("start", "pause", "resume", "speed", "step", "jump", "end")

# Inputs a *player* may send while the drill is not running: talking is fine,
# acting on a frozen world is not. Facilitators may send inputs in any state but ended.
OPEN_TO_PLAYERS: dict[Status, frozenset[str] | None] = {
    C: frozenset({"chat"}),
    R: None,  # None = everything the role permits
    P: frozenset({"chat"}),
    E: frozenset(),
}


class IllegalTransition(DrillStateError):
    code = "illegal_transition"


class NotRunning(DrillStateError):
    code = "not_running"


def allowed_actions(status: Status) -> list[str]:
    return [a for a in ACTIONS if (status, a) in TRANSITIONS]


class Lifecycle:
    """The status of one drill; changes only through :meth:`apply`."""

    __slots__ = ("status",)

    def __init__(self, status: Status = C) -> None:
        self.status = Status(status)

    def check(self, action: str) -> Status:
        """The status ``action`` would lead to; raises if it is illegal now."""
        nxt = TRANSITIONS.get((self.status, action))
        if nxt is None:
            legal = ", ".join(allowed_actions(self.status)) or "none (the drill is over)"
            raise IllegalTransition(
                f"cannot {action} a drill that is {self.status}; allowed now: {legal}"
            )
        return nxt

    def apply(self, action: str) -> Status:
        self.status = self.check(action)
        return self.status

    def check_input(self, role: str, input_type: str) -> None:
        """Raise unless a ``role`` may send ``input_type`` in the current status."""
        if self.status is E:
            raise NotRunning("the drill has ended; no more inputs are accepted")
        if role == "facilitator":
            return
        open_ = OPEN_TO_PLAYERS[self.status]
        if open_ is not None and input_type not in open_:
            why = "has not started yet" if self.status is C else "is paused"
            raise NotRunning(
                f"the drill {why}; only {', '.join(sorted(open_))} is accepted "
                f"until the facilitator {'starts' if self.status is C else 'resumes'} it"
            )
