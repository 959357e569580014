"""The one exception tree of firedrill.

::

    FiredrillError
    ├── AuthorError              the input *file* is wrong (scenario, script, log);
    │   │                        raised at load time, before any drill exists
    │   ├── ScenarioError        a scenario document
    │   │   └── PostmortemError  its truth cannot make a blameless postmortem
    │   │       ├── HumanRootCause      (engine.postmortem.language)
    │   │       └── WishfulActionItem   "be more careful", "add monitoring"
    │   └── ScriptError          a decision script (headless runbook)
    ├── PlayerError              an input is wrong *now*; the drill is unchanged
    │   ├── UnknownAction        no such action type
    │   ├── InvalidInput         missing/ill-typed parameter, unknown target
    │   └── NotAllowed           legal action, illegal in this drill state
    └── DrillStateError          an operation on a drill in the wrong lifecycle state

Author errors carry a list of :class:`Problem` (file, line, field path,
expected, got) so a tool can show all of them at once. The server maps each
family to an HTTP status / WebSocket error code in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input file, located as precisely as we can."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file} line {self.line}"
        field = f": `{self.path}`" if self.path else ""
        return f"{where}{field} {self.message}" if field else f"{where}: {self.message}"


class FiredrillError(Exception):
    """Base of every error firedrill raises on purpose."""


class AuthorError(FiredrillError):
    """An input document is invalid; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        if not problems:
            raise ValueError("AuthorError needs at least one problem")
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def first(self) -> Problem:
        return self.problems[0]


class ScenarioError(AuthorError):
    """A scenario document is invalid."""


class ScriptError(AuthorError):
    """A decision script is invalid."""


class PlayerError(FiredrillError):
    """An input cannot be applied now. The drill is left exactly as it was."""

    code = "invalid_input"


class UnknownAction(PlayerError):
    code = "unknown_action"


class InvalidInput(PlayerError):
    code = "invalid_input"


class NotAllowed(PlayerError):
    code = "not_allowed"


class DrillStateError(FiredrillError):
    """The drill is not in a state that permits this operation."""
