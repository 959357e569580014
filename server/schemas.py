"""REST request and response bodies (they are the OpenAPI schema too)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ScenarioId = Annotated[
    str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,79}$", examples=["checkout-deploy-500s"])
]
Name = Annotated[
    str,
    Field(
        min_length=1,
        max_length=40,
        pattern=r"^[\w][\w .'@-]*$",
        examples=["alice"],
        description="Letters, digits, spaces and . ' @ - (up to 40 characters).",
    ),
]

Cohort = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[\w][\w .@:/-]*$",
        examples=["sre-onboarding-2026-q1"],
        description="The group the drill's players train in (a class, a team, an interview "
        "loop): letters, digits, spaces and . @ : / - (up to 64 characters). Its facilitator "
        "sees every run of the cohort in the history; without one, the drill's own runs.",
    ),
]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateDrill(Body):
    scenario: ScenarioId = Field(description="A scenario id from GET /api/scenarios.")
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0
    speed: Annotated[float, Field(gt=0, le=600, description="Sim seconds per wall second.")] = 1.0
    facilitator: Name = "facilitator"
    cohort: Cohort | None = None


class CreateSolo(Body):
    scenario: ScenarioId = Field(description="A scenario id from GET /api/scenarios.")
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0
    speed: Annotated[float, Field(gt=0, le=600, description="Sim seconds per wall second.")] = 1.0
    name: Name = Field("on-call", description="You: the on-call engineer (a player).")
    cohort: Cohort | None = None


class SoloCreated(BaseModel):
    drill_id: str
    status: str
    token: str = Field(description="Your player token: what you play with.")
    clock_token: str = Field(
        description="A facilitator token, for the clock only; the solo page never reads "
        "the hidden truth with it. Shown once; keep it secret."
    )
    name: str
    play: str = Field(description="Opens the drill as the player (token in the fragment).")
    websocket: str


class Join(Body):
    code: Annotated[str, Field(min_length=1, max_length=64, description="Player or observer code.")]
    name: Name | None = Field(None, description="Required for players; observers get one.")
    role: Literal["ic", "comms", "ops", "scribe"] | None = Field(
        None, description="Incident role a player takes on joining (players only)."
    )


class Control(Body):
    action: Literal["start", "pause", "resume", "speed", "step", "jump", "end"]
    speed: Annotated[float, Field(gt=0, le=600)] | None = None
    seconds: Annotated[float, Field(gt=0, le=3600)] | None = None
    reason: Annotated[str, Field(max_length=200)] | None = None


class SubmitInput(Body):
    input: dict[str, Any] = Field(description='An engine input, e.g. {"type": "take_command"}.')
    as_: Name | None = Field(None, alias="as", description="Facilitator only: act as this player.")


class Urls(BaseModel):
    facilitator: str = Field(description="Opens the drill as facilitator (token in the fragment).")
    player_join: str
    observer_join: str
    websocket: str


class DrillCreated(BaseModel):
    drill_id: str
    status: str
    facilitator_token: str = Field(description="Shown once; keep it secret.")
    player_code: str
    observer_code: str
    urls: Urls


class Codes(BaseModel):
    player_code: str
    observer_code: str
    player_join: str = Field(description="The player link with the new code (see Urls).")
    observer_join: str


class Joined(BaseModel):
    drill_id: str
    token: str = Field(description="Your personal token: send it in the WebSocket hello.")
    role: str
    name: str
    incident_role: str | None
    websocket: str


class Participant(BaseModel):
    name: str
    role: str
    incident_role: str | None


class ClockState(BaseModel):
    status: str
    speed: float
    t: float
    seq: int


class DrillState(ClockState):
    drill_id: str
    scenario: str
    seed: int
    you: Participant
    roster: list[Participant]
    clients: int
    snapshot: dict[str, Any]


class Accepted(BaseModel):
    seq: int = Field(description="Seq of the logged input event.")
    status: str
    t: float


class ScenarioInfo(BaseModel):
    id: str
    title: str
    summary: str
    class_: str = Field(alias="class")
    difficulty: str
    teaches: str
    symptom: str = Field(description="what the page says: all a player knows before looking")
    audience: str = Field(description="who the drill is for")
    tags: list[str]
    duration: float
    source: dict[str, str] | None


class Storage(BaseModel):
    ok: bool = Field(description="false while writes to the drill store fail")
    failing_since: float | None = Field(description="Unix time of the first failed write")
    error: str | None = Field(description="why the last write failed (while failing)")
    failed_writes: int = Field(description="failed writes since the server started")
    drills_waiting: int = Field(description="drills paused until their state is stored")


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    storage: Storage
    version: str
    drills: dict[str, int]
    clients: int
    tick_lateness: dict[str, float | None]
    worker: int = Field(description="Process id of the worker that answered (`--workers N`).")


class Report(BaseModel):
    """The engine's grade or postmortem: the engine's fields (docs/grading.md, postmortem.md)."""

    model_config = ConfigDict(extra="allow")
    markdown: str = Field(description="The same report, rendered as Markdown.")


class ErrorBody(BaseModel):
    error: str = Field(description="Machine-readable code, e.g. not_found, illegal_transition.")
    message: str = Field(description="What was wrong and what was expected.")


class FieldError(BaseModel):
    loc: list[str | int] = Field(description='Where, e.g. ["body", "speed"].')
    msg: str
    type: str


class InvalidBody(ErrorBody):
    """422: a request of the wrong shape (with ``detail``) or an input the drill refused."""

    detail: list[FieldError] | None = Field(
        None, description="One entry per field, when the request did not fit its schema."
    )


class RunInfo(BaseModel):
    drill_id: str
    scenario: str
    player: str
    cohort: str | None = Field(description="The drill's cohort (null: none).")
    seed: int
    ended_at: float = Field(description="Unix time the run was recorded (when the drill ended).")
    overall: int
    scores: dict[str, int] = Field(description="Score per dimension, 0-100.")


class History(BaseModel):
    scenario: str
    player: str | None = Field(
        description="Whose runs: yours (a player token), or the one player a facilitator "
        "asked for; null: every player of the cohort."
    )
    cohort: str | None = Field(
        description="The facilitator's scope: this drill's cohort (null: this drill alone, "
        "or a player's own runs in any cohort)."
    )
    runs: list[RunInfo] = Field(description="Oldest first.")


class CheckScore(BaseModel):
    id: str
    title: str
    points: float
    max_points: float


class RunAction(BaseModel):
    t: float = Field(description="Seconds from the page (before it: negative).")
    actor: str
    type: str


class Side(BaseModel):
    label: str
    overall: int
    scores: dict[str, int]
    checks: list[CheckScore]
    page_at: float | None
    actions: list[RunAction]
    metrics: dict[str, list[list[float | None]]] = Field(
        description="Per metric, [seconds from the page, value] samples."
    )


class Comparison(BaseModel):
    a: Side
    b: Side
