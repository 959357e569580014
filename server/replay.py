"""Rebuild a drill from its stored inputs: the whole of crash recovery.

A drill is a function of (scenario, seed, inputs with their sim times), so
replaying the stored inputs through a fresh engine reproduces its log byte
for byte, up to the last sim time the store knew about.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from engine.drill import Drill
from engine.errors import DrillStateError, PlayerError
from engine.scenario import Scenario

from .store import DrillRecord, StoredInput

log = logging.getLogger("firedrill.server")


def rebuild(
    scenario: Scenario, seed: int, inputs: Iterable[StoredInput], until: float
) -> tuple[Drill, dict[tuple[str, str], int]]:
    """A drill with every input applied at its time, then advanced to ``until``; and the
    seq each input got, by (sender, frame id), so re-sent frames are still recognised."""
    drill = Drill(scenario, seed)
    frames: dict[tuple[str, str], int] = {}
    for inp in inputs:
        drill.advance(inp.t)
        try:
            event = drill.submit(inp.data, inp.actor, inp.role, inp.by)
        except (PlayerError, DrillStateError) as exc:
            # A refused input changed nothing the first time, so skipping it is exact.
            log.warning("replay skipped stored input %d (%s)", inp.n, exc)
            continue
        if inp.frame_id is not None:
            frames[(inp.sender.casefold(), inp.frame_id)] = event.seq
    drill.advance(until)
    return drill, frames


def rebuild_stored(
    scenario: Scenario, record: DrillRecord, inputs: list[StoredInput]
) -> tuple[Drill, dict[tuple[str, str], int]]:
    """:func:`rebuild` a stored drill up to the later of its saved sim time and its last
    input: every event any client was sent (the time is saved before events go out)."""
    return rebuild(scenario, record.seed, inputs, max([record.sim_time, *(i.t for i in inputs)]))


def last_input(inputs: list[StoredInput]) -> int:
    """The store number of the last stored input (0: none)."""
    return max((i.n for i in inputs), default=0)
