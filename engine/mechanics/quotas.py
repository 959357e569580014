"""Rate limits and quotas: a provider refuses our calls beyond our quota (429).

A dependency with ``quota_rps`` admits that many calls per second from our
account, whoever makes them; beyond it every call is refused at once with a
429 (``<dependency>.throttled_per_s``) and fails its request like any
failed call. The quota is shared by every endpoint and service calling the
provider, so one caller's extra calls take another's share.

Retries do not buy successes against a quota: the provider admits
``quota_rps`` attempts whatever they are, so at most that many requests per
second succeed. They do make things worse: each retry waits its backoff and
holds a worker meanwhile, so the caller starves its workers and fails
requests that never call the provider. What fixes it is fewer calls
(shedding, retries off, a flag taking the provider off the path) or a higher
quota: ``request_quota_raise`` is granted after the provider's
``quota_raise_after``, up to ``quota_max_rps``. A ``quota_cut`` fault is
the provider lowering the quota (a plan change, an abuse rule).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import NotAllowed
from ..inputs import Input, RequestQuotaRaise
from .base import Ctx, Mechanic, Plan

if TYPE_CHECKING:
    from ..scenario import QuotaFault


def cut(ctx: Ctx, fault: QuotaFault, key: str) -> dict[str, Any]:
    """The provider lowers our quota now."""
    dep = ctx.world.deps[fault.dependency]
    before = dep.quota
    dep.quota = fault.rps
    return {"dependency": dep.spec.name, "quota_rps": fault.rps, "was": before}


def restore(ctx: Ctx, fault: QuotaFault, key: str) -> None:
    """The cut is undone (``until``): back to the quota the scenario declares."""
    dep = ctx.world.deps[fault.dependency]
    dep.quota = dep.spec.quota_rps


def raise_quota(ctx: Ctx, inp: Input) -> Plan:
    """Lever ``request_quota_raise``: ask the provider for ``rps``; granted after a delay."""
    assert isinstance(inp, RequestQuotaRaise)
    dep = ctx.need("dependency", inp.dependency, ctx.world.deps)
    spec = dep.spec
    if dep.quota is None:
        raise NotAllowed(f"{spec.name} has no quota to raise")
    if inp.rps <= dep.quota:
        raise NotAllowed(
            f"{spec.name}'s quota is already {dep.quota:g} calls/s; ask for more (got {inp.rps:g})"
        )
    granted = inp.rps if spec.quota_max_rps is None else min(inp.rps, spec.quota_max_rps)

    def plan(seq: int) -> None:
        ctx.effect(
            seq, spec.name, "quota raise requested", rps=inp.rps, ready_in_s=spec.quota_raise_after
        )

        def grant() -> None:
            if dep.quota is not None and granted > dep.quota:
                dep.quota = granted
            ctx.effect(seq, spec.name, "quota raised", rps=dep.quota)

        ctx.later(spec.quota_raise_after, grant)

    return plan


MECHANIC = Mechanic(
    name="quotas",
    faults={"quota_cut": cut},
    ends={"quota_cut": restore},
    levers={"request_quota_raise": raise_quota},
    says={
        "request_quota_raise": lambda d: (
            f"asked {d.get('dependency')} to raise the quota to {d.get('rps'):g} calls/s"
        )
    },
    tells={"quota_cut": lambda f: f"{f.dependency} cut our quota to {f.rps:g} calls/s"},
)
