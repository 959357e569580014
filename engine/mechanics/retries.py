"""Retry policies, changeable at run time.

A call's retries multiply the load its callee sees by ``1 + f + f^2 ...``
(``f``: the share of attempts that fail), capped by the retry budget. Against
a callee with a capacity this is a feedback loop: a brief failure fills its
queue, the queue's wait times calls out, the timeouts are retried, and the
retried load keeps the queue full after the failure is over. Turning retries
down (``set_retries``) or shedding load lets the queue drain.
"""

from __future__ import annotations

from ..inputs import Input, SetRetries
from .base import Ctx, Mechanic, Plan, need_caller

PUSH_S = 30.0  # a client config change reaches every pod of the caller


def set_retries(ctx: Ctx, inp: Input) -> Plan:
    """Lever ``set_retries``: the caller's calls to one dependency retry this often."""
    assert isinstance(inp, SetRetries)
    dep = inp.dependency
    svc = need_caller(ctx, inp.service, dep)
    retries = inp.retries

    def plan(seq: int) -> None:
        def apply() -> None:
            svc.set_retries(dep, retries)
            ctx.effect(seq, svc.name, "retry policy changed", dependency=dep, retries=retries)

        ctx.later(PUSH_S, apply)

    return plan


MECHANIC = Mechanic(
    name="retries",
    levers={"set_retries": set_retries},
    says={
        "set_retries": lambda d: (
            f"set {d.get('service')}'s retries of {d.get('dependency')} to {d.get('retries')}"
        )
    },
)
