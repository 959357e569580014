"""The drill as its built-in handlers see it: a narrow interface, not the class.

:mod:`engine.effects` (the built-in levers and faults), :mod:`engine.observe`
(investigations) and :mod:`engine.responders` (simulated teammates) run inside
a drill but sit below :mod:`engine.drill` in the import graph: they get a
:class:`DrillHandle` (the drill satisfies it) instead of importing the drill,
the way mechanics get a :class:`~engine.mechanics.base.Ctx`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from .mechanics.base import Ctx

if TYPE_CHECKING:
    import simpy

    from .log import DrillLog, Event
    from .scenario import Fault, Migration
    from .world.service import ServiceState


class DrillHandle(Ctx, Protocol):
    """What a built-in handler may use of a drill, beyond what a mechanic may (:class:`Ctx`)."""

    seed: int
    rng: random.Random  # the drill's one seeded stream
    env: simpy.Environment
    log: DrillLog
    active_faults: dict[str, Fault]  # running faults by key
    blocker_pids: dict[str, int]  # the pid of each database's blocking transaction
    migrations: dict[str, list[tuple[str, str, Migration]]]  # applied, by service

    def at(self, t: float, fn: Callable[[], None]) -> None:
        """Run ``fn`` at simulated time ``t``."""

    def need_service(self, name: str) -> ServiceState:
        """The service ``name``, or InvalidInput listing the services."""

    def submit(
        self,
        data: Mapping[str, Any],
        actor: str,
        role: str = "player",
        by: str | None = None,
        via: int | None = None,
    ) -> Event:
        """Apply one input now, as ``actor`` (a simulated teammate carrying out a task)."""
