"""The facilitator's deck during a drill: which prompt cards are waiting, ready or used.

The drill asks the deck once per tick (after alerts) which cards became
ready, tells it every player input (a look or an action closes a card that
waits for it not to happen) and lets the facilitator use a card once. The
deck holds no clock and logs nothing itself: the drill logs ``prompt_ready``
and ``prompt_used`` (facilitator-only), so the deck is as deterministic as
the ticks and inputs that drive it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from .actions import ACTIONS
from .causes import Watch
from .errors import InvalidInput
from .inputs import Input
from .prompt_cards import LOOKS, PromptCard, Situation
from .scenario import Cause


@dataclass(slots=True)
class CardState:
    """One card and what happened to it so far (times in simulated seconds)."""

    card: PromptCard
    watch: Watch | None = None  # a metric or alert situation, watched from its time on
    ready_at: float | None = None
    used_at: float | None = None
    sent: bool = False
    closed: bool = False  # what it waited not to happen happened: it never fires

    @property
    def open(self) -> bool:
        """Still waiting for its situation: not ready, closed or used (early) yet."""
        return self.ready_at is None and self.used_at is None and not self.closed

    def to_dict(self) -> dict[str, Any]:
        """The card as the facilitator console shows it."""
        c = self.card
        return {
            "id": c.id,
            "text": c.text,
            "say": c.say,
            "from": c.sender,
            "role": c.role,
            "when": c.when.describe(),
            "ready_at": self.ready_at,
            "used_at": self.used_at,
            "sent": self.sent,
        }


def _watch(w: Situation) -> Watch | None:
    if w.metric is not None:
        fields = {"metric": w.metric, "op": w.op, "threshold": w.threshold, "for": w.for_}
    elif w.alert is not None:
        fields = {"alert": w.alert}
    else:
        return None
    return Watch(Cause.model_validate(fields), lambda: None)


def _target(inp: Input, field_name: str | None) -> Any:
    return getattr(inp, field_name, None) if field_name is not None else None


def answers(w: Situation, inp: Input) -> bool:
    """Whether ``inp`` is what a negative situation waits not to see."""
    if w.no_status_update:
        return inp.type == "status_update"
    look = w.not_looked
    if look is not None:
        if inp.type != look.investigation:
            return False
        if look.breakdown is not None and getattr(inp, "breakdown", None) != look.breakdown:
            return False
        return look.target is None or _target(inp, LOOKS[look.investigation]) == look.target
    act = w.not_done
    if act is not None and inp.type == act.action:
        spec = ACTIONS[act.action]
        return act.target is None or _target(inp, spec.target_field) == act.target
    return False


@dataclass(slots=True)
class PromptDeck:
    """Every card of a scenario, in file order (which is the order they become ready)."""

    cards: list[CardState] = field(default_factory=list)

    @classmethod
    def of(cls, prompts: Sequence[PromptCard]) -> PromptDeck:
        """A fresh deck: every card waiting."""
        return cls([CardState(c, _watch(c.when)) for c in prompts])

    @property
    def waiting(self) -> bool:
        """Whether some card may still become ready (the drill skips the tick check if not)."""
        return any(s.open for s in self.cards)

    def saw(self, inp: Input) -> None:
        """A player input: it closes the waiting cards it answers."""
        for s in self.cards:
            if s.open and s.card.when.negative:
                s.closed = answers(s.card.when, inp)

    def due(
        self,
        now: float,
        page_at: float | None,
        metric: Callable[[str], float],
        alerts_seen: Collection[str],
    ) -> list[CardState]:
        """The cards whose situation holds at ``now`` (each marked ready, so once)."""
        ready = []
        for s in self.cards:
            if not s.open:
                continue
            w = s.card.when
            origin = page_at if w.from_ == "page" else 0.0
            if origin is None or now < origin + w.after - 1e-9:
                continue
            if s.watch is not None and not s.watch.due(now, metric, alerts_seen, ()):
                continue
            s.ready_at = now
            ready.append(s)
        return ready

    def get(self, card_id: str) -> CardState:
        """The card ``card_id``; InvalidInput naming the valid ids otherwise."""
        for s in self.cards:
            if s.card.id == card_id:
                return s
        ids = ", ".join(s.card.id for s in self.cards) or "none (this scenario has no cards)"
        raise InvalidInput(f"unknown prompt card {card_id!r}; valid: {ids}")

    def check_use(self, card_id: str, send: bool) -> CardState:
        """The card to use; InvalidInput if it is unknown, used already or has nothing to send."""
        s = self.get(card_id)
        if s.used_at is not None:
            raise InvalidInput(f"prompt card {card_id!r} was already used at t={s.used_at:g}s")
        if send and s.card.say is None:
            raise InvalidInput(
                f"prompt card {card_id!r} has no `say` line to send; use it without `send`"
            )
        return s
