"""Service discovery: callers resolve a name, cache the answer, and fail without one.

Each pod of a service that calls a ``discovery`` record keeps its last good
answer for the record's ``ttl`` and resolves again when it expires (each pod
at its own phase, drawn from its name, so the fleet's expiries are spread and
the same on every replay). A ``dns_failure`` breaks resolution of one name:
pods keep working on their cached answer until it expires, then every call
they make to that name fails at once (errors on the caller's endpoints that
use it; the callee stays healthy and simply sees fewer calls). An empty or
NXDOMAIN answer is cached for the record's ``negative_ttl``; a resolver
failure is not cached (the pod asks again every ``SERVFAIL_RETRY_S``).

A pod that restarts or is added by a scale-out starts with an empty cache: it
resolves as it comes up, so while the record is broken it fails at once.
Rolling restarts and scale-outs make the outage worse; they only help after
the fix. ``restore_record`` publishes the record again after its ``restore``
time; callers recover as their cached negative answers expire, pod by pod,
over up to ``negative_ttl``.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import NotAllowed
from ..inputs import Input, RestoreRecord
from ..world.service import Shared
from .base import Ctx, Mechanic, Plan, own_state

if TYPE_CHECKING:
    from ..scenario import DnsFault, Record
    from ..world.service import Pod, ServiceState

SERVFAIL_RETRY_S = 5.0  # a pod whose resolver failed asks again this soon (not cached)


@dataclass(slots=True)
class Answer:
    """What one pod holds for one name: good or not, until when, for which incarnation."""

    pod: Pod  # the pod object (a scale-in then out reuses its name, not the object)
    restarts: int  # its restart count when it resolved (a restart empties its cache)
    ok: bool
    until: float  # when it resolves again


@dataclass(slots=True)
class Caller:
    """One service resolving one record: its endpoints that call it and its pods' answers."""

    svc: ServiceState
    record: Record
    endpoints: tuple[int, ...]
    answers: dict[str, Answer] = field(default_factory=dict)
    failing: frozenset[str] = frozenset()


@dataclass(slots=True)
class Discovery:
    """The mechanic's state: callers by record, and the faults breaking each record."""

    callers: dict[str, list[Caller]] = field(default_factory=dict)
    broken: dict[str, list[str]] = field(default_factory=dict)  # record -> fault keys
    faults: dict[str, DnsFault] = field(default_factory=dict)  # fault key -> fault
    last: dict[str, DnsFault] = field(default_factory=dict)  # record -> latest fault on it


def _state(ctx: Ctx) -> Discovery:
    return own_state(ctx, "discovery", Discovery)


def _record(ctx: Ctx, name: str) -> Record:
    return ctx.need("record", name, {r.name: r for r in ctx.scenario.topology.discovery})


def _phase(pod: Pod, record: Record) -> float:
    """When ``pod`` first resolves ``record`` again: a fixed share of the TTL from its name."""
    share = zlib.crc32(f"{pod.name}/{record.name}".encode()) / 2**32
    return round(record.ttl * (1.0 - share), 3)  # in (0, ttl]


def start(ctx: Ctx) -> None:
    """Every caller's pods hold a good answer as the drill starts; the resolve loop runs."""
    records = ctx.scenario.topology.discovery
    if not records:
        return
    st = _state(ctx)
    for rec in records:
        for svc in ctx.world.services.values():
            eps = tuple(i for i, e in enumerate(svc.spec.endpoints) if rec.name in e.call_names)
            if not eps:
                continue
            caller = Caller(svc, rec, eps)
            for pod in svc.pods:
                caller.answers[pod.name] = Answer(pod, pod.restarts, True, _phase(pod, rec))
            st.callers.setdefault(rec.name, []).append(caller)
    step = ctx.scenario.tick

    def loop() -> None:
        _resolve_all(ctx)
        ctx.later(step, loop)

    ctx.later(step, loop)


def _fault(st: Discovery, record: str) -> DnsFault | None:
    """The fault breaking ``record`` now (the latest to start), or None if it resolves."""
    keys = st.broken.get(record)
    return st.faults[keys[-1]] if keys else None


def _resolve_all(ctx: Ctx) -> None:
    """Pods whose answer expired, or who came up with an empty cache, resolve now."""
    st = _state(ctx)
    now = ctx.now
    for name, callers in st.callers.items():
        fault = _fault(st, name)
        for caller in callers:
            _resolve(ctx, caller, fault, now)


