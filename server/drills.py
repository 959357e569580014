"""The drills of this process: creating, joining, authenticating, recovering after a crash.

Live drills (created, running, paused) stay in memory with their pacers;
ended drills are rebuilt from the store on demand, in a worker thread, and a
few are kept for export. On startup, :meth:`Drills.recover` rebuilds every
drill that had not ended by replaying its stored inputs; a drill that was
running comes back paused, so nobody loses time to a restart they did not see.

A drill is graded once, when it ends: its runs (server/history.py) are recorded in
the store by a grading process (server/grader.py), so history is complete and a read of it grades
nothing. A drill that ended while the server was stopping, or before this was so,
is graded by :meth:`Drills.backfill` at startup (or by the first history read
that needs it, whichever comes first).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, replace

from engine.drill import Drill
from engine.errors import FiredrillError

from .auth import IncidentRole, Principal, digest, matches, new_code, new_token
from .cluster import Cluster
from .errors import (
    CLOSE,
    Conflict,
    Forbidden,
    Invalid,
    LimitReached,
    NotFound,
    RateLimited,
    StorageUnavailable,
    Unauthorized,
)
from .grader import GRADER, Grader
from .heap import Heap
from .lease import CLAIM_EVERY, LeaseLost, key
from .library import Library
from .lifecycle import Status
from .pacing import Lateness
from .ratelimit import TokenBucket
from .replay import last_input, rebuild_stored
from .session import DrillSession
from .settings import Settings
from .store import DrillRecord, Store, StoredInput
from .storehealth import StorageHealth, WatchedStore
from .telemetry import Telemetry

log = logging.getLogger("firedrill.server")
DRILL_ID = re.compile(r"^[A-Za-z0-9_-]{6,32}$")
LIVE = (Status.CREATED, Status.RUNNING, Status.PAUSED)
FOLLOW_IDLE = 30.0  # seconds a follower copy with no client here is kept (a reconnect is quick)
COLLECT_AFTER = 2.0  # seconds from an eviction to the collection that frees it (and its burst)


@dataclass(frozen=True, slots=True)
class Secrets:
    """Shown once, at creation; the store keeps only their digests."""

    facilitator_token: str
    player_code: str
    observer_code: str


class Drills:
    def __init__(
        self,
        store: Store,
        library: Library,
        settings: Settings,
        cluster: Cluster | None = None,
        grader: Grader = GRADER,
    ) -> None:
        self.cluster = cluster  # None: this process alone serves the store's drills
        self.health = StorageHealth(settings.store_retry)
        self.telemetry = Telemetry()
        self.store: Store = WatchedStore(store, self.health, self.telemetry.store_write)
        self.library = library
        self.settings = settings
        self.limits = settings.limits
        self.lateness = Lateness(also=self.telemetry.tick_lateness.observe)
        self.closing = False  # close() has begun: not ready for new clients
        self.live: dict[str, DrillSession] = {}
        self.ended: OrderedDict[str, DrillSession] = OrderedDict()
        self._loading: dict[str, asyncio.Future[DrillSession]] = {}
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()
        self._collect: asyncio.TimerHandle | None = None
        self.heap = Heap()
        self.grader = grader  # ended drills are graded in its child process
        self._grading: dict[str, asyncio.Future[None]] = {}  # drill id -> its recording
        self._backfill: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()  # gradings started by an end
        self._claiming: asyncio.Task[None] | None = None
        self._unwatched: dict[str, float] = {}  # follower copies without a client, since when
        if cluster is not None:
            self.telemetry.instrument(cluster.bus)

    # ------------------------------------------------------------ creating
    def create(
        self,
        scenario_id: str,
        seed: int,
        speed: float,
        facilitator: str,
        cohort: str | None = None,
    ) -> tuple[DrillSession, Secrets]:
        """A new drill (status created) and its secrets; ``cohort`` names the group whose
        history its runs join (None: the drill is a group of its own)."""
        if len(self.live) >= self.limits.drills:
            raise LimitReached(
                f"this server already runs {len(self.live)} live drills, its limit; "
                "end one or try again later"
            )
        if facilitator.casefold() == "system":
            raise Invalid(
                "the name 'system' is reserved for the simulation's own events; "
                "choose another `facilitator` name"
            )
        scenario = self.library.get(scenario_id)
        drill = Drill(scenario, seed)
        secrets_ = Secrets(new_token(), new_code(), new_code())
        drill_id = secrets.token_urlsafe(8)
        if self.cluster is not None and not self.cluster.leases.take(drill_id):
            raise Conflict("a fresh drill id was already taken; try again")  # never seen
        record = DrillRecord(
            id=drill_id,
            scenario=scenario_id,
            seed=seed,
            speed=speed,
            status=str(Status.CREATED),
            sim_time=drill.now,
            facilitator=facilitator,
            player_code_hash=digest(secrets_.player_code),
            observer_code_hash=digest(secrets_.observer_code),
            created_at=time.time(),
            cohort=cohort,
        )
        try:
            self.store.create_drill(record, digest(secrets_.facilitator_token))
        except BaseException:
            if self.cluster is not None:
                self.cluster.leases.release(drill_id)
            raise
        who = Principal(record.id, "facilitator", facilitator)
        return self._serve(record, drill, [who]), secrets_

    def _serve(
        self,
        record: DrillRecord,
        drill: Drill,
        people: list[Principal],
        frames: dict[tuple[str, str], int] | None = None,
        owner: bool = True,
    ) -> DrillSession:
        """Serve a drill here: as its owner (the clock runs here) or, in a cluster, a follower."""
        session = DrillSession(
            record,
            drill.scenario,
            drill,
            self.store,
            self.settings,
            people,
            self.lateness,
            frames,
        )
        session.on_end = self._ended
        session.on_stall = self.health.wait
        self.heap.settle_soon()  # its long-lived part joins the frozen heap
        if session.status is Status.ENDED:
            self._cache(session)
        else:
            self.live[record.id] = session
            if self.cluster is not None:
                self.cluster.serve(session, owner)
            if owner:
                session.pacer.start()
        return session

    def _ended(self, session: DrillSession) -> None:
        self.live.pop(session.id, None)
        if self.cluster is not None:
            self.cluster.ended(session)
        self._cache(session)
        if not session.owner:
            return  # its owner grades it (a follower's copy would record the same runs)
        with contextlib.suppress(RuntimeError):  # no loop: backfill grades it at startup
            task = asyncio.get_running_loop().create_task(self.grade(session.id))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    # ------------------------------------------------------------ grading
    async def grade(self, drill_id: str) -> None:
        """Record the runs of an ended drill once (concurrent calls share the work).

        A store failure is logged and leaves the drill ungraded: the next backfill or
        history read records it."""
        pending = self._grading.get(drill_id)
        if pending is not None:
            return await asyncio.shield(pending)
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._grading[drill_id] = fut
        try:
            session = await self.get(drill_id)
            record = self.store.drill(drill_id)
            if record is not None and session.status is Status.ENDED:
                players = [p.name for p in self.store.participants(drill_id) if p.role == "player"]
                inputs = self.store.inputs(drill_id)
                runs = await self.grader.runs(session.scenario, record, inputs, players)
                self.store.save_runs(drill_id, runs)
            fut.set_result(None)
        except (StorageUnavailable, FiredrillError) as exc:
            log.error("cannot grade drill %s yet: %s", drill_id, exc)
            fut.set_result(None)
        except BaseException as exc:
            fut.set_exception(exc)
            fut.exception()
            raise
        finally:
            del self._grading[drill_id]

    async def graded(self, scenario_id: str) -> None:
        """Wait until every ended drill of this scenario is recorded (in-flight gradings,
        and any the backfill has not reached yet)."""
        for record in self.store.ungraded():
            if record.scenario == scenario_id:
                await self.grade(record.id)

    def backfill(self) -> asyncio.Task[None]:
        """Grade, in the background, every ended drill whose runs were never recorded;
        the task doing it (cancelled by :meth:`close`)."""

        async def run() -> None:
            for record in self.store.ungraded():
                await self.grade(record.id)
                self.ended.pop(record.id, None)  # rebuilt only to be graded: let it go
            self._backfill = None

        self._backfill = task = asyncio.get_running_loop().create_task(run())
        return task

    def _cache(self, session: DrillSession) -> None:
        self.ended[session.id] = session
        self.ended.move_to_end(session.id)
        while len(self.ended) > self.settings.ended_cache:
            self.ended.popitem(last=False)  # connected clients keep their own reference
            self._collect_soon()

    def _collect_soon(self) -> None:
        """Free evicted drills within seconds instead of at CPython's next full collection.

        A drill is a web of reference cycles (the engine's SimPy callbacks and
        world, the session and its pacer), so only a full collection frees it,
        and CPython runs one only once long-lived objects have grown by a
        quarter: until then evicted drills pile up (bench/load.py: +38 MiB
        after a round of fifty 10-minute drills), and a frozen one never is
        (server/heap.py). One collection a few seconds after the first eviction
        of a burst frees the lot (the only one that walks the whole heap);
        glibc's ``malloc_trim`` then returns the freed pages, so RSS follows the
        drills in memory instead of staying at the heap's peak.
        """
        if self._collect is None:
            with contextlib.suppress(RuntimeError):  # no loop: nothing is served yet
                loop = asyncio.get_running_loop()
                self._collect = loop.call_later(COLLECT_AFTER, self._collected)

    def _collected(self) -> None:
        self._collect = None
        self.heap.collect()

    # ------------------------------------------------------------ finding
    async def get(self, drill_id: str) -> DrillSession:
        """The drill with this id, rebuilding an ended one from the store if needed."""
        session = self.live.get(drill_id)
        if session is not None:
            return session
        session = self.ended.get(drill_id)
        if session is not None:
            self.ended.move_to_end(drill_id)  # least recently used goes first
            return session
        record = self.store.drill(drill_id) if DRILL_ID.match(drill_id) else None
        if record is None:
            shown = drill_id if len(drill_id) <= 40 else drill_id[:37] + "..."  # no echo of junk
            raise NotFound(f"no drill with id {shown!r}")
        pending = self._loading.get(drill_id)
        if pending is not None:
            return await asyncio.shield(pending)
        fut: asyncio.Future[DrillSession] = asyncio.get_running_loop().create_future()
        self._loading[drill_id] = fut
        follow = self.cluster is not None and record.status != str(Status.ENDED)
        try:
            if follow:  # another worker owns it: mirror it, missing no sync from here on
                assert self.cluster is not None
                self.cluster.expect(drill_id)
            scenario = self.library.get(record.scenario)
            inputs = self.store.inputs(drill_id)
            drill, frames = await asyncio.to_thread(rebuild_stored, scenario, record, inputs)
            session = (
                self.live.get(drill_id)
                or self.ended.get(drill_id)
                or (
                    self._mirror(record, drill, frames, inputs)
                    if follow
                    else self._revive(record, drill, frames)
                )
            )
            fut.set_result(session)
            return session
        except BaseException as exc:
            fut.set_exception(exc)
            fut.exception()  # retrieved: waiters re-raise it, nobody else needs to
            raise
        finally:
            del self._loading[drill_id]

    def _mirror(
        self,
        record: DrillRecord,
        drill: Drill,
        frames: dict[tuple[str, str], int],
        inputs: list[StoredInput],
    ) -> DrillSession:
        """A follower of a drill another worker owns (server/cluster.py)."""
        session = self._serve(record, drill, self.store.participants(record.id), frames, False)
        session.applied_n = last_input(inputs)
        return session

    def catch_up(self, session: DrillSession, last_seq: int | None) -> None:
        """Before a client resumes at ``last_seq`` on a follower copy that has not reached it
        (the client saw it through another worker, and the owner's message is still on its
        way), rebuild the copy from the store, which holds everything any client was sent."""
        if self.cluster is not None and not session.owner and (last_seq or 0) > session.seq:
            self.cluster.resync(session)

    # ------------------------------------------------------------ owning (a cluster)
    def start(self) -> None:
        """In a cluster, start claiming drills nobody owns (at once, then every second)."""
        if self.cluster is not None and self._claiming is None:
            self._claiming = asyncio.get_running_loop().create_task(self._claim_forever())

    async def _claim_forever(self) -> None:
        while True:
            try:
                self.claim()
            except Exception:  # the next round tries again
                log.exception("claiming drills without an owner failed")
            await asyncio.sleep(CLAIM_EVERY)

    def claim(self) -> list[str]:
        """Take the lease of every live drill nobody holds, and run it here; the ids taken.

        First checks this worker still holds what it owns: a lease lost with its
        database connection stops that drill's clock here (another worker takes it).
        """
        cluster = self.cluster
        assert cluster is not None
        try:
            held, mine = cluster.leases.held()
        except LeaseLost as exc:
            log.error("lost the lease connection (%s); giving up every drill owned here", exc)
            for s in self.live.values():
                if s.owner:
                    cluster.demote(s)
            cluster.leases.reconnect()
            return []
        now = time.monotonic()
        for s in tuple(self.live.values()):
            if s.owner and key(s.id) not in mine:
                log.error("drill %s: lease lost; another worker runs it now", s.id)
                cluster.demote(s)
            if s.owner or len(s.hub):
                self._unwatched.pop(s.id, None)
            elif now - self._unwatched.setdefault(s.id, now) >= FOLLOW_IDLE:
                # nobody here watches it any more: stop mirroring (a client brings it back)
                del self.live[s.id], self._unwatched[s.id]
                cluster.forget(s)
        taken = []
        for record in self.store.drills(tuple(str(s) for s in LIVE)):
            if key(record.id) in held or not cluster.leases.take(record.id):
                continue
            try:
                self._take_over(record)
            except Exception:
                cluster.leases.release(record.id)
                raise
            taken.append(record.id)
        return taken

    def _take_over(self, record: DrillRecord) -> None:
        """Run a drill whose owner is gone: rebuilt by replay, its clock as the store has it."""
        assert self.cluster is not None
        record = self.store.drill(record.id) or record  # as it is now that the lease is held
        scenario = self.library.get(record.scenario)
        inputs = self.store.inputs(record.id)
        drill, frames = rebuild_stored(scenario, record, inputs)
        last = last_input(inputs)
        session = self.live.get(record.id)
        if session is not None:
            session.adopt(drill, frames, last)
        else:
            session = self._serve(record, drill, self.store.participants(record.id), frames, False)
            session.applied_n = last
        self.cluster.promote(session, Status(record.status), record.speed)
        log.info(
            "took over drill %s (%s) %s at t=%.1f with %d inputs",
            record.id,
            record.scenario,
            record.status,
            drill.now,
            len(inputs),
        )

    def recover(self) -> list[str]:
        """Rebuild every drill that had not ended; running ones come back paused.

        A drill whose scenario is gone or no longer replays is logged and skipped; a store
        that fails raises :class:`StorageUnavailable`: the server must not start without
        drills it has (they would look ended, or be started afresh over their inputs).
        In a cluster nothing is recovered here: drills are claimed by lease (:meth:`claim`).
        """
        if self.cluster is not None:
            return []
        recovered = []
        for record in self.store.drills(tuple(str(s) for s in LIVE)):
            inputs = self.store.inputs(record.id)
            try:
                scenario = self.library.get(record.scenario)
                drill, frames = rebuild_stored(scenario, record, inputs)
            except FiredrillError as exc:
                log.error("cannot recover drill %s (%s): %s", record.id, record.scenario, exc)
                continue
            session = self._revive(record, drill, frames)
            recovered.append(record.id)
            log.info(
                "recovered drill %s (%s) %s at t=%.1f with %d inputs",
                record.id,
                record.scenario,
                session.status,
                drill.now,
                len(inputs),
            )
        return recovered

    def _revive(
        self, record: DrillRecord, drill: Drill, frames: dict[tuple[str, str], int]
    ) -> DrillSession:
        """Serve a rebuilt drill; one that was running comes back paused."""
        status = Status(record.status)
        if drill.ended:
            status = Status.ENDED
        elif status is Status.RUNNING:
            status = Status.PAUSED
        if (str(status), drill.now) != (record.status, record.sim_time):
            self.store.update_drill(record.id, status=str(status), sim_time=drill.now)
        record = replace(record, status=str(status), sim_time=drill.now)
        return self._serve(record, drill, self.store.participants(record.id), frames)

    # ------------------------------------------------------------ people
    def authenticate(self, drill_id: str, token: str) -> Principal:
        who = self.store.principal(digest(token))
        if who is None:
            raise Unauthorized("token not recognised; join the drill to get one")
        if who.drill_id != drill_id:
            raise Forbidden(f"this token belongs to another drill, not {drill_id}")
        return who

    def join(
        self,
        session: DrillSession,
        code: str,
        name: str | None,
        incident_role: IncidentRole | None,
    ) -> tuple[Principal, str]:
        """Exchange a join code for a personal token; the code decides the role."""
        record = self.store.drill(session.id)
        assert record is not None
        if matches(code, record.player_code_hash):
            role = "player"
        elif matches(code, record.observer_code_hash):
            role = "observer"
        else:
            raise Unauthorized("join code not valid for this drill (it may have been rotated)")
        if len(session.participants) >= self.limits.clients_per_drill * 2:
            raise LimitReached(f"drill {session.id} has {len(session.participants)} participants")
        if role == "player":
            if session.status is Status.ENDED:
                raise Conflict("the drill has ended; join with the observer code to review it")
            if not name:
                raise Invalid("players need a `name`: it is how the drill log knows you")
            if session.name_taken(name):
                raise Conflict(f"the name {name!r} is taken in this drill; choose another")
        else:
            if incident_role is not None:
                raise Invalid("observers take no incident `role`; join with the player code")
            name = self._free_name(session, name or "observer")
        assert name is not None
        who = Principal(session.id, role, name, incident_role)  # type: ignore[arg-type]
        token = new_token()
        self.store.add_token(digest(token), who)
        session.add_participant(who)
        if self.cluster is not None and not session.owner:
            self.cluster.joined(session, who)
        return who, token

    @staticmethod
    def _free_name(session: DrillSession, base: str) -> str:
        name, n = base, 1
        while session.name_taken(name):
            n += 1
            name = f"{base}-{n}"
        return name

    def rotate_codes(self, session: DrillSession) -> tuple[str, str]:
        player, observer = new_code(), new_code()
        self.store.update_drill(
            session.id, player_code_hash=digest(player), observer_code_hash=digest(observer)
        )
        return player, observer

    def throttle(self, who: Principal, now: float) -> None:
        """Rate-limit REST inputs per participant (WebSocket ones are limited per connection)."""
        key = f"{who.drill_id}/{who.name}"
        bucket = self._buckets.pop(key, None) or TokenBucket(
            self.limits.inputs_per_second, self.limits.input_burst
        )
        self._buckets[key] = bucket
        if len(self._buckets) > 10_000:
            self._buckets.popitem(last=False)
        if not bucket.take(now):
            raise RateLimited(
                f"more than {self.limits.inputs_per_second:g} inputs per second "
                f"(bursts of {self.limits.input_burst}); slow down"
            )

    # ------------------------------------------------------------ stopping
    async def close(self) -> None:
        """Save where every live drill is and tell clients to come back later."""
        self.closing = True
        if self._collect is not None:
            self._collect.cancel()
            self._collect = None
        self.heap.close()
        if self._backfill is not None:
            self._backfill.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._backfill
        await asyncio.gather(*self._tasks, return_exceptions=True)  # ended drills get graded
        await self.health.stop()
        if self._claiming is not None:
            self._claiming.cancel()
            await asyncio.gather(self._claiming, return_exceptions=True)
        sessions = [*self.live.values(), *self.ended.values()]
        for s in sessions:
            s.pacer.cancel()
            if s.owner and s.status is not Status.ENDED and s.stalled is None:
                with contextlib.suppress(StorageUnavailable):  # logged; replay still holds
                    self.store.update_drill(s.id, sim_time=s.drill.now)
            s.hub.close_all(CLOSE["going_away"], "server shutting down; reconnect with last seq")
        await asyncio.gather(*(s.pacer.stop() for s in sessions))
        if self.cluster is not None:
            await self.cluster.close()  # the leases go: the other workers take these drills
