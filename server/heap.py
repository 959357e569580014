"""Garbage collection kept off the hot path: the long-lived heap is frozen between drill ends.

CPython's full collection walks every tracked object, and a live drill holds
large containers (its log, the serialised events, the world's series), so
with 100-200 live drills one full collection stalled every drill's clock and
every reply for 48-89 ms (more on a busy machine). Objects moved to the
permanent generation by :func:`gc.freeze` are skipped by every collection
but are still freed by reference counting, so:

- :meth:`Heap.tune` (at start-up, once the library and the recovered drills
  are loaded) freezes what is there and raises the young generation's
  threshold, so young collections come a tenth as often and stay small;
- :meth:`Heap.settle_soon` freezes again after a drill is built or rebuilt
  (once per loop turn however many are built in it), so automatic full
  collections only ever walk what was allocated since;
- a drill pushed out of the ended-drill cache is a web of reference cycles
  (SimPy callbacks, the session and its pacer) that only a collection frees,
  and a frozen one never is: :meth:`Heap.collect` unfreezes, collects and
  freezes again. server/drills.py runs it a few seconds after the first
  eviction of a burst, so there is one such pause per burst of drills
  ending, never while drills only run.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
from collections.abc import Callable

YOUNG = 10_000  # allocations between young collections (CPython's default: 700)


def _find_malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``: hands freed heap pages back to the OS (None without glibc)."""
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None


_MALLOC_TRIM = _find_malloc_trim()


class Heap:
    """When this process freezes its heap and when it collects it (see the module docstring)."""

    def __init__(self) -> None:
        self._settle: asyncio.Handle | None = None

    def tune(self) -> None:
        """Raise the young generation's threshold and freeze everything built so far."""
        young, middle, old = gc.get_threshold()
        gc.set_threshold(max(YOUNG, young), middle, old)
        gc.freeze()

    def settle_soon(self) -> None:
        """Freeze the heap at the end of this loop turn (one freeze for a burst of drills)."""
        if self._settle is None:
            with contextlib.suppress(RuntimeError):  # no loop yet: tune() freezes at start-up
                self._settle = asyncio.get_running_loop().call_soon(self._settled)

    def _settled(self) -> None:
        self._settle = None
        gc.freeze()

    def collect(self) -> None:
        """Free every unreachable drill, frozen or not; then freeze what is left again."""
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        if _MALLOC_TRIM is not None:  # else RSS stays at the heap's peak (+10% seen at 50 drills)
            _MALLOC_TRIM(0)

    def close(self) -> None:
        """Cancel a pending freeze (the server is stopping)."""
        if self._settle is not None:
            self._settle.cancel()
            self._settle = None
