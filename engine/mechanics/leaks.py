"""Resource exhaustion: a fleet's pods leak memory, file descriptors or disk.

Each pod of the service fills the resource over ``fill`` seconds while it
leaks (its version is the leaking one, the flag is on). A full pod:

- memory: is OOM-killed and restarted (a crash loop: it comes back empty and
  fills again ``fill`` seconds later);
- fds: fails every request ("too many open files") until it is restarted;
- disk: fails every request ("no space left on device"); a restart does not
  free a disk, only ``free_resource`` does.

A restart only buys time (memory and descriptors start empty and fill
again); ``raise_limit`` buys more time per fill; removing the cause (a
rollback to a version without the leak, the flag off) ends it. The fullest
pod's usage is the ``<service>.<resource>_used_pct`` metric.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import NotAllowed
from ..inputs import FreeResource, Input, RaiseLimit
from ..scenario import PodFault
from .base import Ctx, Mechanic, Plan, own_state

if TYPE_CHECKING:
    from ..scenario import LeakFault
    from ..world.service import Pod, ServiceState

POLL_S = 5.0  # usage is sampled this often (a node exporter's scrape)
FREE_S = 60.0  # deleting old logs and temp files on every pod
RAISE_S = 60.0  # a new limit or a bigger volume reaches every pod
WHY = {
    "fds": ("too many open files", "ERROR accept4: too many open files (EMFILE)"),
    "disk": ("disk full", "ERROR write /var/log/app/app.log: no space left on device"),
}


@dataclass(slots=True)
class Leak:
    """One leak under way: per pod, the share of the resource used."""

    fault: LeakFault
    used: dict[str, float] = field(default_factory=dict)
    restarts: dict[str, int] = field(default_factory=dict)
    limit: float = 1.0  # multiple of the original capacity (raise_limit)
    full: dict[str, PodFault] = field(default_factory=dict)  # pods failing on it


@dataclass(slots=True)
class Leaks:
    leaks: dict[str, Leak] = field(default_factory=dict)


def _state(ctx: Ctx) -> Leaks:
    return own_state(ctx, "leaks", Leaks)


def start(ctx: Ctx, fault: LeakFault, key: str) -> dict[str, Any]:
    """The leak begins: every pod starts filling from now."""
    _state(ctx).leaks[key] = Leak(fault)
    ctx.later(POLL_S, lambda: _poll(ctx, key))
    return {"service": fault.service, "resource": fault.resource}


def _leaking(ctx: Ctx, fault: LeakFault, pod: Pod) -> bool:
    if fault.flag is not None and not ctx.world.flag_on(fault.flag):
        return False
    return fault.version is None or pod.version == fault.version


def _poll(ctx: Ctx, key: str) -> None:
    leak = _state(ctx).leaks.get(key)
    if leak is None:
        return
    fault = leak.fault
    svc = ctx.world.services[fault.service]
    step = POLL_S / (fault.fill * leak.limit)
    for pod in svc.pods:
        used = leak.used.get(pod.name, 0.0)
        if leak.restarts.get(pod.name, pod.restarts) != pod.restarts and fault.resource != "disk":
            used = 0.0  # a restarted process starts with no memory and no descriptors
            leak.full.pop(pod.name, None)
        leak.restarts[pod.name] = pod.restarts
        if pod.serving and _leaking(ctx, fault, pod):
            used = min(1.0, used + step)
        leak.used[pod.name] = used
        if used >= 1.0 and pod.serving and pod.name not in leak.full:
            _exhaust(ctx, leak, svc, pod)
    top = max(leak.used.get(p.name, 0.0) for p in svc.pods) if svc.pods else 0.0
    ctx.world.gauges[f"{svc.name}.{fault.resource}_used_pct"] = round(100.0 * top, 3)
    ctx.later(POLL_S, lambda: _poll(ctx, key))


def _exhaust(ctx: Ctx, leak: Leak, svc: ServiceState, pod: Pod) -> None:
    """A pod's resource is full: OOM-killed (memory) or failing every request."""
    fault = leak.fault
    if fault.resource == "memory":
        pod.restarts += 1
        leak.restarts[pod.name] = pod.restarts
        leak.used[pod.name] = 0.0
        pod.state = "restarting"
        ctx.state(svc.name, "pod OOMKilled", pod=pod.name)

        def back(name: str = pod.name) -> None:
            p = svc.pod(name)
            if p is not None and p.state == "restarting":
                p.state = "running"

        ctx.later(svc.spec.restart, back)
        return
    if pod.fault is not None:
        return
    reason, log = WHY[fault.resource]
    bad = PodFault.model_validate(
        {
            "kind": "pod_failure",
            "service": svc.name,
            "pod": pod.index,
            "reason": reason,
            "log": fault.log or log,
            "fixed_by_restart": fault.resource == "fds",  # a new process has no descriptors
        }
    )
    leak.full[pod.name] = bad
    pod.fault = bad
    svc.invalidate()
    ctx.state(svc.name, f"pod {reason}", pod=pod.name)


