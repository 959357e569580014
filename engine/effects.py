"""What mitigations and faults do to the world, with realistic delays.

Each ``mitigate_*`` handler validates against the current drill *first* and
only then returns a plan; the drill logs the input and runs the plan. So a
refused input changes nothing. Delays are SimPy timeouts: a rollback rolls
pod by pod over minutes, a flag flip propagates in seconds, a consumer
joining a group triggers a stop-the-world rebalance.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from functools import partial
from typing import TYPE_CHECKING, Any

from . import inputs as I
from . import mechanics
from .errors import NotAllowed
from .scenario import (
    BlockerFault,
    DependencyFault,
    Fault,
    FlagFault,
    Migration,
    PodFault,
    PoisonFault,
    ReleaseFault,
    ToolOutageFault,
)
from .world.service import Shared

if TYPE_CHECKING:
    from .handle import DrillHandle
    from .world.service import ServiceState

Plan = Callable[[int], None]
DRAIN_S = 15.0
BREAKER_S = 5.0
THROTTLE_S = 15.0
SHED_S = 10.0
KILL_S = 10.0
SKIP_S = 60.0


# ------------------------------------------------------------- rollouts
def roll(
    drill: DrillHandle,
    svc: ServiceState,
    version: str,
    duration: float,
    why: str,
    for_seq: int | None,
    migration: Migration | None = None,
    change_id: str | None = None,
) -> None:
    """Roll ``version`` over the fleet pod by pod; each pod restarts on the way."""
    svc_name = svc.name
    svc.rolling = True
    svc.roll_gen += 1
    gen = svc.roll_gen  # a newer roll (e.g. a rollback mid-deploy) supersedes this one
    per_pod = duration / max(1, len(svc.pods))
    restart = min(svc.spec.restart, per_pod)

    def run() -> Generator[Any, Any, None]:
        drill.state(svc_name, f"{why} started", version=version, **_for(for_seq))
        for pod in list(svc.pods):
            if pod.state in ("drained", "starting"):
                pod.version = version
                continue
            if gen != svc.roll_gen:
                return
            pod.state = "restarting"
            yield drill.env.timeout(restart)
            if gen != svc.roll_gen:
                pod.state = "running"
                return
            pod.version = version
            pod.restarts += 1
            if pod.fault is not None and pod.fault.fixed_by_restart:
                pod.fault = None
            pod.state = "running"
            if per_pod > restart:
                yield drill.env.timeout(per_pod - restart)
        if migration is not None:
            # A post-deploy (contract) migration: it runs once every pod is new.
            svc.migration = (svc.version_order.index(version), migration)
            svc.invalidate()
            drill.migrations.setdefault(svc_name, []).append(
                (change_id or version, version, migration)
            )
            drill.state(svc_name, "migration applied", migration=migration.id)
        svc.current_version = version
        svc.rolling = False
        drill.state(svc_name, f"{why} complete", version=version, **_for(for_seq))

    drill.env.process(run())


def _for(seq: int | None) -> dict[str, Any]:
    """Events caused by an input cite it as ``for``, like effect events do."""
    return {} if seq is None else {"for": seq}


def previous_version(svc: ServiceState) -> str | None:
    if len(svc.history) >= 2:
        return svc.history[-2]
    i = svc.version_order.index(svc.current_version)
    return svc.version_order[i - 1] if i > 0 else None


# ----------------------------------------------------------------- faults
def apply_fault(
    drill: DrillHandle,
    fault: Any,
    key: str,
    pod_index: int | None = None,
    service: str | None = None,
) -> None:
    """Start a scenario fault now (called by its timer or its cause).

    ``key`` identifies this fault line (its id, else ``faults[i]``); a fault on
    every pod is started once per pod, each with its ``pod_index``, and a pod
    fault on several services once per ``service`` (and pod).
    """
    w = drill.world
    data: dict[str, Any] = {"fault": fault.id or fault.kind, "kind": fault.kind}
    drill.active_faults[key] = fault
    start = mechanics.FAULTS.get(fault.kind)
    if start is not None:
        data.update(start(drill, fault, key))
        if isinstance(fault, ToolOutageFault) and fault.recover_at is not None:
            drill.at(fault.recover_at, partial(end_fault, drill, fault, key))
    elif isinstance(fault, ReleaseFault):
        svc = w.services[fault.service]
        kind = "deploy" if fault.kind == "deploy" else "config"
        drill.changes.append(
            {
                "id": fault.id or f"{kind}-{fault.version}",
                "kind": kind,
                "at": round(drill.now, 3),
                "service": fault.service,
                "summary": fault.summary or f"{kind} {fault.version}",
                "version": fault.version,
                "has_migration": fault.migration is not None,
                "by": "deploy pipeline",
            }
        )
        svc.history.append(fault.version)
        roll(
            drill,
            svc,
            fault.version,
            svc.spec.rollout if kind == "deploy" else 30.0,
            kind,
            None,
            fault.migration,
            fault.id or f"{kind}-{fault.version}",
        )
    elif isinstance(fault, PodFault) and fault.shared_cause is not None:
        # A cause every pod shares lives on the fleet: new and restarted pods have it.
        svc = w.services[service or str(fault.service)]
        if fault.service is None:  # one line on several services: say which
            data["service"] = svc.name
        log = fault.log or f"ERROR {fault.reason}"
        svc.shared[key] = Shared(fault.error_pct, fault.latency_ms, log, None, fault.region)
        svc.invalidate()
        data["pods"] = "all"
        data["shared_cause"] = fault.shared_cause
    elif isinstance(fault, PodFault):
        svc = w.services[service or str(fault.service)]
        assert pod_index is not None
        if pod_index >= len(svc.pods):  # scaled in before its turn
            return
        svc.pods[pod_index].fault = fault
        svc.invalidate()
        if fault.service is None:
            data["service"] = svc.name
        data["pod"] = svc.pods[pod_index].name
    elif isinstance(fault, DependencyFault):
        dep = w.deps[fault.dependency]
        if fault.latency_ms is not None:
            dep.latency_ms = fault.latency_ms
        if fault.error_pct is not None:
            dep.error_pct = fault.error_pct
        dep.fault_log = fault.log
        if fault.recover_at is not None:
            drill.at(fault.recover_at, partial(end_fault, drill, fault, key))
    elif isinstance(fault, FlagFault):
        drill.changes.append(
            {
                "id": fault.id or f"flag-{fault.flag}",
                "kind": "flag",
                "at": round(drill.now, 3),
                "service": None,
                "summary": f"flag {fault.flag} set to {fault.enabled}"
                + (f" in {fault.region}" if fault.region else ""),
                "version": None,
                "has_migration": False,
                "by": "flag console",
            }
        )
        w.set_flag(fault.flag, fault.enabled, fault.region)
        where = {} if fault.region is None else {"region": fault.region}
        drill.state(fault.flag, "flag changed", enabled=fault.enabled, **where)
    elif isinstance(fault, PoisonFault):
        topic = w.topics[fault.topic]
        parts = sorted(
            drill.rng.sample(
                range(topic.spec.partitions), min(fault.partitions, topic.spec.partitions)
            )
        )
        for p in parts:
            topic.poison[p] = topic.poison.get(p, 0) + fault.count
        topic.next_crash = drill.now
        data["partitions"] = parts
    elif isinstance(fault, BlockerFault):
        _start_blocker(drill, fault)
    drill.state("fault", "fault started", vis="facilitator", **data)


def end_fault(drill: DrillHandle, fault: Fault, key: str) -> None:
    """End a running fault now: its cause went (``until``) or its time came."""
    if drill.active_faults.pop(key, None) is None:
        return  # not running (never started, or already ended)
    w = drill.world
    end = mechanics.ENDS.get(fault.kind)
    if end is not None:
        end(drill, fault, key)
    elif isinstance(fault, PodFault):
        for name in drill.scenario.services_hit(fault):
            svc = w.services[name]
            svc.shared.pop(key, None)
            for pod in svc.pods:
                if pod.fault is fault:
                    pod.fault = None
            svc.invalidate()
    elif isinstance(fault, DependencyFault):
        dep = w.deps[fault.dependency]
        dep.latency_ms = dep.spec.latency_ms
        dep.error_pct = dep.spec.error_pct
        dep.fault_log = None
        drill.state(dep.spec.name, "dependency recovered", vis="facilitator")
    elif isinstance(fault, BlockerFault):
        db = w.dbs[fault.database]
        if db.blocker is fault:
            db.blocker = None
    drill.fault_ended(key)


def _start_blocker(drill: DrillHandle, fault: BlockerFault) -> None:
    db = drill.world.dbs[fault.database]
    db.blocker = fault
    drill.blocker_pids[fault.database] = 4000 + drill.rng.randrange(1000, 9000)


def _clear_blocker(drill: DrillHandle, name: str) -> None:
    db = drill.world.dbs[name]
    fault = db.blocker
    db.blocker = None
    if fault is None or fault.recurs_after is None:
        return

    def recur() -> None:
        if fault.stopped_by_flag is not None and not drill.world.flag_on(fault.stopped_by_flag):
            return
        _start_blocker(drill, fault)
        drill.state(name, "blocking transaction returned (retried request)", vis="facilitator")

    drill.at(drill.now + fault.recurs_after, recur)


# ------------------------------------------------------------ mitigations
def mitigate(drill: DrillHandle, inp: I.Input) -> Plan | mechanics.Held:
    """Validate a mitigation against the drill now and return its plan (run with its seq).

    Levers owned by a mechanic (``engine.mechanics``) are dispatched to it; the
    built-in levers follow. Then every mechanic's gate may refuse the valid
    lever or hold it back (a deploy while the deploy system is down). Raises
    NotAllowed / InvalidInput, changing nothing.
    """
    plan = _plan(drill, inp)
    for gate in mechanics.GATES:
        held = gate(drill, inp, plan)
        if held is not None:
            return held
    return plan


def _plan(drill: DrillHandle, inp: I.Input) -> Plan:
    lever = mechanics.LEVERS.get(inp.type)
    if lever is not None:
        return lever(drill, inp)
    w = drill.world
    if isinstance(inp, I.Rollback):
        svc = drill.need_service(inp.service)
        target = previous_version(svc)
        if target is None:
            raise NotAllowed(f"{svc.name} has no earlier version to roll back to")

        def plan(seq: int) -> None:
            if len(svc.history) >= 2:
                svc.history.pop()
            else:
                svc.history[-1] = target
            roll(drill, svc, target, svc.spec.rollback, "rollback", seq)

        return plan
    if isinstance(inp, I.ForwardFix):
        svc = drill.need_service(inp.service)

        def plan(seq: int) -> None:
            version = svc.spec.fix_version or svc.current_version

            def ship() -> None:
                if version != svc.current_version:
                    svc.history.append(version)
                roll(drill, svc, version, svc.spec.rollout, "forward fix", seq)

            drill.at(drill.now + svc.spec.fix_time, ship)
            drill.effect(seq, svc.name, "fix in progress", ready_in_s=svc.spec.fix_time)

        return plan
    if isinstance(inp, I.DrainPod):
        svc = drill.need_service(inp.service)
        pod = svc.pod(inp.pod)
        if pod is None:
            raise drill.unknown("pod", inp.pod, [p.name for p in svc.pods])
        draining = inp.type == "drain_pod"

        def plan(seq: int) -> None:
            if draining:
                pod.state = "draining"
                drill.later(DRAIN_S, lambda: _set_pod(drill, seq, svc, pod.name, "drained"))
            else:
                drill.later(DRAIN_S, lambda: _set_pod(drill, seq, svc, pod.name, "running"))

        return plan
    if isinstance(inp, I.Scale):
        svc = drill.need_service(inp.service)
        if inp.region is not None:
            return _scale_region(drill, svc, inp.region, inp.pods)
        if inp.pods > svc.spec.max_pods:
            raise NotAllowed(f"{svc.name} can have at most {svc.spec.max_pods} pods (quota)")

        def plan(seq: int) -> None:
            n = len(svc.pods)
            if inp.pods < n:
                svc.remove_pods(inp.pods)
                drill.effect(seq, svc.name, "scaled in", pods=inp.pods)
            for _ in range(inp.pods - n):
                pod = svc.add_pod(svc.current_version, state="starting")
                drill.later(
                    svc.spec.scale_up, partial(_set_pod, drill, seq, svc, pod.name, "running")
                )

        return plan
    if isinstance(inp, I.ScaleConsumers):
        topic = drill.need("topic", inp.topic, w.topics)

        def plan(seq: int) -> None:
            g = topic.spec.group
            delta = inp.consumers - topic.target_consumers
            topic.target_consumers = inp.consumers
            if delta < 0:
                topic.consumers = max(0, topic.consumers + delta)
                topic.rebalance(drill.now)
                drill.effect(
                    seq, topic.spec.name, "consumers left; rebalancing", consumers=topic.consumers
                )
            for i in range(delta):

                def join() -> None:
                    topic.consumers += 1
                    topic.rebalance(drill.now)
                    drill.effect(
                        seq,
                        topic.spec.name,
                        "consumer joined; group rebalancing",
                        consumers=topic.consumers,
                    )

                drill.later(g.join * (i + 1), join)

        return plan
    if isinstance(inp, I.SetFlag):
        flag = drill.need("flag", inp.flag, {f.name: f for f in drill.scenario.topology.flags})
        region = inp.region
        if region is not None:
            drill.need("region", region, {r.name: r for r in drill.scenario.traffic.regions})
        where = {} if region is None else {"region": region}

        def plan(seq: int) -> None:
            def flip() -> None:
                w.set_flag(flag.name, inp.enabled, region)
                drill.effect(seq, flag.name, "flag propagated", enabled=inp.enabled, **where)

            drill.later(flag.propagation, flip)

        return plan
    if isinstance(inp, I.SetBreaker):
        dep = drill.need("dependency", inp.dependency, w.deps)

        def plan(seq: int) -> None:
            def flip() -> None:
                dep.breaker_open = inp.state == "open"
                drill.effect(seq, dep.spec.name, f"circuit breaker {inp.state}")

            drill.later(BREAKER_S, flip)

        return plan
    if isinstance(inp, I.ThrottleProducer):
        topic = drill.need("topic", inp.topic, w.topics)

        def plan(seq: int) -> None:
            def apply() -> None:
                topic.throttle_pct = inp.allow_pct
                drill.effect(
                    seq, topic.spec.name, "producer throttle applied", allow_pct=inp.allow_pct
                )

            drill.later(THROTTLE_S, apply)

        return plan
    if isinstance(inp, I.SkipPoison):
        topic = drill.need("topic", inp.topic, w.topics)

        def plan(seq: int) -> None:
            def apply() -> None:
                moved = sum(topic.poison.values())
                topic.poison.clear()
                topic.dlq += moved
                if moved:
                    topic.rebalance(drill.now)
                drill.effect(
                    seq,
                    topic.spec.name,
                    "offsets advanced past poison messages",
                    moved_to_dlq=moved,
                )

            drill.later(SKIP_S, apply)

        return plan
    if isinstance(inp, I.Restart):
        return _restart(drill, inp)
    if isinstance(inp, I.Failover):
        db = drill.need("database", inp.database, w.dbs)

        def plan(seq: int) -> None:
            db.down_until = drill.now + db.spec.failover
            if db.blocker is not None:
                _clear_blocker(drill, db.spec.name)
            drill.effect(seq, db.spec.name, "failover started", down_for_s=db.spec.failover)

        return plan
    if isinstance(inp, I.ShedLoad):
        svc = drill.need_service(inp.service)

        def plan(seq: int) -> None:
            def apply() -> None:
                svc.shed_pct = inp.pct
                drill.effect(seq, svc.name, "load shedding set", pct=inp.pct)

            drill.later(SHED_S, apply)

        return plan
    if isinstance(inp, I.KillQuery):
        db = drill.need("database", inp.database, w.dbs)

        def plan(seq: int) -> None:
            def apply() -> None:
                if db.blocker is None:
                    drill.effect(seq, db.spec.name, "no long-running transaction found")
                    return
                pid = drill.blocker_pids.get(db.spec.name)
                _clear_blocker(drill, db.spec.name)
                drill.effect(seq, db.spec.name, "blocking transaction cancelled", pid=pid)

            drill.later(KILL_S, apply)

        return plan
    raise AssertionError(f"not a mitigation: {inp.type}")  # pragma: no cover


def _scale_region(drill: DrillHandle, svc: ServiceState, region: str, pods: int) -> Plan:
    """``scale`` with a region: that region gets ``pods`` pods; the others keep theirs.

    New pods land in the region, so they serve only its share of the traffic.
    """
    drill.need("region", region, dict.fromkeys(svc.spec.regions))
    total = len(svc.pods) - svc.region_pods(region) + pods
    if total > svc.spec.max_pods:
        raise NotAllowed(
            f"{svc.name} can have at most {svc.spec.max_pods} pods (quota; "
            f"{pods} in {region} makes {total})"
        )

    def plan(seq: int) -> None:
        n = svc.region_pods(region)
        if pods < n:
            svc.remove_region_pods(region, pods)
            drill.effect(seq, svc.name, "scaled in", pods=pods, region=region)
        for _ in range(pods - n):
            pod = svc.add_pod(svc.current_version, state="starting", region=region)
            drill.later(svc.spec.scale_up, partial(_set_pod, drill, seq, svc, pod.name, "running"))

    return plan


def _set_pod(drill: DrillHandle, seq: int, svc: ServiceState, name: str, state: str) -> None:
    pod = svc.pod(name)
    if pod is None:  # scaled in meanwhile
        return
    pod.state = state
    drill.effect(seq, svc.name, f"pod {state}", pod=name)


def _restart(drill: DrillHandle, inp: I.Restart) -> Plan:
    w = drill.world
    if inp.target in w.services:
        svc = w.services[inp.target]

        def plan(seq: int) -> None:
            pods = [p for p in svc.pods if p.state in ("running", "draining")]
            restart = svc.spec.restart

            def one(pod_name: str) -> None:
                pod = svc.pod(pod_name)
                if pod is None:
                    return
                pod.restarts += 1
                if pod.fault is not None and pod.fault.fixed_by_restart:
                    pod.fault = None
                    svc.invalidate()
                pod.state = "running"

            for i, pod in enumerate(pods):
                start = 0.0 if inp.mode == "all" else i * restart

                def down(p: str = pod.name) -> None:
                    q = svc.pod(p)
                    if q is not None:
                        q.state = "restarting"

                drill.later(start, down) if start else down()
                drill.later(start + restart, partial(one, pod.name))
            drill.later(
                restart * (1 if inp.mode == "all" else len(pods)),
                lambda: drill.effect(seq, svc.name, "restart complete", mode=inp.mode),
            )

        return plan
    if inp.target in w.dbs:
        db = w.dbs[inp.target]

        def plan(seq: int) -> None:
            db.down_until = drill.now + db.spec.restart
            drill.effect(
                seq,
                db.spec.name,
                "pool restarted; clients reconnecting",
                down_for_s=db.spec.restart,
            )

        return plan
    if inp.target in w.topics:
        topic = w.topics[inp.target]

        def plan(seq: int) -> None:
            topic.rebalance(drill.now)
            drill.effect(seq, topic.spec.name, "consumer group restarted; rebalancing")

        return plan
    valid = [*w.services, *w.dbs, *w.topics]
    raise drill.unknown("restart target", inp.target, valid)
