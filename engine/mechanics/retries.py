"""Retry policies, changeable at run time.

A call's retries multiply the load its callee sees by ``1 + f + f^2 ...``
(``f``: the share of attempts that fail), capped by the retry budget. Against
a callee with a capacity this is a feedback loop: a brief failure fills its
queue, the queue's wait times calls out, the timeouts are retried, and the
retried load keeps the queue full after the failure is over. Turning retries
down (``set_retries``) or shedding load lets the queue drain.

Retries without jitter (``jitter: false``: every client waits exactly the
backoff) keep the clock of the failure that started them: after a blip the
retries of every client arrive together, one wave per retry round (an attempt
plus the backoff). A wave larger than what the callee serves within a
caller's timeout times out in part, and so does everything arriving while it
drains; those calls fail together and come back together in the next wave.
So waves keep re-saturating a recovering callee whose mean load fits
(``DependencyState._wave``). Jitter spreads the same retries over the round:
the waves go, the herd subsides. More retries make each wave bigger.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import InvalidInput
from ..inputs import Input, SetRetries
from .base import Ctx, Mechanic, Plan, need_caller

PUSH_S = 30.0  # a client config change reaches every pod of the caller


def set_retries(ctx: Ctx, inp: Input) -> Plan:
    """Lever ``set_retries``: the caller's calls to one dependency retry this often,
    with or without jitter (an omitted parameter stays as it is)."""
    assert isinstance(inp, SetRetries)
    dep = inp.dependency
    svc = need_caller(ctx, inp.service, dep)
    retries, jitter = inp.retries, inp.jitter
    if retries is None and jitter is None:
        raise InvalidInput("set_retries: give `retries`, `jitter` or both")
    changed: dict[str, Any] = {} if retries is None else {"retries": retries}
    if jitter is not None:
        changed["jitter"] = jitter

    def plan(seq: int) -> None:
        def apply() -> None:
            svc.set_retries(dep, retries, jitter)
            ctx.effect(seq, svc.name, "retry policy changed", dependency=dep, **changed)

        ctx.later(PUSH_S, apply)

    return plan


def _says(d: Mapping[str, Any]) -> str:
    """'set api's retries of ledger to 0', '... and turned jitter on', 'turned jitter on for'."""
    whose = f"{d.get('service')}'s retries of {d.get('dependency')}"
    jitter = d.get("jitter")
    turned = f"turned jitter {'on' if jitter else 'off'}"
    if d.get("retries") is None:
        return f"{turned} for {whose}"
    said = f"set {whose} to {d.get('retries')}"
    return said if jitter is None else f"{said} and {turned}"


MECHANIC = Mechanic(
    name="retries", levers={"set_retries": set_retries}, says={"set_retries": _says}
)
