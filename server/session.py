"""One drill being served: the engine drill with its lifecycle, clock, pacer, hub and roster.

Every change (a tick, an input, a clock control) is a synchronous method
that ends in :meth:`DrillSession.flush`. So between two awaits every event
in the drill's log has been published exactly once and in order, which is
what lets a client attach (welcome + missed events + live events) without
a gap or a duplicate.

When the store fails, the drill stalls (:meth:`DrillSession._stall`): it
pauses itself, tells every client with an ``error`` frame
(``storage_unavailable``), refuses inputs, and holds back events it could
not yet make durable. :meth:`DrillSession.retry_save` (called with backoff
by server/storehealth.py) stores where the drill is, publishes what was held
back and resumes a drill that was running, from exactly where it stopped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from engine import inputs as I
from engine.drill import Drill, as_players_see_event
from engine.errors import FiredrillError, InvalidInput
from engine.log import Event
from engine.scenario import Scenario

from .auth import Principal, require
from .errors import DuplicateFrame, LimitReached, NotFound, StorageUnavailable
from .hub import VIEWS, Client, Hub
from .lifecycle import Lifecycle, Status
from .pacing import Clock, Lateness, Pacer, phase_of
from .protocol import VERSION, dumps, error, events_frame
from .settings import Settings
from .store import DrillRecord, Store, StoredInput

logger = logging.getLogger("firedrill.server")


@dataclass(frozen=True, slots=True)
class Applied:
    """What an accepted input is answered with: its seq, and the drill's status and time."""

    seq: int
    status: str
    t: float


# How a session reaches the other workers of a cluster (server/cluster.py wires these):
# the owner tells them each change (session, frame broadcast or None, its views, roster changed)
Relay = Callable[["DrillSession", str | None, Sequence[str], bool], None]
# and a follower hands inputs to the owner (session, who, data, as, frame id)
Forward = Callable[["DrillSession", Principal, Any, str | None, str | None], Awaitable[Applied]]