def _resolve(ctx: Ctx, caller: Caller, fault: DnsFault | None, now: float) -> None:
    svc, rec = caller.svc, caller.record
    answers = caller.answers
    for pod in svc.pods:
        if not pod.serving:
            continue
        a = answers.get(pod.name)
        if a is not None and a.pod is pod and a.restarts == pod.restarts and now < a.until:
            continue  # a cached answer, good or negative, not yet expired
        if fault is None:
            answers[pod.name] = Answer(pod, pod.restarts, True, now + rec.ttl)
        else:
            wait = SERVFAIL_RETRY_S if fault.answer == "servfail" else rec.negative_ttl
            answers[pod.name] = Answer(pod, pod.restarts, False, now + wait)
    live = {p.name for p in svc.pods}
    failing = frozenset(n for n, a in answers.items() if not a.ok and n in live)
    if failing != caller.failing:
        for n in sorted(failing - caller.failing):
            ctx.state(svc.name, "lookup failing", vis="facilitator", record=rec.name, pod=n)
        for n in sorted(caller.failing - failing):
            if n in live:
                ctx.state(svc.name, "lookup recovered", vis="facilitator", record=rec.name, pod=n)
        caller.failing = failing
        key = f"dns:{rec.name}"
        if failing:
            last = _state(ctx).last[rec.name]  # negative answers may outlive their fault
            svc.shared[key] = Shared(
                100.0, last.latency_ms, _log(rec, last), caller.endpoints, pods=failing
            )
        else:
            svc.shared.pop(key, None)
        svc.invalidate()
    _gauge(ctx, svc)


def _log(rec: Record, fault: DnsFault) -> str:
    if fault.log:
        return fault.log
    why = "server misbehaving" if fault.answer == "servfail" else "no such host"
    return f"ERROR call to {rec.name} failed: dial tcp: lookup {rec.hostname or rec.name}: {why}"


def _gauge(ctx: Ctx, svc: ServiceState) -> None:
    """``<service>.lookup_failures_per_s``: its calls that found no address, last tick."""
    total = 0.0
    serving = [p for p in svc.pods if p.serving]
    for callers in _state(ctx).callers.values():
        for c in callers:
            if c.svc is not svc or not c.failing or not serving or not svc.ep_rps:
                continue
            share = sum(1 for p in serving if p.name in c.failing) / len(serving)
            total += sum(svc.ep_rps[i] for i in c.endpoints) * share
    ctx.world.gauges[f"{svc.name}.lookup_failures_per_s"] = round(total, 3)


def break_record(ctx: Ctx, fault: DnsFault, key: str) -> dict[str, Any]:
    """Lookups of the record fail from now; pods notice as their cached answers expire."""
    st = _state(ctx)
    rec = _record(ctx, fault.record)
    st.faults[key] = fault
    st.last[rec.name] = fault
    st.broken.setdefault(rec.name, []).append(key)
    callers = [c.svc.name for c in st.callers.get(rec.name, [])]
    return {"record": rec.name, "answer": fault.answer, "callers": callers}


def fix_record(ctx: Ctx, fault: DnsFault, key: str) -> None:
    """The record resolves again (``until``); cached negative answers still have to expire."""
    keys = _state(ctx).broken.get(fault.record, [])
    if key in keys:
        keys.remove(key)


def restore(ctx: Ctx, inp: Input) -> Plan:
    """Lever ``restore_record``: publish the record again; it resolves after ``restore`` s."""
    assert isinstance(inp, RestoreRecord)
    rec = _record(ctx, inp.record)
    if not _state(ctx).broken.get(rec.name):
        raise NotAllowed(f"record {rec.name} resolves; there is nothing to restore")

    def plan(seq: int) -> None:
        ctx.effect(seq, rec.name, "record restore started", ready_in_s=rec.restore)

        def done() -> None:
            keys = _state(ctx).broken.pop(rec.name, [])
            for key in keys:
                ctx.fault_ended(key)
            ctx.effect(seq, rec.name, "record restored; callers re-resolve as caches expire")

        ctx.later(rec.restore, done)

    return plan


def dns_answer(ctx: Ctx, name: str) -> str | None:
    """What a lookup of ``name`` returns now (``dig``), or None if it is no record."""
    rec = next((r for r in ctx.scenario.topology.discovery if r.name == name), None)
    if rec is None:
        return None
    host = rec.hostname or rec.name
    fault = _fault(_state(ctx), name)
    if fault is None:
        return f"{host}: NOERROR, A records present (ttl {rec.ttl:g}s)"
    if fault.answer == "servfail":
        return f"{host}: SERVFAIL (resolver failed)"
    if fault.answer == "nxdomain":
        return f"{host}: NXDOMAIN (negative ttl {rec.negative_ttl:g}s)"
    return f"{host}: NOERROR, 0 answers (empty record; negative ttl {rec.negative_ttl:g}s)"


def _told(fault: DnsFault) -> str:
    what = {
        "empty": "its DNS record went empty",
        "nxdomain": "its DNS record was deleted",
        "servfail": "the resolver failed",
    }[fault.answer]
    return f"Lookups of {fault.record} began to fail: {what}"


MECHANIC = Mechanic(
    name="discovery",
    faults={"dns_failure": break_record},
    ends={"dns_failure": fix_record},
    levers={"restore_record": restore},
    says={"restore_record": lambda d: f"restored the DNS record of {d.get('record')}"},
    tells={"dns_failure": _told},
    start=start,
)
