"""The narrow interface mechanics use to touch a drill, and a mechanic's shape.

A mechanic never imports :mod:`engine.drill`: it gets a :class:`Ctx` (the
drill satisfies it) and reaches the world, the clock and the log only through
it. So mechanics sit below the drill and the import graph points downward.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from ..errors import InvalidInput, NotAllowed

if TYPE_CHECKING:
    from ..inputs import Input
    from ..scenario import Scenario
    from ..world import World
    from ..world.service import ServiceState as ServiceStateT

T = TypeVar("T")
S = TypeVar("S")
Plan = Callable[[int], None]


class Ctx(Protocol):
    """What a mechanic may do to a drill: read the world, schedule, log."""

    scenario: Scenario
    world: World
    changes: list[dict[str, Any]]  # the change feed ``list_changes`` shows (append-only)

    @property
    def now(self) -> float:
        """Simulated seconds since the drill started."""

    def later(self, delay: float, fn: Callable[[], None]) -> None:
        """Run ``fn`` after ``delay`` simulated seconds (not once the drill ended)."""

    def effect(self, for_seq: int, component: str, what: str, **data: Any) -> None:
        """Log a consequence of the input with seq ``for_seq``."""

    def state(self, component: str, what: str, *, vis: str = "all", **data: Any) -> None:
        """Log a change of state nobody's input caused (``vis``: who sees it)."""

    def need(self, kind: str, name: str, table: Mapping[str, T]) -> T:
        """``table[name]``, or raise InvalidInput listing the valid names."""

    def unknown(self, kind: str, value: str, valid: list[str]) -> InvalidInput:
        """The error for an unknown ``kind`` named ``value``."""

    def fault_ended(self, key: str) -> None:
        """Record that the fault ``key`` ended (causes waiting on it may fire)."""

    def acted(self, inp: Input) -> None:
        """Fire the action causes waiting on ``inp`` (a held lever calls it when it runs)."""


StartFault = Callable[[Ctx, Any, str], dict[str, Any]]  # (ctx, fault, key) -> event data
EndFault = Callable[[Ctx, Any, str], None]
Lever = Callable[[Ctx, "Input"], Plan]  # validates first, then returns the plan
Says = Callable[[Mapping[str, Any]], str]  # an input's data -> a verb phrase for the postmortem
Tells = Callable[[Any], str]  # a scenario fault -> the sentence saying it began


@dataclass(frozen=True, slots=True)
class Held:
    """A lever's plan a mechanic holds back: ``hold`` runs now (with the input's seq) and
    keeps the real plan for later, so the action's causes wait until that runs
    (``Ctx.acted``), as a queued job does nothing until it starts."""

    hold: Plan


# Before a mitigation's plan runs: raise NotAllowed to refuse it, return a Held to queue it,
# or None to let it run now. After an investigation: return the answer the asker gets.
Gate = Callable[[Ctx, "Input", Plan], "Held | None"]
Answer = Callable[[Ctx, "Input", dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Mechanic:
    """One mechanic: the fault kinds it starts and ends, and the levers it owns.

    ``levers`` are keyed by input type (each must be in ``engine.actions.ACTIONS``
    with ``mechanic`` naming this one); ``faults`` and ``ends`` by fault kind.
    ``start`` runs once as the drill begins (a control loop schedules itself).
    ``says`` words each lever for the postmortem timeline ("rolled back config
    waf-rules"), ``tells`` each fault kind ("Config waf-rules rules-42 was pushed").
    ``gate`` and ``answer`` see every mitigation and investigation, not only the
    mechanic's own (a tool outage refuses rollbacks and makes dashboards stale).
    A lever validates against the drill before returning its plan, so a
    refused input changes nothing.
    """

    name: str
    faults: Mapping[str, StartFault] = field(default_factory=dict)
    ends: Mapping[str, EndFault] = field(default_factory=dict)
    levers: Mapping[str, Lever] = field(default_factory=dict)
    says: Mapping[str, Says] = field(default_factory=dict)
    tells: Mapping[str, Tells] = field(default_factory=dict)
    start: Callable[[Ctx], None] | None = None  # run once when the drill clock starts
    gate: Gate | None = None  # may refuse or hold any mitigation (after its own checks)
    answer: Answer | None = None  # may degrade any investigation's answer


def own_state(ctx: Ctx, name: str, kind: type[S]) -> S:
    """Mechanic ``name``'s state on this drill's world (a fresh ``kind()`` the first time)."""
    found = ctx.world.mechanic_state.get(name)
    if found is None:
        found = ctx.world.mechanic_state[name] = kind()
    assert isinstance(found, kind)
    return found


def need_caller(ctx: Ctx, service: str, callee: str) -> ServiceStateT:
    """The service ``service``, which must call ``callee`` (else NotAllowed naming its calls)."""
    svc = ctx.need("service", service, ctx.world.services)
    if not any(callee in e.call_names for e in svc.spec.endpoints):
        called = sorted({d for e in svc.spec.endpoints for d in e.call_names})
        raise NotAllowed(
            f"{svc.name} does not call {callee!r} (it calls: {', '.join(called) or 'nothing'})"
        )
    return svc
