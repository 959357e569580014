"""Rate limits per client or per endpoint, and a client that misbehaves.

A scenario may name its clients (``traffic.clients``: an app, a partner
integration), each a share of every service's user traffic. A
``client_surge`` fault is one of them sending many times its share (a retry
loop in a release, a polling storm); what it sends loads the fleet and what
the fleet calls like any other request.

``rate_limit`` sets a limit at a service's edge, after a push of
``PUSH_S``: requests beyond ``rps`` from one client, or to one endpoint, are
refused at once with a 429. Refused requests are shed, not failed (they
count with ``slo.shed_weight``), and never reach the pods or what they call.
So limiting the client that floods lets the others through; limiting another
client only refuses that one's requests, and limiting an endpoint the flood
does not reach leaves the flood where it was. The limits of a service are
applied clients first, then endpoints; a limit of 0 blocks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import NotAllowed
from ..inputs import Input, RateLimit
from .base import Ctx, Mechanic, Plan

if TYPE_CHECKING:
    from ..scenario import ClientSurgeFault

PUSH_S = 15.0  # a limiter rule reaches every edge proxy


def surge(ctx: Ctx, fault: ClientSurgeFault, key: str) -> dict[str, Any]:
    """The client starts sending ``multiplier`` times its share, ramping over ``ramp``."""
    ctx.world.client_surges[key] = (fault.client, ctx.now, fault.ramp, fault.multiplier, None)
    return {"client": fault.client, "multiplier": fault.multiplier}


def calm(ctx: Ctx, fault: ClientSurgeFault, key: str) -> None:
    """The surge's cause went (``until``): the client ramps back to its share."""
    found = ctx.world.client_surges.get(key)
    if found is not None:
        client, start, ramp, multiplier, _ = found
        ctx.world.client_surges[key] = (client, start, ramp, multiplier, ctx.now)


def rate_limit(ctx: Ctx, inp: Input) -> Plan:
    """Lever ``rate_limit``: at most ``rps`` requests/s of one client or to one endpoint."""
    assert isinstance(inp, RateLimit)
    svc = ctx.need("service", inp.service, ctx.world.services)
    if (inp.client is None) == (inp.endpoint is None):
        raise NotAllowed("rate_limit: name a `client` or an `endpoint` of the service (not both)")
    if inp.client is not None:
        clients = [c.name for c in ctx.scenario.traffic.clients]
        if inp.client not in clients:
            raise ctx.unknown("client", inp.client, clients)
        name = inp.client
    else:
        endpoints = [e.name for e in svc.spec.endpoints]
        name = str(inp.endpoint)
        if name not in endpoints:
            raise ctx.unknown(f"endpoint of {svc.name}", name, endpoints)
    what = "client" if inp.client is not None else "endpoint"
    rps = inp.rps

    def plan(seq: int) -> None:
        def apply() -> None:
            if what == "client":
                svc.client_limits[name] = rps
            else:
                svc.endpoint_limits[[e.name for e in svc.spec.endpoints].index(name)] = rps
            ctx.effect(seq, svc.name, "rate limit set", **{what: name}, rps=rps)

        ctx.later(PUSH_S, apply)

    return plan


def _says(d: Mapping[str, Any]) -> str:
    """'rate-limited client mobile-app on api to 100 requests/s'."""
    who = f"client {d.get('client')}" if d.get("client") else f"endpoint {d.get('endpoint')}"
    return f"rate-limited {who} on {d.get('service')} to {d.get('rps'):g} requests/s"


MECHANIC = Mechanic(
    name="ratelimits",
    faults={"client_surge": surge},
    ends={"client_surge": calm},
    levers={"rate_limit": rate_limit},
    says={"rate_limit": _says},
    tells={
        "client_surge": lambda f: f"Client {f.client} began sending {f.multiplier:g}x its requests"
    },
)
