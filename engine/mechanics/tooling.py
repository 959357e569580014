"""Internal tools that share fate with the outage.

Dashboards, log search and the deploy pipeline often run on the network,
cluster or service-discovery layer the product runs on, so the failure that
hurts users takes them down too (Facebook 2021-10-04: the backbone outage cut
the internal tools; Roblox 2021-10-28: monitoring and deploys depended on the
failing Consul cluster). While a ``tool_outage`` lasts, a dashboard shows each
panel as it was when the tools went down, marked stale; log search answers
nothing; a rollback, forward fix or config push is refused, or queued until
the deploy system is back; alert rules get no data, so nothing fires or
resolves (a page comes late, or not at all) until alerting is back and a
rule's ``for`` has held again. Which action goes through which tool is the
``tool`` column of ``engine.actions.ACTIONS``. The metrics the drill logs stay
the truth (grading reads them): only what responders are told degrades.
Out-of-band paths (a dependency's own console, the database, an SME, a flag
set on the hosts) still answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, get_args

from ..actions import ACTIONS
from ..errors import NotAllowed
from ..inputs import Input, ViewDashboard
from ..timeexpr import format_clock
from .base import Ctx, Held, Mechanic, Plan, own_state

if TYPE_CHECKING:
    from ..scenario import ToolOutageFault

BREAKDOWNS: tuple[str, ...] = get_args(ViewDashboard.model_fields["breakdown"].annotation)
# What each tool's outage does, as the state event and the postmortem say it.
DOWN = {
    "dashboards": "dashboards show stale data",
    "logs": "log search unavailable",
    "deploys": "deploy system unavailable",
    "alerting": "alerting has no data",
}


@dataclass(frozen=True, slots=True)
class Outage:
    """One running tool outage: the fault's key, the tools it holds down, since when."""

    key: str
    tools: tuple[str, ...]
    reason: str
    since: float
    on_deploy: str


@dataclass(slots=True)
class Tooling:
    """The tools' state on one drill's world."""

    outages: list[Outage] = field(default_factory=list)  # running, in start order
    stale: dict[str, dict[str, Any]] = field(default_factory=dict)  # panel -> rows frozen
    stale_at: float = 0.0
    queued: list[tuple[int, Input, Plan]] = field(default_factory=list)  # held deploy levers


def _state(ctx: Ctx) -> Tooling:
    return own_state(ctx, "tooling", Tooling)


def _down(st: Tooling, tool: str) -> Outage | None:
    """The first running outage holding ``tool`` down, if any."""
    return next((o for o in st.outages if tool in o.tools), None)


def go_down(ctx: Ctx, fault: ToolOutageFault, key: str) -> dict[str, Any]:
    """The tools go down: panels freeze as they are now, logs and deploys stop answering."""
    st = _state(ctx)
    if "dashboards" in fault.tools and _down(st, "dashboards") is None:
        w = ctx.world
        st.stale = {f"{s}/{b}": w.detail(s, b) for s in w.services for b in BREAKDOWNS}
        st.stale_at = ctx.now
    st.outages.append(Outage(key, tuple(fault.tools), fault.reason, ctx.now, fault.on_deploy))
    if "alerting" in fault.tools:
        ctx.world.alerting_down = True
    for tool in fault.tools:
        extra = {"on_deploy": fault.on_deploy} if tool == "deploys" else {}
        ctx.state(tool, DOWN[tool], reason=fault.reason, **extra)
    return {"tools": list(fault.tools)}


def come_back(ctx: Ctx, fault: ToolOutageFault, key: str) -> None:
    """The tools come back (unless another outage still holds them); queued deploys start."""
    st = _state(ctx)
    st.outages = [o for o in st.outages if o.key != key]
    for tool in fault.tools:
        if _down(st, tool) is None:
            ctx.state(tool, "tool restored")
    if _down(st, "alerting") is None:
        ctx.world.alerting_down = False
    if _down(st, "deploys") is None and st.queued:
        queued, st.queued = st.queued, []
        for seq, inp, plan in queued:
            ctx.effect(seq, "deploys", "queued deploy started: the deploy system is back")
            plan(seq)
            ctx.acted(inp)


def gate(ctx: Ctx, inp: Input, plan: Plan) -> Held | None:
    """Refuse or hold a lever whose tool is down (``on_deploy``); else let it run."""
    tool = ACTIONS[inp.type].tool
    st = _state(ctx)
    outage = _down(st, tool) if tool is not None else None
    if outage is None:
        return None
    down = f"{DOWN[str(tool)]} since {format_clock(outage.since)} ({outage.reason})"
    if outage.on_deploy == "refuse":
        raise NotAllowed(f"{inp.type} cannot go through: {down}")

    def hold(seq: int) -> None:
        st.queued.append((seq, inp, plan))
        ctx.effect(seq, str(tool), "queued: waiting for the deploy system", reason=outage.reason)

    return Held(hold)


def answer(ctx: Ctx, inp: Input, result: dict[str, Any]) -> dict[str, Any]:
    """An investigation through a tool that is down: a stale panel or no log lines."""
    tool = ACTIONS[inp.type].tool
    st = _state(ctx)
    outage = _down(st, tool) if tool is not None else None
    if outage is None:
        return result
    if tool == "dashboards":
        since = format_clock(st.stale_at)
        return {
            "panel": result["panel"],
            "rows": st.stale.get(result["panel"], {}),
            "stale": True,
            "as_of": round(st.stale_at, 3),
            "note": f"STALE: no data since {since}, these are the last values ({outage.reason})",
        }
    return {  # log search: the only other investigation that goes through a tool
        "service": result.get("service"),
        "lines": [],
        "unavailable": True,
        "note": f"{DOWN[str(tool)]} since {format_clock(outage.since)} ({outage.reason})",
    }


MECHANIC = Mechanic(
    name="tooling",
    faults={"tool_outage": go_down},
    ends={"tool_outage": come_back},
    gate=gate,
    answer=answer,
    tells={"tool_outage": lambda f: f"Internal tools went down: {', '.join(f.tools)}"},
)
