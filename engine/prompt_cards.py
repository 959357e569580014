"""Facilitator prompt cards: hints keyed to situations, for the facilitator's eyes only.

A card says what the facilitator might say or ask (``text``), optionally a line
a character can deliver to the players (``say``, ``from``), and the situation
that makes it worth saying (``when``): a time after the page or the start, and
at most one condition, either a negative one checked at that time (nobody has
looked at X, nobody has done Y, no status update went out) or a positive one
watched from that time on (a metric holds, an alert has fired). The drill logs
``prompt_ready`` once when the situation holds (engine/prompt_deck.py); this
module holds the format and its reference checks.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .actions import LOOK_TARGET
from .timeexpr import Duration, format_clock

Slug = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9-]*$")]
Text = Annotated[str, Field(min_length=1, max_length=4000)]
Delay = Annotated[Duration, Field(ge=0, le=86_400)]

# What a look names, by investigation (list_changes names nothing).
LOOKS: dict[str, str | None] = {**LOOK_TARGET, "ask_sme": "team", "list_changes": None}
Investigation = Literal[
    "view_dashboard",
    "read_logs",
    "check_migration",
    "inspect_queue",
    "inspect_database",
    "inspect_dependency",
    "ask_sme",
    "list_changes",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Look(_Model):
    """An investigation, optionally of one target (and, for a dashboard, one breakdown)."""

    investigation: Investigation
    target: str | None = Field(
        None, description="the service, topic, database, dependency or expert team it names"
    )
    breakdown: Literal["pod", "endpoint", "region"] | None = Field(
        None, description="with view_dashboard: only this breakdown counts"
    )

    @model_validator(mode="after")
    def _fits(self) -> Look:
        if self.breakdown is not None and self.investigation != "view_dashboard":
            raise ValueError("`breakdown` goes with `investigation: view_dashboard`")
        if self.target is not None and LOOKS[self.investigation] is None:
            raise ValueError(f"{self.investigation} names no target")
        return self


class Act(_Model):
    """A player action, optionally on one target."""

    action: str = Field(..., description="a player action type (docs/actions.md)")
    target: str | None = Field(None, description="the component the action names")


class Situation(_Model):
    """When a card is worth playing: a time, and at most one condition."""

    after: Delay = Field(0.0, description="this long after `from`")
    from_: Literal["page", "start"] = Field(
        "page", alias="from", description="the first page (default) or the drill's start"
    )
    not_looked: Look | None = Field(None, description="nobody has made this investigation by then")
    not_done: Act | None = Field(None, description="nobody has taken this action by then")
    no_status_update: bool = Field(False, description="no status update was posted by then")
    metric: str | None = Field(None, description="from then on, this metric holds ...")
    op: Literal[">", ">=", "<", "<="] = ">"
    threshold: float | None = None
    for_: Delay = Field(0.0, alias="for", description="... for this long")
    alert: str | None = Field(None, description="from then on, this alert has fired")

    @model_validator(mode="after")
    def _one_condition(self) -> Situation:
        conditions = [
            self.not_looked is not None,
            self.not_done is not None,
            self.no_status_update,
            self.metric is not None,
            self.alert is not None,
        ]
        if sum(conditions) > 1:
            raise ValueError(
                "takes at most one of `not_looked`, `not_done`, `no_status_update`, "
                "`metric` or `alert`"
            )
        if self.metric is not None and self.threshold is None:
            raise ValueError("`metric` needs a `threshold`")
        if self.threshold is not None and self.metric is None:
            raise ValueError("`threshold` goes with `metric`")
        return self

    @property
    def negative(self) -> bool:
        """Whether the card fires only if something has *not* happened by the time."""
        return self.not_looked is not None or self.not_done is not None or self.no_status_update

    def describe(self) -> str:
        """The situation in words, for the facilitator console and the debrief."""
        when = f"{'page' if self.from_ == 'page' else 'start'}+{format_clock(self.after)[2:]}"
        if self.not_looked is not None:
            lk = self.not_looked
            on = f" of {lk.target}" if lk.target else ""
            by = f" by {lk.breakdown}" if lk.breakdown else ""
            return f"nobody has run {lk.investigation}{on}{by} by {when}"
        if self.not_done is not None:
            on = f" on {self.not_done.target}" if self.not_done.target else ""
            return f"nobody has sent {self.not_done.action}{on} by {when}"
        if self.no_status_update:
            return f"no status update posted by {when}"
        if self.metric is not None:
            held = f" for {format_clock(self.for_)[2:]}" if self.for_ else ""
            return f"{self.metric} {self.op} {self.threshold:g}{held}, from {when}"
        if self.alert is not None:
            return f"alert {self.alert} has fired, from {when}"
        return f"{when} has passed"


Character = Literal["executive", "sme", "customer", "support", "teammate", "system"]


class PromptCard(_Model):
    """One facilitator hint: what to say, who may say it in character, and when."""

    id: Slug
    text: Text = Field(
        ..., description="what the facilitator might say or ask (players never see it)"
    )
    say: Text | None = Field(
        None, description="a line a character can deliver to the players when the card is used"
    )
    sender: str | None = Field(
        None, alias="from", min_length=1, max_length=200, description="who says `say`"
    )
    role: Character = "teammate"
    when: Situation

    @model_validator(mode="after")
    def _said_by(self) -> PromptCard:
        if (self.say is None) != (self.sender is None):
            raise ValueError("`say` and `from` go together: a line needs someone to say it")
        return self
