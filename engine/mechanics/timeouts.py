"""Caller-side timeouts, changeable at run time per call edge.

A call gives up after its timeout: a dependency's ``timeout_ms`` or a call's
``timeout_ms`` to a service, until ``set_timeout`` changes it for one
caller. Calls start timing out when the callee's latency passes 70% of the
timeout and all do at 130%; a timed-out call fails, but holds the caller's
worker only until the timeout.

So lowering a timeout on a slow callee fails its calls fast and frees the
caller's workers: the caller's other endpoints, starved of workers while
every worker waited on the slow calls, recover. Raising it lets slow calls
succeed only if the callee is slow, not saturated, and holds workers longer:
against a slow callee it starves the caller further. The callee's own
metrics (``timeouts_per_s``) still count against its declared timeout.
"""

from __future__ import annotations

from ..inputs import Input, SetTimeout
from .base import Ctx, Mechanic, Plan, need_caller

PUSH_S = 30.0  # a client config change reaches every pod of the caller


def set_timeout(ctx: Ctx, inp: Input) -> Plan:
    """Lever ``set_timeout``: the caller's calls to one callee give up after ``timeout_ms``."""
    assert isinstance(inp, SetTimeout)
    callee = inp.dependency
    svc = need_caller(ctx, inp.service, callee)

    def plan(seq: int) -> None:
        def apply() -> None:
            svc.set_timeout(callee, inp.timeout_ms)
            ctx.effect(
                seq, svc.name, "call timeout changed", dependency=callee, timeout_ms=inp.timeout_ms
            )

        ctx.later(PUSH_S, apply)

    return plan


MECHANIC = Mechanic(
    name="timeouts",
    levers={"set_timeout": set_timeout},
    says={
        "set_timeout": lambda d: (
            f"set the timeout of {d.get('service')}'s calls to {d.get('dependency')} "
            f"to {d.get('timeout_ms'):g} ms"
        )
    },
)
