"""The mechanic registry: each mechanic is one module, listed here once.

``engine.effects`` dispatches a fault kind or a lever to the mechanic that
owns it; ``tests/engine/test_mechanic_contract.py`` checks every entry
(its levers are in the action-spec table and name it back, its fault kinds
are in the scenario format). docs/design.md says how to add one.
"""

from __future__ import annotations

from . import (
    autoscaler,
    caches,
    certificates,
    configs,
    discovery,
    herds,
    leaks,
    quotas,
    ratelimits,
    regions,
    retries,
    surges,
    timeouts,
    tooling,
)
from .base import (
    Answer,
    Ctx,
    EndFault,
    Gate,
    Held,
    Lever,
    Mechanic,
    Plan,
    Says,
    StartFault,
    Tells,
)

MECHANICS: tuple[Mechanic, ...] = (
    autoscaler.MECHANIC,
    caches.MECHANIC,
    certificates.MECHANIC,
    configs.MECHANIC,
    discovery.MECHANIC,
    herds.MECHANIC,
    leaks.MECHANIC,
    quotas.MECHANIC,
    ratelimits.MECHANIC,
    regions.MECHANIC,
    retries.MECHANIC,
    surges.MECHANIC,
    timeouts.MECHANIC,
    tooling.MECHANIC,
)
FAULTS: dict[str, StartFault] = {k: f for m in MECHANICS for k, f in m.faults.items()}
ENDS: dict[str, EndFault] = {k: f for m in MECHANICS for k, f in m.ends.items()}
LEVERS: dict[str, Lever] = {k: f for m in MECHANICS for k, f in m.levers.items()}
SAYS: dict[str, Says] = {k: f for m in MECHANICS for k, f in m.says.items()}
TELLS: dict[str, Tells] = {k: f for m in MECHANICS for k, f in m.tells.items()}
GATES: tuple[Gate, ...] = tuple(m.gate for m in MECHANICS if m.gate is not None)
ANSWERS: tuple[Answer, ...] = tuple(m.answer for m in MECHANICS if m.answer is not None)

__all__ = [
    "ANSWERS",
    "ENDS",
    "FAULTS",
    "GATES",
    "LEVERS",
    "MECHANICS",
    "SAYS",
    "TELLS",
    "Ctx",
    "Held",
    "Mechanic",
    "Plan",
]
