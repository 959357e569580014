"""A drill: one scenario, one seed, one log. The sans-I/O heart of firedrill.

The caller owns time: :meth:`Drill.advance` runs the simulation up to a
simulated time, :meth:`Drill.submit` applies an input *now*, and
:meth:`Drill.events_since` returns what happened. A headless run advances
as fast as it can; the server advances in step with the wall clock. The
whole drill is a function of (scenario, seed, inputs with their times), so
replaying the inputs of a log reproduces it byte for byte.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Generator, Mapping
from dataclasses import replace
from functools import partial
from typing import Any, TypeVar

import simpy
from simpy.events import URGENT

from . import __version__, mechanics
from . import inputs as I
from .alerts import OPS, AlertEngine
from .causes import Watch
from .choices import draw, resolve
from .effects import apply_fault, end_fault, mitigate
from .errors import DrillStateError, InvalidInput, NotAllowed
from .log import DrillLog, Event
from .metrics import as_players_see
from .observe import investigate
from .prompt_deck import PromptDeck
from .responders import Responders
from .responders import public as responders_public
from .scenario import Cause, Fault, Inject, Migration, PodFault, Scenario, instance_names
from .world import World
from .world.service import ServiceState

T = TypeVar("T")
WARMUP_TICKS = 120


class Drill:
    def __init__(self, scenario: Scenario, seed: int = 0) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        # seed-chosen values come first off the drill's random (engine/choices.py)
        self.choices = draw(scenario.choices, self.rng)
        self.scenario = scenario = resolve(scenario, self.choices)
        self.env = simpy.Environment()
        self.log = DrillLog()
        self.changes: list[dict[str, Any]] = []
        self.migrations: dict[str, list[tuple[str, str, Migration]]] = {}
        self.blocker_pids: dict[str, int] = {}
        self.active_faults: dict[str, Fault] = {}  # running faults by key (id or faults[i])
        self.faults_ended: list[str] = []  # keys, in the order they ended
        self.faults_started: list[str] = []  # keys, in the order they first started
        self._watches: list[Watch] = []  # pending `when` / `until` causes
        self.revealed: list[str] = []
        self.page_at: float | None = None
        self.ended = False
        self.alerts_seen: set[str] = set()
        self.injected: set[str] = set()
        self.public_updates = 0
        self.incident: dict[str, Any] = {
            "commander": None,
            "severity": None,
            "roles": {},
            "status": None,
        }
        self.world = World(scenario, self.rng, self._emit)
        self.responders = Responders(self)
        self.prompts = PromptDeck.of(scenario.prompts)  # facilitator-only hints
        self._rounded: dict[float, float] = {}  # round(v, 3) memo for samples
        self.alerts = AlertEngine(list(scenario.alerts), self.world.index)
        self.log.append(
            0.0,
            "system",
            "drill.created",
            {
                "scenario": scenario.id,
                "title": scenario.title,
                "seed": seed,
                "duration": scenario.duration,
                "engine": __version__,
            },
        )
        for i in range(WARMUP_TICKS):  # settle pools and noise before the clock starts
            self.world.step(float(i - WARMUP_TICKS), 1.0)
        self.world.reset_counters()
        self._apply_history()
        self._schedule_faults()
        for mech in mechanics.MECHANICS:
            if mech.start is not None:
                mech.start(self)
        self._conditional: list[Inject] = []
        for inj in scenario.injects:
            if inj.at is not None:
                self.at(inj.at + inj.delay, partial(self._inject, inj))
            else:
                self._conditional.append(inj)
        self._sample()
        self._ticks = 0
        self._every = max(1, round(scenario.sample_every / scenario.tick))  # ticks per sample
        self.env.process(self._start_ticking())

    # ------------------------------------------------------------ public API
    @property
    def now(self) -> float:
        return float(self.env.now)

    def advance(self, to: float) -> list[Event]:
        """Run the simulation up to ``to`` (ms resolution); return the new events."""
        if self.ended:
            return []
        to = math.floor(to * 1000.0 + 1e-6) / 1000.0
        to = min(to, self.scenario.duration + self.scenario.tick)
        if to <= self.env.now:
            return []
        before = self.log.last_seq
        # env.run(until=to) stops by raising StopSimulation from a callback, and
        # headless replay advances tick by tick while a script waits for a page
        # or a trigger. Same stop event (urgent, at now + (to - now)), no raise.
        stop = _Stop(self.env, to)
        step = self.env.step
        while stop.callbacks is not None:
            step()
        return self.log.since(before)

    def submit(
        self,
        data: Mapping[str, Any],
        actor: str,
        role: str = "player",
        by: str | None = None,
        via: int | None = None,
    ) -> Event:
        """Apply one input at the current time; a refused input changes nothing.

        ``via`` is the seq of the ``delegate`` a simulated teammate is carrying out."""
        if self.ended:
            raise DrillStateError("the drill has ended; no more inputs are accepted")
        inp = I.parse_input(dict(data) if isinstance(data, Mapping) else data)
        if inp.type not in I.PERMISSIONS.get(role, frozenset()):
            article = "an" if role[:1] in "aeiou" else "a"
            raise NotAllowed(f"{article} {role} may not send {inp.type}")
        self.responders.check(inp)
        category = I.CATEGORY[inp.type]
        result: dict[str, Any] | None = None
        plan: Callable[[int], None] | mechanics.Held | None = None
        if category == "investigate" and inp.type != "hypothesis":
            result = investigate(self, inp)
        elif category == "mitigate":
            plan = mitigate(self, inp)
        elif isinstance(inp, I.FireInject):
            ids = [j.id for j in self.scenario.injects]
            if inp.id not in ids:
                raise self.unknown("inject", inp.id, ids)
        elif isinstance(inp, I.UsePrompt):
            self.prompts.check_use(inp.id, inp.send)
        payload = inp.model_dump(mode="json")
        if by is not None:
            payload["by"] = by
        if via is not None:
            payload["via"] = via
        # a note is private; a message or inject input would show who played the
        # character: players see only the character's words (the inject event below)
        vis = "facilitator" if inp.type in ("note", "message", "inject", "use_prompt") else "all"
        event = self.log.append(self.now, actor, "input", payload, vis)
        if result is not None:
            # a stale panel shows nothing live: the war room does not start following it
            fresh = not result.get("stale")
            if isinstance(inp, I.ViewDashboard) and fresh and result["panel"] not in self.revealed:
                self.revealed.append(result["panel"])
            self.log.append(
                self.now,
                "system",
                "observation",
                {"for": event.seq, "kind": inp.type, "result": result},
            )
        if isinstance(plan, mechanics.Held):
            plan.hold(event.seq)  # its causes fire when the held plan runs
        else:
            if plan is not None:
                plan(event.seq)
            self.acted(inp)
        self._after_input(inp, actor)
        if category != "facilitate":
            self.prompts.saw(inp)
        self.responders.after(inp, event)
        return event

    def acted(self, inp: I.Input) -> None:
        """Fire the action causes waiting on ``inp`` (each after its ``delay``)."""
        if self._watches:
            for w in [w for w in self._watches if w.matches(inp)]:
                self._watches.remove(w)
                self.later(w.cause.delay, w.fire)

    def reapply(self, recorded: Event) -> Event:
        """Re-apply a recorded input event at its time (replay, counterfactuals).

        The submitter's role is not in the log; the facilitator may send anything
        and the resulting events do not depend on the role.
        """
        self.advance(recorded.t)
        if "via" in recorded.data:  # a teammate's own action: the replayed delegate redoes it
            return recorded
        data = dict(recorded.data)
        by = data.pop("by", None)
        return self.submit(data, actor=recorded.actor, role="facilitator", by=by)

    def events_since(self, seq: int, role: str = "facilitator") -> list[Event]:
        """The log after ``seq`` as ``role`` sees it (players: public events, metrics
        without the ground truth; see :func:`as_players_see_event`)."""
        events = self.log.since(seq)
        if role == "facilitator":
            return events
        return [as_players_see_event(e) for e in events if e.vis == "all"]

    def snapshot(self, role: str = "player") -> dict[str, Any]:
        """What a client of ``role`` needs to draw the war room right now."""
        last = next((e for e in reversed(self.log.events) if e.type == "metrics"), None)
        snap: dict[str, Any] = {
            "seq": self.log.last_seq,
            "t": self.now,
            "page_at": self.page_at,
            "ended": self.ended,
            "metrics": (last.data if role == "facilitator" else as_players_see(last.data))
            if last
            else {},
            "alerts": sorted(self.alerts.firing),
            "incident": self.incident,
            "revealed": list(self.revealed),
            # A flag set in one region apart from the rest shows as "<flag>@<region>".
            "flags": dict(self.world.flags)
            | {f"{n}@{r}": on for (n, r), on in self.world.region_flags.items()},
            "scenario": public_info(self.scenario),
        }
        if role != "facilitator" and not self.ended:
            for key in SPOILERS:  # the debrief tells them; a paged engineer does not know
                snap["scenario"].pop(key, None)
        if role == "facilitator":
            snap["prompts"] = [c.to_dict() for c in self.prompts.cards]
            snap["truth"] = self.scenario.truth.model_dump(mode="json")
            snap["injects"] = [
                j.model_dump(mode="json", by_alias=True) for j in self.scenario.injects
            ]
        return snap

    def end(self, reason: str = "ended") -> None:
        if not self.ended:
            self.ended = True
            self.log.append(self.now, "system", "drill.ended", {"reason": reason})

    # --------------------------------------------------- helpers for effects
    def at(self, t: float, fn: Callable[[], None]) -> None:
        self.later(max(0.0, t - self.now), fn)

    def later(self, delay: float, fn: Callable[[], None]) -> None:
        def run() -> Generator[Any, Any, None]:
            yield self.env.timeout(delay)
            if not self.ended:
                fn()

        self.env.process(run())

    def state(self, component: str, what: str, *, vis: str = "all", **data: Any) -> None:
        self.log.append(
            self.now, "system", "state", {"component": component, "what": what, **data}, vis
        )

    def effect(self, for_seq: int, component: str, what: str, **data: Any) -> None:
        self.log.append(
            self.now,
            "system",
            "effect",
            {"for": for_seq, "component": component, "what": what, **data},
        )

    def unknown(self, kind: str, value: str, valid: list[str]) -> InvalidInput:
        return InvalidInput(f"unknown {kind} {value!r}; valid: {', '.join(valid) or 'none'}")

    def need(self, kind: str, name: str, table: Mapping[str, T]) -> T:
        if name not in table:
            raise self.unknown(kind, name, list(table))
        return table[name]

    def need_service(self, name: str) -> ServiceState:
        return self.need("service", name, self.world.services)

    # -------------------------------------------------------------- internals
    def _emit(self, type: str, data: dict[str, Any], vis: str) -> None:
        self.log.append(self.now, "system", type, data, vis)

    def _apply_history(self) -> None:
        """Migrations already run before the drill constrain rollbacks like in-drill ones."""
        for c in sorted(self.scenario.changes, key=lambda c: c.at):
            if c.migration is None or c.service is None or c.version is None:
                continue
            svc = self.world.services[c.service]
            if c.version in svc.version_order:
                svc.migration = (svc.version_order.index(c.version), c.migration)
                svc.invalidate()

    def _schedule_faults(self) -> None:
        for i, fault in enumerate(self.scenario.faults):
            key = fault.id or f"faults[{i}]"
            starts: list[tuple[float, int | None, str | None]] = []
            if isinstance(fault, PodFault):
                # One line, one or several services: each pod's (or each service's, for a
                # shared cause) start drawn from the seed on its own, in topology order.
                for name in self.scenario.services_hit(fault):
                    starts += self._pod_starts(fault, name)
            else:
                starts.append((self._jittered(fault.at, fault.jitter), None, None))
            for at, index, service in starts:
                start = partial(self._start_fault, fault, key, index, service)
                if fault.when is not None:
                    self.at(round(at, 3), partial(self._watch, fault.when, start))
                else:
                    self.at(round(at, 3), start)

    def _pod_starts(self, fault: PodFault, service: str) -> list[tuple[float, int | None, str]]:
        """(time, pod index or None for a shared cause, service) of each start on ``service``."""
        if fault.pod == "all" and fault.shared_cause is None:
            pods = self.world.services[service].pods
            return [
                (self._jittered(fault.at, fault.jitter), p.index, service)
                for p in pods
                if fault.region is None or p.region == fault.region
            ]
        at = self._jittered(fault.at, fault.jitter)
        if fault.shared_cause is not None:
            return [(at, None, service)]
        n = self.scenario.service(service).pods
        return [(at, self.rng.randrange(n) if fault.pod == "random" else int(fault.pod), service)]

    def _jittered(self, at: float, jitter: float) -> float:
        return max(0.0, at + self.rng.uniform(-jitter, jitter)) if jitter else at

    def _watch(self, cause: Cause, fire: Callable[[], None]) -> None:
        self._watches.append(Watch(cause, fire))

    def _start_fault(
        self, fault: Fault, key: str, pod: int | None, service: str | None = None
    ) -> None:
        first = key not in self.active_faults
        apply_fault(self, fault, key, pod, service)
        if first and key in self.active_faults:
            self.faults_started.append(key)
        if first and fault.until is not None and key in self.active_faults:
            self._watch(fault.until, partial(end_fault, self, fault, key))
        if first and key in self.active_faults:
            # A fault that shares this one's fate starts with it, before the world
            # steps again (a dashboard frozen by it shows the values from before).
            for w in [w for w in self._watches if w.cause.started == key]:
                self._watches.remove(w)
                w.fire() if not w.cause.delay else self.later(w.cause.delay, w.fire)

    def fault_ended(self, key: str) -> None:
        """Record that fault ``key`` ended; causes waiting on it fire from the next tick.
        A fault ends once: a lever and its ``until`` cause may both say so."""
        if key in self.faults_ended:
            return
        self.faults_ended.append(key)
        self.state("fault", "fault ended", vis="facilitator", fault=key)

    def _check_watches(self, now: float) -> None:
        metric = self.world.metric
        for w in list(self._watches):
            if w.due(now, metric, self.alerts_seen, self.faults_ended, self.faults_started):
                self._watches.remove(w)
                self.later(w.cause.delay, w.fire)

    # The clock: one timeout per tick whose callback steps everything (no process
    # per tick or per component). Each next timeout is created at the end of the
    # tick, and the first one by a process started at the end of __init__, so
    # ties with other events at the same time break exactly as they always have.
    def _start_ticking(self) -> Generator[Any, Any, None]:
        self.env.timeout(self.scenario.tick).callbacks.append(self._tick)
        return
        yield  # a generator, so SimPy runs it as a process

    def _tick(self, _: simpy.Event) -> None:
        sc = self.scenario
        dt = sc.tick
        now = float(self.env.now)
        self.world.step(now, dt)
        if self.world.alerting_down:
            self.alerts.no_data()
        for kind, rule, value in (
            () if self.world.alerting_down else self.alerts.step(now, self.world.values)
        ):
            self.log.append(
                now,
                "system",
                f"alert.{kind}",
                {
                    "name": rule.name,
                    "metric": rule.metric,
                    "value": round(value, 3),
                    "threshold": rule.threshold,
                    "severity": rule.severity,
                    "summary": rule.summary,
                },
            )
            if kind == "fired":
                self.alerts_seen.add(rule.name)
                if rule.severity == "page" and self.page_at is None:
                    self.page_at = now
                    self.log.append(now, "system", "page", {"alert": rule.name})
        self.world.alerts_firing = len(self.alerts.firing)
        if self._conditional:
            self._check_injects(now)
        if self._watches:
            self._check_watches(now)
        if self.prompts.waiting:
            self._check_prompts(now)
        self._ticks += 1
        if self._ticks % self._every == 0:
            self._sample()
        if now >= sc.duration - 1e-9:
            self.end("time")
            return
        self.env.timeout(dt).callbacks.append(self._tick)

    def _sample(self) -> None:
        # round(v, 3) is slow (exact decimal conversion) and most values repeat from
        # one sample to the next (counters, configured latencies), so memoise it.
        # Zeros skip the memo: round keeps their sign but 0.0 == -0.0 as dict keys.
        memo = self._rounded
        if len(memo) > 65_536:
            memo.clear()
        rounded = []
        for v in self.world.sample_values():
            if v:
                r = memo.get(v)
                if r is None:
                    r = memo[v] = round(v, 3)
                v = r
            rounded.append(v)
        values = dict(zip(self.world.keys, rounded, strict=True))
        data: dict[str, Any] = {"values": values}
        if self.revealed:
            data["detail"] = {
                panel: self.world.detail(*panel.split("/", 1)) for panel in self.revealed
            }
        self.log.append(self.now, "system", "metrics", data)

    def _check_injects(self, now: float) -> None:
        metric = self.world.metric
        for inj in list(self._conditional):
            c = inj.when
            assert c is not None
            if c.alert is not None:
                due = c.alert in self.alerts_seen
            elif c.metric is not None:
                due = OPS[c.op](metric(c.metric), c.threshold or 0.0)
            else:
                due = self.page_at is not None and now >= self.page_at + (c.after_page or 0.0)
            if due:
                self._conditional.remove(inj)
                if c.no_status_update and self.public_updates:
                    continue
                self.later(inj.delay, partial(self._inject, inj))

    def _check_prompts(self, now: float) -> None:
        for s in self.prompts.due(now, self.page_at, self.world.metric, self.alerts_seen):
            c = s.card
            data = {"id": c.id, "text": c.text, "why": c.when.describe()}
            self.log.append(now, "system", "prompt_ready", data, "facilitator")

    def _use_prompt(self, inp: I.UsePrompt, actor: str) -> None:
        s = self.prompts.check_use(inp.id, inp.send)
        card = s.card
        if inp.send and card.say is not None and card.sender is not None:
            self._say(card.sender, card.role, "chat", card.say)
        s.used_at, s.sent = self.now, inp.send
        data = {"id": card.id, "ready": s.ready_at is not None, "sent": inp.send}
        self.log.append(self.now, actor, "prompt_used", data, "facilitator")

    def _say(
        self, sender: str, role: str, channel: str, text: str, about: int | None = None
    ) -> None:
        """A character's words to the players (a facilitator message or a sent card)."""
        self.log.append(
            self.now,
            sender,
            "inject",
            {
                "id": None,
                "from": sender,
                "role": role,
                "channel": channel,
                "text": text,
                "asks": None,
                **({} if about is None else {"about": about}),
            },
        )

    def _inject(self, inj: Inject, manual: bool = False) -> None:
        if inj.id in self.injected and not manual:
            return  # the facilitator already sent it by hand
        self.injected.add(inj.id)
        self.log.append(
            self.now,
            inj.sender,
            "inject",
            {
                "id": inj.id,
                "from": inj.sender,
                "role": inj.role,
                "channel": inj.channel,
                "text": inj.text,
                "asks": inj.asks,
            },
        )

    def _after_input(self, inp: I.Input, actor: str) -> None:
        inc = self.incident
        if isinstance(inp, I.TakeCommand):
            inc["commander"] = actor
        elif isinstance(inp, I.DeclareIncident):
            inc["severity"] = inp.severity
        elif isinstance(inp, I.AssignRole):
            inc["roles"][inp.person] = inp.role
            if inp.role == "ic":
                inc["commander"] = inp.person
        elif isinstance(inp, I.StatusUpdate):
            if inp.audience == "public":
                self.public_updates += 1
                inc["status"] = inp.state
        elif isinstance(inp, I.FireInject):
            self._inject(next(j for j in self.scenario.injects if j.id == inp.id), manual=True)
        elif isinstance(inp, I.Message):
            self._say(inp.sender, inp.role, inp.channel, inp.text, inp.reply_to)
        elif isinstance(inp, I.UsePrompt):
            self._use_prompt(inp, actor)
        elif isinstance(inp, I.End):
            self.end(inp.reason)


