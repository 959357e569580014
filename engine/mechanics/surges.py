"""Traffic surges as faults: they can start and end with a cause.

A ``traffic_surge`` fault ramps offered traffic up by ``multiplier`` over
``ramp`` seconds; it lasts until its ``until`` cause happens (say, the
marketing push driving it is stopped), then ramps back down.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import Ctx, Mechanic

if TYPE_CHECKING:
    from ..scenario import SurgeFault


def start(ctx: Ctx, fault: SurgeFault, key: str) -> dict[str, Any]:
    """Traffic starts ramping up now."""
    ctx.world.fault_surges[key] = (ctx.now, fault.ramp, fault.multiplier, None)
    return {"multiplier": fault.multiplier}


def end(ctx: Ctx, fault: SurgeFault, key: str) -> None:
    """What drives the surge stopped: traffic ramps back down from now."""
    begun, ramp, mult, _ = ctx.world.fault_surges[key]
    ctx.world.fault_surges[key] = (begun, ramp, mult, ctx.now)


MECHANIC = Mechanic(name="surges", faults={"traffic_surge": start}, ends={"traffic_surge": end})
