"""Regions: evacuating one moves its traffic to the others, after a delay.

Traffic reaches a region's pods by its share (``traffic.regions``); each
service's load balancer spreads a region's share over that region's pods.
Evacuating a region (DNS weights, anycast withdrawal) takes effect after
:data:`EVACUATE_S`; from then its share is 0 and the surviving regions take
its traffic in proportion to their shares, so their capacity limits what they
can absorb (CPU and workers saturate like any overload). Restoring it brings
the configured share back after the same delay.

Rerouting sends one region's calls to a database or dependency with an
instance per region (``engine/regional.py``) to another region's instance,
once the client configuration with the new endpoint reaches the pods
(:data:`REROUTE_S`): the region keeps its users and pods, its calls cross
regions (``cross_region_ms`` each) and the instance they reach takes them on
top of its own region's, so its capacity limits what it can take.
"""

from __future__ import annotations

from ..errors import NotAllowed
from ..inputs import EvacuateRegion, Input, Reroute
from ..regional import route
from .base import Ctx, Mechanic, Plan

EVACUATE_S = 60.0  # DNS TTL and resolver caches: clients move over a minute
REROUTE_S = 30.0  # a client config push with the other region's endpoint reaches the pods


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


def reroute(ctx: Ctx, inp: Input) -> Plan:
    """Lever ``reroute``: one region's calls to a regional component go to ``to``'s instance."""
    assert isinstance(inp, Reroute)
    world = ctx.world
    split = {n: s for n, s in world.regional.items() if len(s.regions) >= 2}
    spec = ctx.need("component with an instance per region", inp.component, split)
    ctx.need("region", inp.region, {r.name: r for r in ctx.scenario.traffic.regions})
    ctx.need(f"region of {spec.name}", inp.to, dict.fromkeys(spec.regions))
    target, _ = route(spec, inp.region, inp.to)
    if world.route(spec.name, inp.region)[0] == target:
        raise NotAllowed(f"{inp.region}'s calls to {spec.name} already go to {target}")

    def plan(seq: int) -> None:
        def apply() -> None:
            world.set_route(spec.name, inp.region, inp.to)
            added = world.route(spec.name, inp.region)[1]
            ctx.effect(
                seq, spec.name, "calls rerouted", region=inp.region, to=target, added_ms=added
            )

        ctx.later(REROUTE_S, apply)

    return plan


MECHANIC = Mechanic(
    name="regions",
    levers={"evacuate_region": evacuate, "reroute": reroute},
    says={
        "evacuate_region": lambda d: (
            f"{'restored traffic to' if d.get('restore') else 'evacuated'} region {d.get('region')}"
        ),
        "reroute": lambda d: (
            f"rerouted {d.get('region')}'s calls to {d.get('component')} to {d.get('to')}"
        ),
    },
)
