"""A headless drill played through the player interface, with simulated thinking time.

The think-time rule (docs/agents.md#think-time): every ``observe`` and every
action first lets ``think`` simulated seconds pass (default
:data:`THINK_SECONDS`), as a person needs time to read a dashboard or type a
command; ``wait`` lets exactly the seconds asked for pass. A refused action
has still cost its thinking time. So an agent that needs many calls pays in
simulated minutes, and the same calls always land at the same simulated
times: a session is as deterministic as the drill under it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.drill import Drill
from engine.errors import DrillStateError, PlayerError
from engine.log import Event
from engine.outcome import Outcome, outcome
from engine.postmortem import postmortem_markdown
from engine.scenario import Scenario

from .brief import player_facts
from .player import Acted, Observation, Refused, View

THINK_SECONDS = 10.0
MAX_WAIT = 3600.0


@dataclass(frozen=True)
class RefusedAction:
    """An action the drill refused: when, what, and the engine's message."""

    t: float
    action: dict[str, Any]
    code: str
    message: str


@dataclass(frozen=True)
class Finished:
    """The end of a session: grade, outcome, postmortem draft and the log's digest."""

    grade: Any  # engine.grading.Grade
    outcome: Outcome
    postmortem: str
    digest: str
    actions: int
    refused: tuple[RefusedAction, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "scores": dict(self.grade.scores),
            "grade": self.grade.to_dict(),
            "outcome": self.outcome.to_dict(),
            "actions": self.actions,
            "refused": [r.message for r in self.refused],
            "log_sha256": self.digest,
            "postmortem": self.postmortem,
        }


class HeadlessSession:
    """One agent playing ``scenario`` at ``seed`` as a player named ``agent``."""

    def __init__(
        self, scenario: Scenario, seed: int = 0, agent: str = "agent", think: float = THINK_SECONDS
    ) -> None:
        if think < 0:
            raise ValueError(f"think time must be >= 0 seconds (got {think})")
        self.drill = Drill(scenario, seed=seed)
        self.agent = agent
        self.think = think
        self.actions = 0
        self.refused: list[RefusedAction] = []
        self._view = View(self.drill.snapshot("player"))
        self._finished: Finished | None = None

    # ----------------------------------------------------------- Player
    @property
    def now(self) -> float:
        return self.drill.now

    @property
    def scenario(self) -> dict[str, Any]:
        return player_facts(self.drill.scenario)

    @property
    def ended(self) -> bool:
        return self.drill.ended

    def observe(self) -> Observation:
        """The player's view after ``think`` seconds; changes since the last observe."""
        self._pass(self.think)
        return self.look()

    def look(self) -> Observation:
        """The player's view now, without spending time (for wrappers that already did)."""
        news = self._view.feed(self.drill.events_since(self._view.seen, role="player"))
        return self._view.observation(self.drill.snapshot("player"), news)

    def act(self, action: Mapping[str, Any]) -> Acted:
        """Think, then submit ``action`` as this player; :class:`Refused` if the drill says no."""
        self._pass(self.think)
        data = dict(action) if isinstance(action, Mapping) else action
        try:
            event = self.drill.submit(data, actor=self.agent, role="player")
        except (PlayerError, DrillStateError) as exc:
            code = getattr(exc, "code", "not_running")
            self.refused.append(RefusedAction(self.now, _jsonable(data), code, str(exc)))
            raise Refused(code, str(exc)) from None
        self.actions += 1
        answer = next(
            (
                e.data["result"]
                for e in self.drill.log.since(event.seq)
                if e.type == "observation" and e.data.get("for") == event.seq
            ),
            None,
        )
        return Acted(event.seq, event.t, answer)

    def wait(self, seconds: float) -> None:
        """Let ``seconds`` (0 to :data:`MAX_WAIT`) of simulated time pass."""
        if not 0 <= seconds <= MAX_WAIT:
            raise ValueError(f"wait takes 0 to {MAX_WAIT:g} seconds (got {seconds})")
        self._pass(seconds)

    # ------------------------------------------------------------ the end
    def finish(self) -> Finished:
        """Play the rest of the drill with no more actions, then grade it (once)."""
        if self._finished is None:
            from engine.grading import grade
            from engine.postmortem import postmortem

            sc = self.drill.scenario
            self.drill.advance(sc.duration + sc.tick)
            events = self.drill.log.events
            g = grade(sc, events)
            self._finished = Finished(
                grade=g,
                outcome=outcome(sc, events),
                postmortem=postmortem_markdown(postmortem(sc, events, g)),
                digest=self.drill.log.digest(),
                actions=self.actions,
                refused=tuple(self.refused),
            )
        return self._finished

    @property
    def events(self) -> list[Event]:
        return self.drill.log.events

    def _pass(self, seconds: float) -> None:
        if seconds > 0:
            self.drill.advance(self.drill.now + seconds)


def _jsonable(data: Any) -> dict[str, Any]:
    return dict(data) if isinstance(data, dict) else {"input": repr(data)}