def end(ctx: Ctx, fault: LeakFault, key: str) -> None:
    """The leak's cause went (``until``): usage stops growing; full pods stay full."""
    _state(ctx).leaks.pop(key, None)


def _leaks_of(ctx: Ctx, service: str, resource: str) -> list[Leak]:
    svc = ctx.need("service", service, ctx.world.services)
    found = [
        leak
        for leak in _state(ctx).leaks.values()
        if leak.fault.service == svc.name and leak.fault.resource == resource
    ]
    if not found:
        raise NotAllowed(f"{svc.name} is not running out of {resource}")
    return found


def free(ctx: Ctx, inp: Input) -> Plan:
    """Lever ``free_resource``: delete old logs and temp files (disk only)."""
    assert isinstance(inp, FreeResource)
    if inp.resource != "disk":
        raise NotAllowed(
            f"{inp.resource} cannot be freed while the process runs: restart the pods, "
            "raise the limit or remove the leak's cause"
        )
    leaks = _leaks_of(ctx, inp.service, inp.resource)
    svc = ctx.world.services[inp.service]

    def plan(seq: int) -> None:
        def apply() -> None:
            for leak in leaks:
                for name in list(leak.used):
                    leak.used[name] = 0.0
                for name, bad in list(leak.full.items()):
                    pod = svc.pod(name)
                    if pod is not None and pod.fault is bad:
                        pod.fault = None
                    del leak.full[name]
            svc.invalidate()
            ctx.effect(seq, svc.name, "disk space freed")

        ctx.later(FREE_S, apply)

    return plan


def raise_limit(ctx: Ctx, inp: Input) -> Plan:
    """Lever ``raise_limit``: a bigger memory limit, ulimit or volume: slower to fill."""
    assert isinstance(inp, RaiseLimit)
    leaks = _leaks_of(ctx, inp.service, inp.resource)
    svc = ctx.world.services[inp.service]

    def plan(seq: int) -> None:
        def apply() -> None:
            for leak in leaks:
                leak.limit *= inp.factor
                for name in list(leak.used):
                    if name not in leak.full:  # a failing pod stays stuck until restarted
                        leak.used[name] /= inp.factor
            ctx.effect(seq, svc.name, "limit raised", resource=inp.resource, factor=inp.factor)

        ctx.later(RAISE_S, apply)

    return plan


MECHANIC = Mechanic(
    name="leaks",
    faults={"resource_leak": start},
    ends={"resource_leak": end},
    levers={"free_resource": free, "raise_limit": raise_limit},
    says={
        "free_resource": lambda d: f"freed {d.get('resource')} on {d.get('service')}",
        "raise_limit": lambda d: (
            f"raised the {d.get('resource')} limit of {d.get('service')} x{d.get('factor'):g}"
        ),
    },
    tells={
        "resource_leak": lambda f: f"The pods of {f.service} began leaking {f.resource}",
    },
)
