"""The simulated teammates a scenario declares (``responders:``), as frozen models.

They are scenario data, so they sit below both the scenario format that lists them
and :mod:`engine.responders`, which plays them.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from .timeexpr import Duration

Said = Annotated[str, Field(min_length=1, max_length=1000)]
Seconds = Annotated[Duration, Field(ge=0, le=86_400)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Busy(_Spec):
    """A stretch of the drill in which the responder is tied up elsewhere."""

    start: Seconds = 0.0
    until: Seconds
    says: Said = "I'm tied up on something else, I'll pick this up as soon as I can."


class Mistake(_Spec):
    """A task the responder performs but reports wrongly (``target``: any, if omitted)."""

    action: Annotated[str, Field(min_length=1, max_length=60)]
    target: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    says: Said


class Responder(_Spec):
    """One simulated teammate."""

    name: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z][A-Za-z0-9 .'-]*$")]
    title: Annotated[str, Field(max_length=80)] = "engineer"
    joins_after: Seconds = 90.0  # from the page to saying hello in the channel
    pace: Annotated[float, Field(gt=0, le=10)] = 1.0  # multiplies every task time
    busy: list[Busy] = []
    wrong: list[Mistake] = []


DEFAULT_ROSTER: tuple[Responder, ...] = (
    Responder(name="Priya", title="SRE", joins_after=60.0, pace=1.0),
    Responder(name="Sam", title="backend engineer", joins_after=120.0, pace=1.3),
    Responder(name="Alex", title="support lead", joins_after=90.0, pace=1.1),
)
