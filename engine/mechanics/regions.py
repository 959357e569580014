"""Regions: evacuating one moves its traffic to the others, after a delay.

Traffic reaches a region's pods by its share (``traffic.regions``); each
service's load balancer spreads a region's share over that region's pods.
Evacuating a region (DNS weights, anycast withdrawal) takes effect after
:data:`EVACUATE_S`; from then its share is 0 and the surviving regions take
its traffic in proportion to their shares, so their capacity limits what they
can absorb (CPU and workers saturate like any overload). Restoring it brings
the configured share back after the same delay.
"""

from __future__ import annotations

from ..errors import NotAllowed
from ..inputs import EvacuateRegion, Input
from .base import Ctx, Mechanic, Plan

EVACUATE_S = 60.0  # DNS TTL and resolver caches: clients move over a minute


def evacuate(ctx: Ctx, inp: Input) -> Plan:
    """Lever ``evacuate_region``: move a region's traffic away (or back, ``restore``)."""
    assert isinstance(inp, EvacuateRegion)
    configured = {r.name: r.share for r in ctx.scenario.traffic.regions}
    ctx.need("region", inp.region, configured)
    shares = ctx.world.region_shares
    if not inp.restore and not any(v > 0 for k, v in shares.items() if k != inp.region):
        raise NotAllowed(f"cannot evacuate {inp.region}: no other region takes traffic")
    share = configured[inp.region] if inp.restore else 0.0

    def plan(seq: int) -> None:
        def apply() -> None:
            ctx.world.set_region_share(inp.region, share)
            what = "region restored" if inp.restore else "region evacuated"
            ctx.effect(seq, inp.region, what, share=share)

        ctx.later(EVACUATE_S, apply)

    return plan


MECHANIC = Mechanic(
    name="regions",
    levers={"evacuate_region": evacuate},
    says={
        "evacuate_region": lambda d: (
            f"{'restored traffic to' if d.get('restore') else 'evacuated'} region {d.get('region')}"
        )
    },
)
