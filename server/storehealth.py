"""Living through a failing store: noticing it, saying so once, retrying, resuming drills.

:class:`WatchedStore` wraps the real store at the :class:`~server.store.Store`
interface: every failed write is reported to :class:`StorageHealth` (which
``/api/health`` shows as ``degraded``) and every successful one clears it.
A drill whose write failed pauses itself (server/session.py) and waits in
:attr:`StorageHealth.waiting`; one retry task re-tries each waiting drill's
save with exponential backoff and resumes it, where it was, once the save
is stored. The failure is logged once with its cause, then at most once a
minute while it lasts, and once more when the store recovers: a full disk
must not also fill the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from .auth import Principal
from .errors import StorageUnavailable
from .settings import Backoff
from .store import DrillRecord, RunQuery, RunRecord, Store, StoredInput

log = logging.getLogger("firedrill.server")


class Waiting(Protocol):
    """A drill that could not save; ``retry_save`` raises StorageUnavailable until it can."""

    id: str

    def retry_save(self) -> None: ...


class StorageHealth:
    """Whether the store takes writes; the drills waiting for it; the retry loop."""

    def __init__(self, backoff: Backoff | None = None, now: Callable[[], float] = time.time):
        self.backoff = backoff or Backoff()
        self.now = now
        self.waiting: dict[str, Waiting] = {}
        self.failing_since: float | None = None
        self.error: str | None = None
        self.failed_writes = 0
        self._logged_at = 0.0
        self._logged_failures = 0
        self._burst = 0  # failed writes since the store last worked
        self._task: asyncio.Task[None] | None = None

    @property
    def ok(self) -> bool:
        return self.failing_since is None and not self.waiting

    def failed(self, exc: Exception) -> None:
        """A write failed: remember why, and say so (once per ``log_every`` seconds)."""
        now = self.now()
        self.failed_writes += 1
        self._burst += 1
        self.error = str(exc.__cause__ or exc)
        if self.failing_since is None:
            self.failing_since, self._burst = now, 1
            self._logged_at, self._logged_failures = now, self.failed_writes
            log.error(
                "the drill store cannot be written (%s); drills pause themselves and "
                "their writes are retried with backoff until it recovers",
                self.error,
            )
        elif now - self._logged_at >= self.backoff.log_every:
            log.error(
                "the drill store still cannot be written (%s): %d failed writes in the last %.0f s",
                self.error,
                self.failed_writes - self._logged_failures,
                now - self._logged_at,
            )
            self._logged_at, self._logged_failures = now, self.failed_writes

    def written(self) -> None:
        """A write succeeded: the store works (drills still waiting are resumed by the retry)."""
        if self.failing_since is not None and not self.waiting:
            self._recovered(0)

    def wait(self, drill: Waiting) -> None:
        """``drill`` could not save: retry it until it can."""
        self.waiting[drill.id] = drill
        if self._task is None:
            with contextlib.suppress(RuntimeError):  # no loop: nothing is being served
                self._task = asyncio.get_running_loop().create_task(self._retry())

    def forget(self, drill_id: str) -> None:
        self.waiting.pop(drill_id, None)

    def snapshot(self) -> dict[str, Any]:
        """What /api/health shows under ``storage``."""
        return {
            "ok": self.ok,
            "failing_since": self.failing_since,
            "error": self.error if not self.ok else None,
            "failed_writes": self.failed_writes,
            "drills_waiting": len(self.waiting),
        }

    async def _retry(self) -> None:
        delay = self.backoff.first
        try:
            while self.waiting:
                await asyncio.sleep(delay)
                resumed = 0
                for drill in list(self.waiting.values()):
                    try:
                        drill.retry_save()
                    except StorageUnavailable:
                        break  # the store still fails: the others would too
                    self.waiting.pop(drill.id, None)
                    resumed += 1
                if self.waiting:
                    delay = min(delay * 2, self.backoff.most)
                elif self.failing_since is not None:
                    self._recovered(resumed)
        finally:
            self._task = None

    def _recovered(self, resumed: int) -> None:
        assert self.failing_since is not None
        log.warning(
            "the drill store works again after %.1f s (%d failed writes); %d drill(s) resumed",
            self.now() - self.failing_since,
            self._burst,
            resumed,
        )
        self.failing_since = None
        self.error = None

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


class WatchedStore:
    """A :class:`Store` whose writes report to a :class:`StorageHealth`."""

    def __init__(
        self,
        store: Store,
        health: StorageHealth,
        timed: Callable[[float, bool], None] | None = None,
    ) -> None:
        self.inner = store
        self.health = health
        self.timed = timed  # told each write's seconds and whether it was stored

    def _write(self, call: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        try:
            result = call()
        except StorageUnavailable as exc:
            self._timed(started, False)
            self.health.failed(exc)
            raise
        self._timed(started, True)
        self.health.written()
        return result

    def _timed(self, started: float, ok: bool) -> None:
        if self.timed is not None:
            self.timed(time.perf_counter() - started, ok)

    def create_drill(self, record: DrillRecord, facilitator_token_hash: str) -> None:
        self._write(lambda: self.inner.create_drill(record, facilitator_token_hash))

    def drill(self, drill_id: str) -> DrillRecord | None:
        return self.inner.drill(drill_id)

    def drills(self, statuses: tuple[str, ...]) -> list[DrillRecord]:
        return self.inner.drills(statuses)

    def update_drill(self, drill_id: str, **fields: Any) -> None:
        self._write(lambda: self.inner.update_drill(drill_id, **fields))

    def add_token(self, token_hash: str, who: Principal) -> None:
        self._write(lambda: self.inner.add_token(token_hash, who))

    def principal(self, token_hash: str) -> Principal | None:
        return self.inner.principal(token_hash)

    def participants(self, drill_id: str) -> list[Principal]:
        return self.inner.participants(drill_id)

    def append_input(self, *args: Any, **kwargs: Any) -> int:  # the Store signature
        n: int = self._write(lambda: self.inner.append_input(*args, **kwargs))
        return n

    def drop_input(self, n: int) -> None:
        self._write(lambda: self.inner.drop_input(n))

    def inputs(self, drill_id: str) -> list[StoredInput]:
        return self.inner.inputs(drill_id)

    def save_runs(self, drill_id: str, runs: list[RunRecord]) -> None:
        self._write(lambda: self.inner.save_runs(drill_id, runs))

    def runs(self, query: RunQuery) -> list[RunRecord]:
        return self.inner.runs(query)

    def ungraded(self) -> list[DrillRecord]:
        return self.inner.ungraded()

    def close(self) -> None:
        self.inner.close()
