"""Grading ended drills in a separate process, so drills ending together stall nobody.

Grading replays counterfactuals (engine/grading), tens of milliseconds of CPU
per drill. In a thread of the server process it holds the GIL against the
event loop: 200 drills ending together stalled every other drill's ticks and
replies for seconds. Here a drill is graded by one child process, started on
first use (``spawn``: the server's threads and sockets are not copied) at a
lower priority than the server, from what the store holds: the child rebuilds
the drill from its stored inputs (the engine is deterministic, so its log is
byte for byte the one the server has) and grades it. Only the scenario and the
inputs cross the pipe, never the log.

A child that dies (killed, out of memory) costs nothing recorded: that drill
is graded in a thread instead and the next one starts a new child. A server
that dies takes its child with it (``PR_SET_PDEATHSIG`` on Linux).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from engine.scenario import Scenario

from .history import runs_of
from .replay import rebuild_stored
from .store import DrillRecord, RunRecord, StoredInput

log = logging.getLogger("firedrill.server")
NICENESS = 10  # the child yields the core to the server's event loop
PR_SET_PDEATHSIG = 1  # prctl: a signal for this process when its parent ends


def grade_stored(
    scenario: Scenario,
    record: DrillRecord,
    inputs: Sequence[StoredInput],
    players: Sequence[str],
) -> list[RunRecord]:
    """The runs of an ended drill, rebuilt from its stored ``inputs`` and graded."""
    drill, _ = rebuild_stored(scenario, record, list(inputs))
    return runs_of(record.id, scenario, record.seed, players, list(drill.log.events), record.cohort)


def _child_setup(server: int) -> None:
    """In the child: yield the core to the server, and end when the server (pid ``server``)
    does: a server killed outright would otherwise leave it behind, holding the server's
    stdout and stderr open."""
    os.nice(NICENESS)
    with contextlib.suppress(OSError, AttributeError):  # prctl is Linux's
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    # A server killed while this child was starting (before the prctl) sends no signal:
    # the child was already handed to another parent, so it must look for itself.
    if os.getppid() != server:
        os._exit(0)


class Grader:
    """A grading child process, started when first needed; it lives as long as this process
    (the server's apps share :data:`GRADER`; at exit the executor stops it)."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    async def runs(
        self,
        scenario: Scenario,
        record: DrillRecord,
        inputs: Sequence[StoredInput],
        players: Sequence[str],
    ) -> list[RunRecord]:
        """Grade in the child process; in a thread if the child died on the way."""
        loop = asyncio.get_running_loop()
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                1,
                multiprocessing.get_context("spawn"),
                initializer=_child_setup,
                initargs=(os.getpid(),),
            )
        pool = self._pool
        try:
            return await loop.run_in_executor(
                pool, grade_stored, scenario, record, tuple(inputs), tuple(players)
            )
        except BrokenProcessPool:
            log.warning("the grading process died; drill %s is graded here instead", record.id)
            if self._pool is pool:
                self._pool = None  # the next grading starts a new one
            pool.shutdown(wait=False)
            return await asyncio.to_thread(grade_stored, scenario, record, inputs, players)

    def pid(self) -> int | None:
        """The grading child's process id (None while there is none)."""
        procs = getattr(self._pool, "_processes", None) or {}
        return next(iter(procs), None)


GRADER = Grader()