class DrillSession:
    def __init__(
        self,
        record: DrillRecord,
        scenario: Scenario,
        drill: Drill,
        store: Store,
        settings: Settings,
        participants: list[Principal],
        lateness: Lateness | None = None,
        frames: dict[tuple[str, str], int] | None = None,
    ) -> None:
        self.id = record.id
        self.record = record
        self.scenario = scenario
        self.drill = drill
        self.store = store
        self.settings = settings
        self.limits = settings.limits
        self.life = Lifecycle(Status(record.status))
        self.clock = Clock(record.speed, drill.now)
        self.pacer = Pacer(
            self.clock,
            self.tick,
            tick=scenario.tick,
            phase=phase_of(record.id),
            min_interval=settings.min_tick,
            lateness=lateness,
        )
        self.hub = Hub()
        self.participants: dict[str, Principal] = {p.name.casefold(): p for p in participants}
        self.on_end: Callable[[DrillSession], None] | None = None
        self.on_stall: Callable[[DrillSession], None] | None = None
        self.stalled: str | None = None  # why the store failed, while this drill waits for it
        self._resume = False  # the stall paused a running drill: resume it on recovery
        self._drops: list[int] = []  # refused inputs whose removal from the store failed
        self._blobs: list[bytes] = [e.to_json() for e in drill.log.events]  # index = seq - 1
        # the same, as players and observers get them: metrics without the ground truth
        self._public_blobs = [
            players_blob(e, b) for e, b in zip(drill.log.events, self._blobs, strict=True)
        ]
        self._published = drill.log.last_seq
        self._horizon = record.sim_time  # the sim time a rebuild is known to reach
        # (sender, frame id) -> seq of every applied input sent with an id: a re-sent frame
        # (a client retrying after a reconnect) is recognised instead of applied twice
        self.frames: dict[tuple[str, str], int] = dict(frames or {})
        # In a cluster only the owner runs the clock and stores; a follower mirrors the owner
        # by applying the same inputs at the same times (the engine is deterministic).
        self.owner = True
        self.relay: Relay | None = None
        self.forward: Forward | None = None
        self.outbox: list[StoredInput] = []  # owner: inputs applied since the last relay
        self.applied_n = 0  # the store number of the last input applied

    # -------------------------------------------------------------- reading
    @property
    def status(self) -> Status:
        return self.life.status

    @property
    def seq(self) -> int:
        """The last seq published (events held back by a stall are not yet anyone's)."""
        return self._published

    def clock_info(self) -> dict[str, Any]:
        return {
            "status": str(self.status),
            "speed": self.clock.speed,
            "t": self.drill.now,
            "seq": self.seq,
        }

    def roster(self) -> list[dict[str, str | None]]:
        return [p.public() for p in self.participants.values()]

    def state(self, who: Principal) -> dict[str, Any]:
        """What GET /api/drills/{id} returns to ``who``."""
        return {
            "drill_id": self.id,
            "scenario": self.record.scenario,
            "seed": self.record.seed,
            **self.clock_info(),
            "you": who.public(),
            "roster": self.roster(),
            "clients": len(self.hub),
            "snapshot": self.drill.snapshot(who.role),
        }

    def visible(self, view: str, after: int = 0) -> Iterator[int]:
        """Indexes (seq - 1) of the events after ``after`` that ``view`` may see."""
        events = self.drill.log.events
        if view == "facilitator":
            yield from range(after, self._published)
        else:
            yield from (i for i in range(after, self._published) if events[i].vis == "all")

    def export(self, view: str) -> bytes:
        """The log as JSON lines, as ``view`` may see it (the facilitator's: the same bytes as
        DrillLog.to_jsonl; the public one without ground-truth metrics)."""
        blobs = self._blobs_for(view)
        return b"".join(blobs[i] + b"\n" for i in self.visible(view))

    # -------------------------------------------------------------- changes
    def tick(self, wall: float) -> None:
        """Advance to the clock's sim time (called by the pacer on each tick boundary)."""
        try:
            self.drill.advance(self.clock.sim_at(wall))
        except Exception:
            # An engine bug must not kill the pacer silently: stop the clock where it is,
            # keep what was logged, and let the facilitator see a paused drill.
            logger.exception(
                "drill %s: the engine failed at t=%.3f; pausing", self.id, self.drill.now
            )
            self.life.apply("pause")
            self.clock.stop(self.drill.now)
            self._save(status=str(self.status))
            self.flush()
            self._broadcast(dumps({"v": VERSION, "type": "clock", **self.clock_info()}))
            return
        self.flush()

    def flush(self, upto: int | None = None) -> None:
        """Publish events not yet sent; notice the end of the drill.

        The simulated time reached is saved *before* any event goes out, so a
        drill rebuilt after a crash reaches at least every event a client has
        seen: a reconnecting client is never ahead of the rebuilt log. It costs
        one small write per batch of events (about one per simulated 10 s).
        """
        log = self.drill.log
        last = log.last_seq if upto is None else min(upto, log.last_seq)
        if last > self._published:
            if self.owner and self.drill.now > self._horizon and not self._save():
                return  # held back until the store has where the drill got to
            new = log.since(self._published)[: last - self._published]
            blobs = [e.to_json() for e in new]
            public = [players_blob(e, b) for e, b in zip(new, blobs, strict=True)]
            self._blobs.extend(blobs)
            self._public_blobs.extend(public)
            self._published = new[-1].seq
            self.hub.publish(new, blobs, public)
            if self.relay is not None and self.owner:
                self.relay(self, None, (), False)
        if self.drill.ended and self.status is not Status.ENDED and last == log.last_seq:
            self._finish()

    async def submit(
        self, who: Principal, data: Any, as_name: str | None = None, frame_id: str | None = None
    ) -> Applied:
        """Apply one input here if this worker owns the drill, else through its owner."""
        if not self.owner and self.forward is not None:
            return await self.forward(self, who, data, as_name, frame_id)
        event = self.apply(who, data, as_name, frame_id)
        return Applied(event.seq, str(self.status), self.drill.now)

    def apply(
        self, who: Principal, data: Any, as_name: str | None = None, frame_id: str | None = None
    ) -> Event:
        """Check, store, then apply one input; a refused input changes nothing anywhere."""
        self._check_storage()
        key = None if frame_id is None else (who.name.casefold(), frame_id)
        seq = self.frames.get(key) if key is not None else None
        if seq is not None:
            raise DuplicateFrame(
                f"frame id {frame_id!r} was already applied, as seq {seq}; "
                "it is not applied again (use a new id for a new input)",
                seq,
            )
        inp = I.parse_input(data)  # UnknownAction / InvalidInput saying what is valid
        actor, role, by = who.name, who.role, None
        if as_name is not None:
            require(who.role, "input:as_player")
            actor, role, by = self._player(as_name).name, "player", who.name
        require(role, f"input:{inp.type}")
        action = _clock_action(inp)
        if action is not None:
            self.life.check(action)
        self.life.check_input(who.role, inp.type)
        wall = asyncio.get_running_loop().time()
        if self.clock.running:
            # events up to this instant go out before the input's own
            self.drill.advance(self.clock.sim_at(wall))
            self.flush()
            self._check_storage()  # saving the events up to now may just have failed
            self.life.check_input(who.role, inp.type)  # time may have run out just now
        try:
            n = self.store.append_input(self.id, self.drill.now, actor, role, by, data, frame_id)
        except StorageUnavailable as exc:
            self._stall(exc)
            raise
        try:
            event = self.drill.submit(data, actor, role, by)
        except BaseException:
            try:
                self.store.drop_input(n)
            except StorageUnavailable as exc:
                self._drops.append(n)  # replay skips a refused input; dropped on recovery
                self._stall(exc)
            raise
        if key is not None:
            self.frames[key] = event.seq
        self.applied_n = n
        if self.relay is not None:
            self.outbox.append(StoredInput(n, self.drill.now, actor, role, by, data, frame_id))
        self._horizon = max(self._horizon, self.drill.now)  # a rebuild replays up to the input
        self.flush()
        if action is not None:
            self._clock(action, inp, wall)
            self.flush()
        return event

    def _clock(self, action: str, inp: I.Input, wall: float) -> None:
        now = self.drill.now
        if action in ("start", "resume"):
            self.life.apply(action)
            self.clock.run(wall, now)
        elif action == "pause":
            self.life.apply(action)
            self.clock.stop(now)
        elif action == "speed":
            assert isinstance(inp, I.Clock) and inp.speed is not None
            self.clock.set_speed(wall, now, inp.speed)
        elif action in ("step", "jump"):
            assert isinstance(inp, I.Clock)
            self.drill.advance(now + (inp.seconds or self.scenario.tick))
            self.clock.anchor(wall, self.drill.now)
            self.flush()  # a jump past the end finishes the drill here
        if self.status is not Status.ENDED:  # the end is saved and announced by _finish
            self.pacer.changed()
            self._save(status=str(self.status), speed=self.clock.speed)
            self._broadcast(dumps({"v": VERSION, "type": "clock", **self.clock_info()}))

    def _finish(self) -> None:
        self.life.status = Status.ENDED  # legal from every live status (lifecycle.py)
        self.clock.stop(self.drill.now)
        self.pacer.cancel()
        if self.owner:  # a follower hears the end, and its clock frame, from the owner
            self._save(status=str(Status.ENDED))
            self._broadcast(dumps({"v": VERSION, "type": "clock", **self.clock_info()}))
        if self.on_end is not None:
            self.on_end(self)

    def _broadcast(self, frame: str, views: Sequence[str] = VIEWS, roster: bool = False) -> None:
        """Send a non-event frame to this drill's clients here and, from the owner, everywhere."""
        self.hub.broadcast(frame, views)
        if self.relay is not None and self.owner:
            self.relay(self, frame, views, roster)

    # -------------------------------------------------------------- cluster
    def follow(
        self,
        t: float,
        seq: int,
        status: str,
        speed: float,
        inputs: Sequence[StoredInput],
        last_n: int,
    ) -> bool:
        """Follower: do what the owner did (inputs at their times, the clock to ``t``) and
        publish up to the owner's ``seq``. False, changing nothing, when this copy lacks an
        input the owner applied before these (``last_n`` is the owner's last): the caller
        rebuilds it from the store (:meth:`adopt`) and tries again."""
        if max([self.applied_n, *(i.n for i in inputs)]) < last_n:
            return False  # a sync carrying an input was lost
        try:
            for inp in inputs:
                if inp.n <= self.applied_n:
                    continue  # already in this copy (it was rebuilt with it)
                if inp.t > self.drill.now:
                    self.drill.advance(inp.t)
                event = self.drill.submit(inp.data, inp.actor, inp.role, inp.by)
                if inp.frame_id is not None:
                    self.frames[(inp.sender.casefold(), inp.frame_id)] = event.seq
                self.applied_n = inp.n
            if t > self.drill.now:
                self.drill.advance(t)
        except FiredrillError:
            return False
        self.clock.speed = speed
        if status != str(Status.ENDED):
            self.life.status = Status(status)
        self.flush(upto=seq)
        if status == str(Status.ENDED) and self.status is not Status.ENDED:
            self._finish()
        return self._published >= seq

    def adopt(self, drill: Drill, frames: dict[tuple[str, str], int], applied_n: int) -> None:
        """Continue from ``drill``, rebuilt from the store: it extends what was published."""
        self.drill = drill
        self.frames = dict(frames)
        self.applied_n = applied_n
        self._horizon = max(self._horizon, drill.now)

    def promote(self, status: Status, speed: float) -> None:
        """Become the owner (the lease was taken): run the clock, publish, tell everyone.

        A drill that was running keeps running from the simulated time the store reached:
        the seconds without an owner are not skipped, nobody misses an event.
        """
        self.owner = True
        self.life.status = status
        self.clock.speed = speed
        wall = asyncio.get_running_loop().time()
        if status is Status.RUNNING:
            self.clock.run(wall, self.drill.now)
        else:
            self.clock.stop(self.drill.now)
        self.pacer.start()
        self.pacer.changed()
        self.flush()
        if self.status is not Status.ENDED:
            self._broadcast(dumps({"v": VERSION, "type": "clock", **self.clock_info()}))

    def demote(self) -> None:
        """Stop running the clock (the lease was lost): another worker owns the drill now."""
        self.owner = False
        self.clock.stop(self.drill.now)
        self.pacer.cancel()

    def _save(self, **fields: Any) -> bool:
        """Store the sim time reached (and any other changed fields); False if it failed.

        A failed save stalls the drill; :meth:`retry_save` later stores the whole
        state (sim time, status, speed), so nothing of this one is lost.
        """
        if self.stalled is not None:
            return False
        try:
            self.store.update_drill(self.id, sim_time=self.drill.now, **fields)
        except StorageUnavailable as exc:
            self._stall(exc)
            return False
        self._horizon = self.drill.now
        return True

    # -------------------------------------------------------------- storage faults
    def _check_storage(self) -> None:
        if self.stalled is not None:
            raise StorageUnavailable(
                f"the drill store cannot be written ({self.stalled}); nothing was applied. "
                "The drill waits and continues by itself once the store works again"
            )

    def _stall(self, exc: StorageUnavailable) -> None:
        """A write failed: pause (a running drill), tell every client, wait for the store."""
        if self.stalled is not None:
            return
        self.stalled = str(exc.__cause__ or exc)
        self._resume = self.status is Status.RUNNING
        if self._resume:
            self.life.apply("pause")
            self.clock.stop(self.drill.now)
            self.pacer.changed()
        then = "resumes by itself" if self._resume else "accepts inputs again"
        self._broadcast(
            error(
                None,
                "storage_unavailable",
                f"the drill store cannot be written ({self.stalled}); the drill is paused "
                f"and {then}, where it was, once the store works again",
            )
        )
        self._broadcast(dumps({"v": VERSION, "type": "clock", **self.clock_info()}))
        if self.on_stall is not None:
            self.on_stall(self)

    def retry_save(self) -> None:
        """Store where the stalled drill is; then publish what was held back and resume it.

        Raises StorageUnavailable (changing nothing) while the store still fails.
        """
        if self.stalled is None:
            return
        while self._drops:
            self.store.drop_input(self._drops[0])
            self._drops.pop(0)
        status = Status.RUNNING if self._resume else self.status
        self.store.update_drill(
            self.id, sim_time=self.drill.now, status=str(status), speed=self.clock.speed
        )
        self._horizon = self.drill.now
        self.stalled = None
        if self._resume:
            self._resume = False
            self.life.apply("resume")
            self.clock.run(asyncio.get_running_loop().time(), self.drill.now)
            self.pacer.changed()
        self.flush()  # the events held back go out now (and a drill at its end finishes)
        if self.status is not Status.ENDED:
            self._broadcast(dumps({"v": VERSION, "type": "clock", **self.clock_info()}))

    def _player(self, name: str) -> Principal:
        p = self.participants.get(name.casefold())
        if p is None or p.role != "player":
            names = [q.name for q in self.participants.values() if q.role == "player"]
            raise NotFound(
                f"no player named {name!r} in this drill; players: {', '.join(names) or 'none yet'}"
            )
        return p

    # -------------------------------------------------------------- clients
    def attach(self, client: Client, last_seq: int | None) -> None:
        """Welcome a client, send what it missed (or a snapshot), then stream live events."""
        if len(self.hub) >= self.limits.clients_per_drill:
            raise LimitReached(
                f"drill {self.id} already has {len(self.hub)} clients, the limit; try again later"
            )
        who = client.principal
        after = last_seq or 0
        missed = list(self.visible(client.view, after)) if after <= self.seq else []
        if last_seq is not None and last_seq > self.seq:
            mode = "snapshot"  # the client is ahead of a log rebuilt after a restart
        elif len(missed) > self.limits.backlog_events:
            mode = "snapshot"
        else:
            mode = "events"
        client.send(
            dumps(
                {
                    "v": VERSION,
                    "type": "welcome",
                    "drill_id": self.id,
                    **who.public(),
                    **self.clock_info(),
                    "resume": {
                        "from": last_seq,
                        "mode": mode,
                        "events": len(missed) if mode == "events" else 0,
                    },
                    "snapshot": self.drill.snapshot(who.role),
                    "roster": self.roster(),
                    "limits": {
                        "frame_bytes": self.limits.frame_bytes,
                        "inputs_per_second": self.limits.inputs_per_second,
                        "input_burst": self.limits.input_burst,
                    },
                }
            )
        )
        if mode == "events":
            step = self.limits.chunk_events
            for i in range(0, len(missed), step):
                chunk = missed[i : i + step]
                blobs = self._blobs_for(client.view)
                client.send(events_frame([blobs[j] for j in chunk], chunk[-1] + 1))
        self.hub.add(client)

    def _blobs_for(self, view: str) -> list[bytes]:
        return self._blobs if view == "facilitator" else self._public_blobs

    def detach(self, client: Client) -> None:
        self.hub.discard(client)

    def add_participant(self, who: Principal) -> None:
        """Add to the roster; the owner announces it (to every worker's clients)."""
        self.participants[who.name.casefold()] = who
        if self.owner:
            self._broadcast(
                dumps({"v": VERSION, "type": "roster", "roster": self.roster()}), roster=True
            )

    def name_taken(self, name: str) -> bool:
        return name.casefold() in self.participants or name.casefold() == "system"


def _clock_action(inp: I.Input) -> str | None:
    """The lifecycle action an input stands for, after checking its parameters."""
    if isinstance(inp, I.End):
        return "end"
    if not isinstance(inp, I.Clock):
        return None
    if inp.action == "speed" and inp.speed is None:
        raise InvalidInput("clock speed needs `speed`: a factor in (0, 600], e.g. 10")
    if inp.action == "jump" and inp.seconds is None:
        raise InvalidInput("clock jump needs `seconds`: how far to move the clock, in (0, 3600]")
    return inp.action


def players_blob(event: Event, blob: bytes) -> bytes:
    """``event``'s serialised bytes (``blob``) as players and observers get them."""
    return blob if event.type != "metrics" else as_players_see_event(event).to_json()
