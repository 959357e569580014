"""Config pushes: a new config version spreads globally or stage by stage.

A config is loaded by every pod of its services from the config store, so a
bad version is a cause the fleet shares (``ServiceState.shared``): restarted
pods, pods of an older code version and pods added by a scale-out load the
same config. A push that crashes the binary takes the pods that loaded it out
of rotation (they crash-loop, and ``restarts`` climbs); one that breaks it
fails or slows their requests.

A staged push (``stages``: regions, or cumulative percentages of each fleet's
pods) reaches one more stage every ``stage_every`` seconds; ``halt_config_push``
stops the spread once the halt reaches the config system, leaving the stages
already reached broken. ``rollback_config`` (the red button) restores the last
good version on every pod after the config's ``propagation``; pods that were
crash-looping then start again, all at once, and come up after their
``restart`` time (cold: see ``engine.mechanics.herds``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import NotAllowed
from ..inputs import HaltConfigPush, Input, RollbackConfig
from ..world.service import Shared
from .base import Ctx, Mechanic, Plan, own_state
from .pods import bring_up

if TYPE_CHECKING:
    from ..scenario import Config, ConfigRolloutFault

CRASH_LOOP_S = 40.0  # a crash-looping pod restarts about this often (back-off included)


@dataclass(slots=True)
class Rollout:
    """One push of a config version under way (or finished, or halted)."""

    fault: ConfigRolloutFault
    reached: int = 0  # stages applied so far (a global push has one)
    halted: bool = False
    keys: list[tuple[str, str]] = field(default_factory=list)  # (service, shared key)


@dataclass(slots=True)
class Configs:
    """The config mechanic's state on a drill: pushes by fault key."""

    rollouts: dict[str, Rollout] = field(default_factory=dict)


def _state(ctx: Ctx) -> Configs:
    return own_state(ctx, "configs", Configs)


def _config(ctx: Ctx, name: str) -> Config:
    return ctx.need("config", name, {c.name: c for c in ctx.scenario.topology.configs})


def _stage_entries(cfg: Config, fault: ConfigRolloutFault, ctx: Ctx, k: int) -> dict[str, Shared]:
    """What stage ``k`` adds, per service: one shared cause each (or none)."""
    log = fault.log or (
        f"FATAL config {cfg.name}@{fault.version}: panic while loading; exiting"
        if fault.crash
        else f"ERROR config {cfg.name}@{fault.version}: rule evaluation failed"
    )
    out: dict[str, Shared] = {}
    for name in cfg.services:
        svc = ctx.world.services[name]
        region: str | None = None
        cohort: int | None = None
        if fault.stages:
            stage = fault.stages[k]
            if isinstance(stage, str):
                if stage not in svc.regions:
                    continue
                region = stage
            elif stage < 100.0:
                cohort = math.ceil(len(svc.pods) * stage / 100.0)
        out[name] = Shared(
            fault.error_pct, fault.latency_ms, log, None, region, cohort, fault.crash
        )
    return out


def _apply_stage(ctx: Ctx, key: str, k: int) -> None:
    """Stage ``k`` of the push ``key`` reaches its pods (unless halted or rolled back)."""
    push = _state(ctx).rollouts.get(key)
    if push is None or push.halted:
        return
    fault = push.fault
    cfg = _config(ctx, fault.config)
    for name, shared in _stage_entries(cfg, fault, ctx, k).items():
        svc = ctx.world.services[name]
        skey = f"{key}#{k}"
        # A later percentage stage supersedes the earlier cohort of the same service.
        for old in [s for s in push.keys if s[0] == name and shared.region is None]:
            svc.shared.pop(old[1], None)
            push.keys.remove(old)
        svc.shared[skey] = shared
        svc.invalidate()
        push.keys.append((name, skey))
    push.reached = k + 1
    if fault.stages:
        stage = fault.stages[k]
        where = stage if isinstance(stage, str) else f"{stage:g}% of pods"
        ctx.state(cfg.name, "config push stage reached", stage=where, version=fault.version)
    if k + 1 < len(fault.stages):
        ctx.later(fault.stage_every, lambda: _apply_stage(ctx, key, k + 1))


def _crash_loop(ctx: Ctx, key: str) -> None:
    """Crash-looping pods restart every CRASH_LOOP_S while the push is on them."""
    push = _state(ctx).rollouts.get(key)
    if push is None:
        return
    for name in dict.fromkeys(s for s, _ in push.keys):
        svc = ctx.world.services[name]
        for pod in svc.pods:
            if pod.serving and svc.crashed(pod):
                pod.restarts += 1
    ctx.later(CRASH_LOOP_S, lambda: _crash_loop(ctx, key))


