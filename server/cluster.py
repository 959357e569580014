"""Workers sharing drills: the owner relays each change over the bus, followers mirror it.

Every drill has one owner (the worker holding its lease, server/lease.py): it
runs the clock, stores inputs and publishes. Any other worker with clients of
that drill keeps a *follower* copy: a :class:`~server.session.DrillSession`
rebuilt from the store, fed by the owner's :class:`Sync` messages (the inputs it
applied, with their store numbers and sim times; the sim time it reached; its
status and speed; a non-event frame it broadcast). The engine is deterministic,
so the follower's log is the owner's, byte for byte, and its clients get the
same frames in the same order as the owner's clients, under the same seqs.

Syncs are numbered per owner; a follower that sees a gap, another owner, or a
log that does not reach the owner's seq rebuilds itself from the store (which
holds every input before it is applied and the sim time before events go out,
so the rebuild reaches everything any client was sent) and carries on.

Inputs sent to a follower are forwarded to the owner (:class:`Request`) and
acknowledged when the owner answers (:class:`Reply`), i.e. once stored and
applied. A request nobody answers in :data:`RETRY_AFTER` seconds is sent again
with the same frame id, so an owner that died meanwhile and its successor never
apply it twice; after :data:`GIVE_UP` seconds the client gets
``owner_unavailable`` (nothing acked).

Channels: ``<prefix>:sync:<drill>`` (every worker listens to all, by pattern, so
a new follower misses nothing between its rebuild and its first sync),
``<prefix>:in:<drill>`` (the owner only) and ``<prefix>:reply:<worker>``.
The bus carries no secrets, but it is trusted: keep Redis private to the deployment.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import uuid
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from engine.errors import FiredrillError

from .auth import Principal
from .bus import Bus, open_bus
from .errors import DuplicateFrame, Forwarded, OwnerUnavailable, error_code, http_status
from .replay import last_input, rebuild_stored
from .session import Applied, DrillSession
from .store import StoredInput

if TYPE_CHECKING:
    from .lease import Leases
    from .store import Store

log = logging.getLogger("firedrill.server")
RETRY_AFTER = 2.0  # seconds without an answer before a forwarded input is sent again
GIVE_UP = 12.0  # seconds of retrying (a failover takes a claim round or two) before refusing


@dataclass(frozen=True, slots=True)
class Sync:
    """One change of a drill, from its owner."""

    drill: str
    owner: str  # the owner's worker id: a new one means a new numbering
    n: int  # 1, 2, ... per owner and drill
    t: float
    seq: int
    status: str
    speed: float
    last_n: int  # the store number of the owner's last input: a follower short of it missed one
    inputs: tuple[StoredInput, ...] = ()
    frame: str | None = None
    views: tuple[str, ...] = ()
    roster: bool = False

    def dumps(self) -> bytes:
        return orjson.dumps(asdict(self))

    @staticmethod
    def loads(data: bytes) -> Sync:
        d = orjson.loads(data)
        d["inputs"] = tuple(StoredInput(**i) for i in d["inputs"])
        d["views"] = tuple(d["views"])
        return Sync(**d)


@dataclass(frozen=True, slots=True)
class Request:
    """An input a follower forwards to the owner (``joined``: a participant joined there)."""

    drill: str
    reply: str
    rid: int
    who: dict[str, Any]
    data: Any = None
    as_name: str | None = None
    frame_id: str | None = None
    joined: bool = False


@dataclass(frozen=True, slots=True)
class Reply:
    rid: int
    seq: int = 0
    status: str = ""
    t: float = 0.0
    error: str | None = None
    http: int = 0
    message: str = ""


@dataclass
class _Followed:
    owner: str | None = None
    n: int = 0
    waiting: list[Sync] = field(default_factory=list)


class Cluster:
    """This worker's side of the cluster: relaying owned drills, mirroring followed ones."""

    def __init__(self, bus: Bus, leases: Leases, space: str) -> None:
        self.bus = bus
        self.leases = leases
        self.worker = uuid.uuid4().hex[:12]
        self.prefix = f"firedrill:{zlib.crc32(space.encode()):08x}"
        self.sessions: dict[str, DrillSession] = {}
        self._counters: dict[str, int] = {}
        self._followed: dict[str, _Followed] = {}
        self._loading: dict[str, list[Sync]] = {}
        self._rids = itertools.count(1)
        self._replies: dict[int, asyncio.Future[Reply]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def _ch(self, kind: str, name: str) -> str:
        return f"{self.prefix}:{kind}:{name}"

    async def start(self) -> None:
        """Connect the bus and listen for syncs and for answers to this worker."""
        await self.bus.start()
        await self.bus.subscribe(self._ch("sync", "*"), self._on_sync, pattern=True)
        await self.bus.subscribe(self._ch("reply", self.worker), self._on_reply)

    async def close(self) -> None:
        """Stop listening; the leases go with their connection."""
        for t in tuple(self._tasks):
            t.cancel()
        await self.bus.close()
        self.leases.close()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ------------------------------------------------------------ wiring sessions
    def expect(self, drill_id: str) -> None:
        """A follower of ``drill_id`` is being rebuilt: keep its syncs until :meth:`serve`."""
        self._loading.setdefault(drill_id, [])

    def serve(self, session: DrillSession, owner: bool) -> None:
        """Wire ``session`` to the cluster, as the drill's owner or as a follower."""
        session.owner = owner
        session.relay = self._relay
        session.forward = self._forward
        self.sessions[session.id] = session
        if owner:
            self._own(session)
        else:
            self._followed[session.id] = _Followed()
            for sync in self._loading.pop(session.id, []):
                self._apply(session, sync)

    def _own(self, session: DrillSession) -> None:
        self._followed.pop(session.id, None)
        self._counters[session.id] = 0
        self._spawn(self.bus.subscribe(self._ch("in", session.id), self._on_request))

    def promote(self, session: DrillSession, status: Any, speed: float) -> None:
        """This worker took the lease of a drill it followed."""
        self._own(session)
        session.promote(status, speed)

    def demote(self, session: DrillSession) -> None:
        """This worker lost the lease: follow whoever takes it next."""
        session.demote()
        self._followed[session.id] = _Followed()
        self._spawn(self.bus.unsubscribe(self._ch("in", session.id)))

    def forget(self, session: DrillSession) -> None:
        """Stop mirroring a followed drill (no client of it is left on this worker)."""
        if not session.owner:
            self.sessions.pop(session.id, None)
            self._followed.pop(session.id, None)

    def ended(self, session: DrillSession) -> None:
        """The drill is over: nothing more to relay, mirror or own."""
        self.sessions.pop(session.id, None)
        self._followed.pop(session.id, None)
        if session.owner and session.id in self._counters:
            del self._counters[session.id]
            self._spawn(self.bus.unsubscribe(self._ch("in", session.id)))
            self.leases.release(session.id)

    # ------------------------------------------------------------ owner side
    def _relay(
        self, session: DrillSession, frame: str | None, views: Sequence[str], roster: bool
    ) -> None:
        n = self._counters.get(session.id)
        if n is None:
            return  # not (or no longer) owned here
        self._counters[session.id] = n + 1
        sync = Sync(
            session.id,
            self.worker,
            n + 1,
            session.drill.now,
            session.seq,
            str(session.status),
            session.clock.speed,
            session.applied_n,
            tuple(session.outbox),
            frame,
            tuple(views),
            roster,
        )
        session.outbox.clear()
        self.bus.publish(self._ch("sync", session.id), sync.dumps())

    def _on_request(self, channel: str, data: bytes) -> None:
        req = Request(**orjson.loads(data))
        session = self.sessions.get(req.drill)
        if session is None or not session.owner:
            return  # not ours (any more): the sender tries again and reaches the new owner
        who = Principal(**req.who)
        if req.joined:
            session.add_participant(who)
            return
        try:
            event = session.apply(who, req.data, req.as_name, req.frame_id)
            reply = Reply(req.rid, event.seq, str(session.status), session.drill.now)
        except FiredrillError as exc:
            seq = exc.seq if isinstance(exc, DuplicateFrame) else 0
            reply = Reply(
                req.rid, seq, error=error_code(exc), http=http_status(exc), message=str(exc)
            )
        except Exception:
            log.exception("drill %s: forwarded input failed", req.drill)
            reply = Reply(
                req.rid,
                error="internal",
                http=500,
                message="the server failed on this input; the drill is unchanged",
            )
        self.bus.publish(req.reply, orjson.dumps(asdict(reply)))

    # ------------------------------------------------------------ follower side
    def _on_sync(self, channel: str, data: bytes) -> None:
        drill_id = channel.rpartition(":")[2]
        if drill_id in self._loading:
            self._loading[drill_id].append(Sync.loads(data))
            return
        session = self.sessions.get(drill_id)
        if session is None or session.owner:
            return
        self._apply(session, Sync.loads(data))

    def _apply(self, session: DrillSession, sync: Sync) -> None:
        state = self._followed.get(session.id)
        if state is None:
            return
        if state.owner == sync.owner and sync.n <= state.n:
            return  # a message published twice
        fresh = state.owner is None  # the first sync after a rebuild from the store
        gap = not fresh and (state.owner != sync.owner or sync.n != state.n + 1)
        state.owner, state.n = sync.owner, sync.n
        args = (sync.t, sync.seq, sync.status, sync.speed, sync.inputs, sync.last_n)
        if gap or not session.follow(*args):
            self.resync(session)
            if not session.follow(*args):
                log.error("drill %s: follower cannot reach seq %d", session.id, sync.seq)
        if sync.roster:
            for who in session.store.participants(session.id):
                session.participants[who.name.casefold()] = who
        if sync.frame is not None:
            session.hub.broadcast(sync.frame, sync.views)

    def resync(self, session: DrillSession) -> None:
        """Rebuild a follower from the store (it missed a sync or the owner changed)."""
        record = session.store.drill(session.id)
        if record is None:
            return
        inputs = session.store.inputs(session.id)
        drill, frames = rebuild_stored(session.scenario, record, inputs)
        session.adopt(drill, frames, last_input(inputs))
        session.flush()

    async def _forward(
        self,
        session: DrillSession,
        who: Principal,
        data: Any,
        as_name: str | None,
        frame_id: str | None,
    ) -> Applied:
        # Without a frame id a resend could apply twice; a generated one makes it exactly once.
        fid = frame_id if frame_id is not None else f"fwd-{uuid.uuid4().hex}"
        rid = next(self._rids)
        fut: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._replies[rid] = fut
        req = Request(
            session.id, self._ch("reply", self.worker), rid, asdict(who), data, as_name, fid
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + GIVE_UP
        attempt = 0
        try:
            while True:
                if session.owner:  # this worker took the drill over meanwhile
                    event = session.apply(who, data, as_name, fid)
                    return Applied(event.seq, str(session.status), session.drill.now)
                self.bus.publish(self._ch("in", session.id), orjson.dumps(asdict(req)))
                try:
                    reply = await asyncio.wait_for(asyncio.shield(fut), RETRY_AFTER)
                    break
                except TimeoutError:
                    attempt += 1
                    if loop.time() >= deadline:
                        raise OwnerUnavailable(
                            f"no worker answered for drill {session.id} within {GIVE_UP:g} s "
                            "(it is changing hands); nothing was applied: send it again"
                        ) from None
        finally:
            self._replies.pop(rid, None)
        if reply.error is None:
            return Applied(reply.seq, reply.status, reply.t)
        if reply.error == "duplicate_frame" and attempt > 0:
            # an earlier copy of this very request was applied before its answer was lost
            return Applied(reply.seq, str(session.status), session.drill.now)
        raise Forwarded(reply.error, reply.http, reply.message, reply.seq or None)

    def _on_reply(self, channel: str, data: bytes) -> None:
        reply = Reply(**orjson.loads(data))
        fut = self._replies.get(reply.rid)
        if fut is not None and not fut.done():
            fut.set_result(reply)

    def joined(self, session: DrillSession, who: Principal) -> None:
        """A participant joined through this follower: the owner announces it."""
        req = Request(session.id, "", 0, asdict(who), joined=True)
        self.bus.publish(self._ch("in", session.id), orjson.dumps(asdict(req)))


async def join_cluster(bus_url: str, store: Store) -> Cluster:
    """This worker's cluster: the bus at ``bus_url`` and leases beside ``store`` (PostgreSQL).

    Raises RuntimeError with the reason when the bus or the database cannot be reached.
    """
    from .lease import Leases

    url, schema = getattr(store, "url", None), getattr(store, "schema", None)
    if not isinstance(url, str):
        raise RuntimeError("workers share drills through PostgreSQL: give --store postgresql://...")
    cluster = Cluster(open_bus(bus_url), Leases(url, schema), f"{url}/{schema or ''}")
    try:
        await cluster.start()
    except BaseException:
        cluster.leases.close()
        raise
    return cluster
