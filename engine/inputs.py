"""The input vocabulary: every action, message and control a drill accepts.

Each input is a frozen model selected by its ``type``. :func:`parse_input`
validates shape (types, ranges, unknown fields); targets are checked
against the scenario when the drill applies it. docs/actions.md is the
reference. ``CATEGORY`` (derived from the action-spec table in
``engine.actions``) groups them the way grading reads them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    TypeAdapter,
    ValidationError,
    model_serializer,
)

from .actions import ACTIONS
from .errors import InvalidInput, UnknownAction

Short = Annotated[str, Field(min_length=1, max_length=200)]
Long = Annotated[str, Field(min_length=1, max_length=2000)]
# An optional region a lever is aimed at; left out of the logged input when unset, so
# the logs of drills that never aim at a region stay as they were.
Region = Annotated[Short | None, Field(exclude_if=lambda v: v is None)]


def _kind(kind: str) -> dict[str, Any]:
    """What the client's console asks for when the field's name does not say (a responder)."""
    return {"x-kind": kind}


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    type: str


# ----------------------------------------------------------------- command
class DeclareIncident(Input):
    type: Literal["declare_incident"]
    severity: Literal["SEV1", "SEV2", "SEV3", "SEV4"]
    summary: Annotated[str, Field(max_length=500)] = ""


class TakeCommand(Input):
    type: Literal["take_command"]


class AssignRole(Input):
    type: Literal["assign_role"]
    person: Short
    role: Literal["ic", "deputy", "scribe", "comms", "ops", "sme"]


class PageTeam(Input):
    type: Literal["page_team"]
    team: Short


class Delegate(Input):
    """Give a simulated teammate (engine/responders.py) a task: any player action."""

    type: Literal["delegate"]
    person: Annotated[
        str, Field(min_length=1, max_length=200, json_schema_extra=_kind("responder"))
    ]
    task: Annotated[dict[str, Any], Field(json_schema_extra=_kind("task"))]


class Decide(Input):
    type: Literal["decide"]
    text: Long


class Hypothesis(Input):
    type: Literal["hypothesis"]
    text: Long


# ------------------------------------------------------------- investigate
class ViewDashboard(Input):
    type: Literal["view_dashboard"]
    service: Short
    breakdown: Literal["pod", "endpoint", "region"]


class ReadLogs(Input):
    type: Literal["read_logs"]
    service: Short


class ListChanges(Input):
    type: Literal["list_changes"]


class CheckMigration(Input):
    type: Literal["check_migration"]
    service: Short


class InspectQueue(Input):
    type: Literal["inspect_queue"]
    topic: Short


class InspectDependency(Input):
    type: Literal["inspect_dependency"]
    dependency: Short


class InspectDatabase(Input):
    type: Literal["inspect_database"]
    database: Short


class AskSme(Input):
    type: Literal["ask_sme"]
    team: Short
    question: Annotated[str, Field(max_length=1000)] = ""


# ------------------------------------------------------------------ impact
class StateImpact(Input):
    type: Literal["state_impact"]
    users_pct: Annotated[float, Field(ge=0, le=100, title="users affected %")]
    trend: Literal["rising", "stable", "falling"]
    data: Literal["intact", "delayed", "corrupted", "lost"]
    scope: Annotated[str, Field(max_length=500)] = ""


# ---------------------------------------------------------------- mitigate
class Rollback(Input):
    type: Literal["rollback"]
    service: Short


class DrainPod(Input):
    type: Literal["drain_pod", "undrain_pod"]
    service: Short
    pod: Short


class Scale(Input):
    type: Literal["scale"]
    service: Short
    pods: Annotated[int, Field(ge=0, le=256)]
    region: Region = None  # with it, ``pods`` is that region's count


class ScaleConsumers(Input):
    type: Literal["scale_consumers"]
    topic: Short
    consumers: Annotated[int, Field(ge=0, le=256)]


class SetFlag(Input):
    type: Literal["set_flag"]
    flag: Short
    enabled: bool
    region: Region = None  # with it, only the pods of that region


class SetBreaker(Input):
    type: Literal["set_breaker"]
    dependency: Short
    state: Literal["open", "closed"]


class ThrottleProducer(Input):
    type: Literal["throttle_producer"]
    topic: Short
    allow_pct: Annotated[float, Field(ge=0, le=100, title="allow %")]


class SkipPoison(Input):
    type: Literal["skip_poison"]
    topic: Short


class Restart(Input):
    type: Literal["restart"]
    target: Short
    mode: Literal["rolling", "all"] = "rolling"


class Failover(Input):
    type: Literal["failover"]
    database: Short


class ShedLoad(Input):
    type: Literal["shed_load"]
    service: Short
    pct: Annotated[float, Field(ge=0, le=95, title="shed %")]


class KillQuery(Input):
    type: Literal["kill_query"]
    database: Short


class ForwardFix(Input):
    type: Literal["forward_fix"]
    service: Short
    summary: Annotated[str, Field(max_length=500)] = ""


class RotateCertificate(Input):
    type: Literal["rotate_certificate"]
    certificate: Short


class RestoreRecord(Input):
    type: Literal["restore_record"]
    record: Short


class SetRetries(Input):
    type: Literal["set_retries"]
    service: Short
    dependency: Short
    retries: Annotated[int, Field(ge=0, le=10)] | None = None  # None: unchanged
    jitter: bool | None = None  # None: unchanged

    @model_serializer(mode="wrap")
    def _omit_unchanged(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """A parameter left out is logged left out (so is a log from before `jitter`)."""
        data: dict[str, Any] = handler(self)
        return {k: v for k, v in data.items() if v is not None or k not in ("retries", "jitter")}


class EvacuateRegion(Input):
    type: Literal["evacuate_region"]
    region: Short
    restore: bool = False


class Reroute(Input):
    """Send one region's calls to a regional component's instance in another region."""

    type: Literal["reroute"]
    component: Short  # a database or dependency with an instance per region
    region: Short  # whose pods' calls move
    to: Short  # the region whose instance takes them (the callers' own: back home)


class RollbackConfig(Input):
    type: Literal["rollback_config"]
    config: Short


class HaltConfigPush(Input):
    type: Literal["halt_config_push"]
    config: Short


class PauseAutoscaler(Input):
    type: Literal["pause_autoscaler"]
    service: Short
    paused: bool = True


class CapAutoscaler(Input):
    type: Literal["cap_autoscaler"]
    service: Short
    max_pods: Annotated[int, Field(ge=1, le=256)]


class RequestQuotaRaise(Input):
    type: Literal["request_quota_raise"]
    dependency: Short
    rps: Annotated[float, Field(gt=0, le=100_000)]


class WarmCache(Input):
    type: Literal["warm_cache"]
    cache: Short


class SetCoalescing(Input):
    type: Literal["set_coalescing"]
    cache: Short
    enabled: bool


class FreeResource(Input):
    type: Literal["free_resource"]
    service: Short
    resource: Literal["memory", "fds", "disk"]


class RaiseLimit(Input):
    type: Literal["raise_limit"]
    service: Short
    resource: Literal["memory", "fds", "disk"]
    factor: Annotated[float, Field(gt=1, le=100)] = 2.0


class SetTimeout(Input):
    type: Literal["set_timeout"]
    service: Short
    dependency: Short
    timeout_ms: Annotated[float, Field(gt=0, le=600_000)]


class RateLimit(Input):
    type: Literal["rate_limit"]
    service: Short
    rps: Annotated[float, Field(ge=0, le=100_000)]
    client: Short | None = None  # one client (traffic.clients) ...
    endpoint: Annotated[str, Field(min_length=1, max_length=80)] | None = None  # ... or endpoint


# ------------------------------------------------------------- communicate
class StatusUpdate(Input):
    type: Literal["status_update"]
    audience: Literal["public", "internal", "executive"]
    state: Literal["investigating", "identified", "monitoring", "resolved"]
    impact: Annotated[str, Field(min_length=1, max_length=1000)]
    action: Annotated[str, Field(max_length=1000)] = ""
    next_update_min: Annotated[int, Field(ge=1, le=240)] | None = Field(
        None, title="next update (min)"
    )
    text: Annotated[str, Field(max_length=2000)] = ""


class Chat(Input):
    type: Literal["chat"]
    text: Long


# ------------------------------------------------------------- facilitator
class FireInject(Input):
    type: Literal["inject"]
    id: Annotated[str, Field(min_length=1, max_length=200, json_schema_extra=_kind("inject"))]


class Message(Input):
    type: Literal["message"]
    sender: Short
    role: Literal["executive", "sme", "customer", "support", "teammate", "system"] = "teammate"
    channel: Literal["chat", "executive", "customer", "pager"] = "chat"
    text: Long
    reply_to: Annotated[int, Field(ge=1)] | None = None  # the seq of the message answered


class Note(Input):
    type: Literal["note"]
    text: Long


class UsePrompt(Input):
    """Mark a prompt card used; ``send`` also has its character say its ``say`` line."""

    type: Literal["use_prompt"]
    id: Annotated[str, Field(min_length=1, max_length=200, json_schema_extra=_kind("prompt"))]
    send: bool = False


class Clock(Input):
    type: Literal["clock"]
    action: Literal["start", "pause", "resume", "speed", "step", "jump"]
    speed: Annotated[float, Field(gt=0, le=600)] | None = None
    seconds: Annotated[float, Field(gt=0, le=3600)] | None = None


class End(Input):
    type: Literal["end"]
    reason: Annotated[str, Field(max_length=200)] = "ended by facilitator"


AnyInput = Annotated[
    DeclareIncident
    | TakeCommand
    | AssignRole
    | PageTeam
    | Delegate
    | Decide
    | Hypothesis
    | ViewDashboard
    | ReadLogs
    | ListChanges
    | CheckMigration
    | InspectQueue
    | InspectDependency
    | InspectDatabase
    | AskSme
    | StateImpact
    | Rollback
    | DrainPod
    | Scale
    | ScaleConsumers
    | SetFlag
    | SetBreaker
    | ThrottleProducer
    | SkipPoison
    | Restart
    | Failover
    | ShedLoad
    | KillQuery
    | ForwardFix
    | RotateCertificate
    | RestoreRecord
    | SetRetries
    | EvacuateRegion
    | Reroute
    | RollbackConfig
    | HaltConfigPush
    | PauseAutoscaler
    | CapAutoscaler
    | RequestQuotaRaise
    | WarmCache
    | SetCoalescing
    | FreeResource
    | RaiseLimit
    | SetTimeout
    | RateLimit
    | StatusUpdate
    | Chat
    | FireInject
    | Message
    | Note
    | UsePrompt
    | Clock
    | End,
    Field(discriminator="type"),
]
_ADAPTER: TypeAdapter[Any] = TypeAdapter(AnyInput)

CATEGORY: dict[str, str] = {t: a.category for t, a in ACTIONS.items()}
INPUT_TYPES: tuple[str, ...] = tuple(CATEGORY)

# Who may submit what; the server enforces this same table.
PERMISSIONS: dict[str, frozenset[str]] = {
    "facilitator": frozenset(INPUT_TYPES),
    "player": frozenset(t for t, c in CATEGORY.items() if c != "facilitate"),
    "observer": frozenset(),
}


def parse_input(data: Any) -> Input:
    """Validate one input; raise UnknownAction / InvalidInput saying what is valid."""
    if not isinstance(data, dict):
        raise InvalidInput(f"an input must be an object with a `type` (got {type(data).__name__})")
    kind = data.get("type")
    if not isinstance(kind, str) or kind not in CATEGORY:  # a list or dict is unhashable
        raise UnknownAction(f"unknown action {kind!r}; valid actions: {', '.join(INPUT_TYPES)}")
    try:
        return _ADAPTER.validate_python(data)  # type: ignore[no-any-return]
    except ValidationError as exc:
        parts = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"][1:]) or "input"
            if err["type"] == "missing":
                parts.append(f"`{loc}` is required")
            elif err["type"] == "extra_forbidden":
                parts.append(f"`{loc}` is not a parameter of {kind}")
            else:
                parts.append(f"`{loc}` {err['msg'].lower()} (got {err.get('input')!r})")
        fields = _fields(kind)
        hint = f"; {kind} takes: {', '.join(fields)}" if fields else f"; {kind} takes no parameters"
        raise InvalidInput(f"{kind}: " + "; ".join(parts) + hint) from None


def input_model(kind: str) -> type[Input]:
    """The model of input type ``kind`` (KeyError if there is none)."""
    for cls in Input.__subclasses__():
        ann = cls.model_fields["type"].annotation
        if kind in getattr(ann, "__args__", ()):
            return cls
    raise KeyError(kind)


def _fields(kind: str) -> list[str]:
    try:
        return [n for n in input_model(kind).model_fields if n != "type"]
    except KeyError:
        return []