def push(ctx: Ctx, fault: ConfigRolloutFault, key: str) -> dict[str, Any]:
    """The push begins: its first stage (or every pod) loads the new version now."""
    cfg = _config(ctx, fault.config)
    _state(ctx).rollouts[key] = Rollout(fault)
    ctx.changes.append(
        {
            "id": fault.id or f"config-{cfg.name}-{fault.version}",
            "kind": "config",
            "at": round(ctx.now, 3),
            "service": cfg.services[0],
            "summary": f"config {cfg.name} -> {fault.version}"
            + (f" (staged: {', '.join(f'{s}' for s in fault.stages)})" if fault.stages else ""),
            "version": fault.version,
            "has_migration": False,
            "by": "config pipeline",
        }
    )
    _apply_stage(ctx, key, 0)
    if fault.crash:
        ctx.later(CRASH_LOOP_S, lambda: _crash_loop(ctx, key))
    return {"config": cfg.name, "version": fault.version, "stages": len(fault.stages) or 1}


def _revert(ctx: Ctx, key: str) -> list[str]:
    """Every pod loads the last good version; crash-looping pods start again."""
    push = _state(ctx).rollouts.pop(key)
    services: list[str] = []
    for name, skey in push.keys:
        svc = ctx.world.services[name]
        crashed = [p for p in svc.pods if p.serving and svc.crashed(p)]
        svc.shared.pop(skey, None)
        svc.invalidate()
        for pod in crashed:
            if svc.crashed(pod):
                continue
            pod.state = "starting"
            bring_up(ctx, svc, pod.name, svc.spec.restart)
        if name not in services:
            services.append(name)
    return services


def end(ctx: Ctx, fault: ConfigRolloutFault, key: str) -> None:
    """The push is reverted by what started it (``until``): as a rollback, at once."""
    if key in _state(ctx).rollouts:
        _revert(ctx, key)


def _pushes(ctx: Ctx, name: str) -> list[str]:
    return [k for k, r in _state(ctx).rollouts.items() if r.fault.config == name]


def rollback(ctx: Ctx, inp: Input) -> Plan:
    """Lever ``rollback_config``: the red button, every pod back on the last good version."""
    assert isinstance(inp, RollbackConfig)
    cfg = _config(ctx, inp.config)
    if not _pushes(ctx, cfg.name):
        raise NotAllowed(f"config {cfg.name} has no push to roll back")

    def plan(seq: int) -> None:
        ctx.effect(seq, cfg.name, "config rollback started", ready_in_s=cfg.propagation)
        for key in _pushes(ctx, cfg.name):
            _state(ctx).rollouts[key].halted = True

        def done() -> None:
            keys = _pushes(ctx, cfg.name)
            services: list[str] = []
            for key in keys:
                services += [s for s in _revert(ctx, key) if s not in services]
                ctx.fault_ended(key)
            ctx.effect(seq, cfg.name, "config rolled back", services=services)

        ctx.later(cfg.propagation, done)

    return plan


def halt(ctx: Ctx, inp: Input) -> Plan:
    """Lever ``halt_config_push``: no further stage is pushed; reached stages stay."""
    assert isinstance(inp, HaltConfigPush)
    cfg = _config(ctx, inp.config)
    live = [k for k in _pushes(ctx, cfg.name) if not _state(ctx).rollouts[k].halted]
    if not live:
        raise NotAllowed(f"config {cfg.name} has no push under way to halt")

    def plan(seq: int) -> None:
        def apply() -> None:
            for key in live:
                push = _state(ctx).rollouts.get(key)
                if push is not None and not push.halted:
                    push.halted = True
            ctx.effect(seq, cfg.name, "config push halted")

        ctx.later(HALT_S, apply)

    return plan


HALT_S = 5.0  # the halt button reaches the config system


def _told(fault: ConfigRolloutFault) -> str:
    how = "staged over " + ", ".join(f"{s:g}%" if isinstance(s, float) else s for s in fault.stages)
    what = "crashing the binary" if fault.crash else "breaking requests"
    return (
        f"Config {fault.config} {fault.version} was pushed "
        f"({how if fault.stages else 'globally'}), {what}"
    )


MECHANIC = Mechanic(
    name="configs",
    faults={"config_rollout": push},
    ends={"config_rollout": end},
    levers={"rollback_config": rollback, "halt_config_push": halt},
    says={
        "rollback_config": lambda d: f"rolled back config {d.get('config')}",
        "halt_config_push": lambda d: f"halted the push of config {d.get('config')}",
    },
    tells={"config_rollout": _told},
)
