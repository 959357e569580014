"""An autoscaler with a feedback loop: it sizes a fleet to a utilisation target.

Every ``every`` seconds it reads the fleet's mean CPU or busy workers
(``metric``) over its serving pods and asks for
``ceil(serving x value / target_pct)`` pods (the Kubernetes HPA rule, with its
10% tolerance), within ``min_pods`` and its cap. Pods it adds serve after the
service's ``scale_up`` and come up cold (``engine.mechanics.herds``); it
scales in only after wanting fewer pods for ``scale_in_after``.

That is a feedback loop and it can make things worse: when a dependency slows
down, requests hold workers longer, busy workers climb, and a concurrency
autoscaler adds pods, whose cold starts add load on the very dependency that
is slow, which slows it further. Pausing it (``pause_autoscaler``) or capping
it (``cap_autoscaler``) breaks the loop. It also overrides manual scaling, as a
real HPA does: pods below what it asks for are added back at its next
evaluation, pods above it are removed after ``scale_in_after``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import NotAllowed
from ..inputs import CapAutoscaler, Input, PauseAutoscaler
from .base import Ctx, Mechanic, Plan, own_state
from .pods import add_pods

if TYPE_CHECKING:
    from ..world.service import ServiceState

APPLY_S = 10.0  # a change to the autoscaler object reaches its controller
TOLERANCE = 0.1  # no change while the value is within 10% of the target (as the HPA)


@dataclass(slots=True)
class Scaler:
    """One service's autoscaler as the drill runs it."""

    cap: int
    paused: bool = False
    low_since: float | None = None  # since when it has wanted fewer pods


@dataclass(slots=True)
class Autoscalers:
    scalers: dict[str, Scaler] = field(default_factory=dict)


def _state(ctx: Ctx) -> Autoscalers:
    return own_state(ctx, "autoscaler", Autoscalers)


def start(ctx: Ctx) -> None:
    """Start the control loop of every service that declares an autoscaler."""
    for svc in ctx.world.services.values():
        hpa = svc.spec.autoscaler
        if hpa is None:
            continue
        cap = hpa.max_pods if hpa.max_pods is not None else svc.spec.max_pods
        _state(ctx).scalers[svc.name] = Scaler(cap)
        ctx.later(hpa.every, _loop(ctx, svc))


def _loop(ctx: Ctx, svc: ServiceState) -> Callable[[], None]:
    def run() -> None:
        _evaluate(ctx, svc)
        assert svc.spec.autoscaler is not None
        ctx.later(svc.spec.autoscaler.every, run)

    return run


def _evaluate(ctx: Ctx, svc: ServiceState) -> None:
    """One evaluation: read the metric, ask for pods, scale out or (later) in."""
    hpa = svc.spec.autoscaler
    assert hpa is not None
    scaler = _state(ctx).scalers[svc.name]
    if scaler.paused:
        return
    serving = svc.served_by  # the pods behind the metric it reads (the last tick's)
    if serving == 0:
        return  # no pod reports a metric: the autoscaler holds
    metric = "cpu_pct" if hpa.metric == "cpu" else "worker_busy_pct"
    value = ctx.world.metric(f"{svc.name}.{metric}")
    ratio = value / hpa.target_pct
    current = len(svc.pods)
    desired = current if abs(ratio - 1.0) <= TOLERANCE else math.ceil(serving * ratio)
    desired = max(hpa.min_pods, min(scaler.cap, desired))
    if desired > current:
        scaler.low_since = None
        add_pods(ctx, svc, desired - current)
        ctx.state(
            svc.name, "autoscaler scaled out", pods=desired, metric=metric, value=round(value, 1)
        )
    elif desired < current:
        if scaler.low_since is None:
            scaler.low_since = ctx.now
        if ctx.now - scaler.low_since >= hpa.scale_in_after:
            scaler.low_since = None
            svc.remove_pods(desired)
            ctx.state(
                svc.name, "autoscaler scaled in", pods=desired, metric=metric, value=round(value, 1)
            )
    else:
        scaler.low_since = None


def _scaler(ctx: Ctx, service: str) -> tuple[ServiceState, Scaler]:
    svc = ctx.need("service", service, ctx.world.services)
    found = _state(ctx).scalers.get(svc.name)
    if found is None:
        with_one = sorted(_state(ctx).scalers)
        raise NotAllowed(
            f"{svc.name} has no autoscaler (services with one: {', '.join(with_one) or 'none'})"
        )
    return svc, found


def pause(ctx: Ctx, inp: Input) -> Plan:
    """Lever ``pause_autoscaler``: it stops (or resumes) changing the fleet's size."""
    assert isinstance(inp, PauseAutoscaler)
    svc, scaler = _scaler(ctx, inp.service)

    def plan(seq: int) -> None:
        def apply() -> None:
            scaler.paused = inp.paused
            scaler.low_since = None
            what = "autoscaler paused" if inp.paused else "autoscaler resumed"
            ctx.effect(seq, svc.name, what, pods=len(svc.pods))

        ctx.later(APPLY_S, apply)

    return plan


def cap(ctx: Ctx, inp: Input) -> Plan:
    """Lever ``cap_autoscaler``: it asks for at most ``max_pods`` (existing pods stay)."""
    assert isinstance(inp, CapAutoscaler)
    svc, scaler = _scaler(ctx, inp.service)
    hpa = svc.spec.autoscaler
    assert hpa is not None
    if not hpa.min_pods <= inp.max_pods <= svc.spec.max_pods:
        raise NotAllowed(
            f"the cap of {svc.name}'s autoscaler must be {hpa.min_pods}..{svc.spec.max_pods} "
            f"(its min_pods to the service's quota) (got {inp.max_pods})"
        )

    def plan(seq: int) -> None:
        def apply() -> None:
            scaler.cap = inp.max_pods
            ctx.effect(seq, svc.name, "autoscaler capped", max_pods=inp.max_pods)

        ctx.later(APPLY_S, apply)

    return plan


MECHANIC = Mechanic(
    name="autoscaler",
    levers={"pause_autoscaler": pause, "cap_autoscaler": cap},
    says={
        "pause_autoscaler": lambda d: (
            ("paused" if d.get("paused", True) else "resumed")
            + f" the autoscaler of {d.get('service')}"
        ),
        "cap_autoscaler": lambda d: (
            f"capped the autoscaler of {d.get('service')} at {d.get('max_pods')} pods"
        ),
    },
    start=start,
)