class _Stop(simpy.Event):
    """The event ``Environment.run(until=at)`` schedules to end a run."""

    def __init__(self, env: simpy.Environment, at: float) -> None:
        super().__init__(env)
        self._ok = True
        self._value = None
        env.schedule(self, URGENT, at - env.now)


def as_players_see_event(event: Event) -> Event:
    """``event`` as players and observers get it: a ``metrics`` event without the ground
    truth (engine.metrics.GROUND_TRUTH); any other event unchanged (the same object)."""
    if event.type != "metrics":
        return event
    return replace(event, data=as_players_see(event.data))


# facts of public_info that name the cause: players get them when the drill has ended
SPOILERS = ("summary", "class")


def public_info(sc: Scenario) -> dict[str, Any]:
    """Scenario facts every participant may see (no faults, no truth)."""
    topo = sc.topology
    return {
        "id": sc.id,
        "title": sc.title,
        "summary": sc.summary,
        "class": sc.scenario_class,
        "symptom": sc.symptom,
        "audience": sc.audience,
        "difficulty": sc.difficulty,
        "duration": sc.duration,
        "services": [
            {"name": s.name, "pods": s.pods, "endpoints": [e.name for e in s.endpoints]}
            for s in topo.services
        ],
        "dependencies": instance_names(topo.dependencies),
        "databases": instance_names(topo.databases),
        "topics": [t.name for t in topo.topics],
        "flags": [{"name": f.name, "description": f.description} for f in topo.flags],
        "experts": sorted({e.team for e in sc.experts}),
        "responders": responders_public(sc),
        "alerts": [
            {"name": a.name, "metric": a.metric, "op": a.op, "threshold": a.threshold}
            for a in sc.alerts
        ],
    }
