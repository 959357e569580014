"""The scenario format: frozen, typed objects parsed from YAML.

A scenario is data, not code: topology, traffic, faults on a timeline,
alert rules, injects, the hidden truth and grading expectations. Load one
with :func:`engine.loader.load_scenario` (located errors) or
:func:`engine.loader.scenario_from_dict`: they also run the checks that need
layers above this one (metric names, the rubric, the postmortem's rules).
The field reference is docs/scenario-format.md; the JSON Schema is
scenarios/scenario.schema.json (generated from these models).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from .actions import ACTIONS
from .errors import Problem
from .prompt_cards import LOOKS, Act, Look, PromptCard, Situation  # noqa: F401  (documented models)
from .roster import Busy, Mistake, Responder  # noqa: F401  (documented models)
from .templates import partial_model
from .timeexpr import Duration
from .yamldoc import Document, format_path

Name = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9_./ -]*$")]
Slug = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9-]*$")]
Pct = Annotated[float, Field(ge=0, le=100)]
Text = Annotated[str, Field(min_length=1, max_length=4000)]
Period = Annotated[Duration, Field(gt=0, le=86_400)]  # a positive length of time
Delay = Annotated[Duration, Field(ge=0, le=86_400)]  # zero or more
ChoiceName = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")]


class Model(BaseModel):
    """Frozen, typo-proof base: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# --------------------------------------------------------------------- topology


class Effect(Model):
    """What a version, a flag-guarded path or a bad pod does to requests."""

    endpoint: str | None = Field(None, description="endpoint name; omitted = every endpoint")
    error_pct: Pct = 0.0
    latency_ms: Annotated[float, Field(ge=0)] = 0.0
    cpu_factor: Annotated[float, Field(gt=0, le=1000)] = 1.0
    when_flag: str | None = Field(None, description="only while this flag is enabled")
    log: str | None = Field(None, description="log line the affected requests write")


class Version(Model):
    name: Name
    effects: list[Effect] = []


class Latency(Model):
    p50: Annotated[float, Field(gt=0)] = 40.0
    p99: Annotated[float, Field(gt=0)] = 200.0


class Call(Model):
    """One call an endpoint makes to a dependency, with its retry policy."""

    to: str = Field(..., description="the dependency or service called")
    timeout_ms: Annotated[
        float, Field(gt=0, description="a call to a service gives up after this long")
    ] = 2000.0
    retries: Annotated[
        int, Field(ge=0, le=10, description="extra attempts after a failed or timed-out call")
    ] = 0
    backoff_ms: Annotated[float, Field(ge=0, le=60_000, description="wait before each retry")] = (
        100.0
    )
    retry_budget_pct: (
        Annotated[
            float,
            Field(ge=0, le=100, description="retries may add at most this share of first attempts"),
        ]
        | None
    ) = None
    jitter: bool = Field(
        default=True,
        description="each retry waits a random share of the backoff (full jitter); false: "
        "every client waits exactly the backoff, so retries after a blip arrive in waves",
    )


class Endpoint(Model):
    name: Annotated[str, Field(min_length=1, max_length=80)]
    share: Annotated[float, Field(gt=0, le=1)]
    calls: list[str | Call] = Field(
        [], description="downstream dependencies called per request: a name or a call"
    )
    database: str | None = None
    cache: str | None = Field(None, description="reads go through this cache; misses hit the DB")
    produces: str | None = Field(None, description="topic each request publishes to")
    writes: bool = False
    revenue_per_request: Annotated[float, Field(ge=0)] = 0.0
    business: str | None = Field(None, description="business flow label, e.g. checkout")

    @property
    def call_specs(self) -> list[Call]:
        """Every call as a :class:`Call` (a bare name is a call without retries)."""
        return [Call(to=c) if isinstance(c, str) else c for c in self.calls]

    @property
    def call_names(self) -> list[str]:
        """The dependencies this endpoint calls, in order."""
        return [c if isinstance(c, str) else c.to for c in self.calls]


class ColdStart(Model):
    """A started pod is cold: empty caches and new connections call its callees harder."""

    for_: Period = Field(
        60.0, alias="for", description="a started or restarted pod is cold this long"
    )
    call_factor: Annotated[float, Field(gt=1, le=50)] = Field(
        ..., description="a cold pod's requests call every callee this many times as often"
    )


class ShedRetries(Model):
    """Clients retry the requests load shedding refuses (a 429 with Retry-After): they wait,
    then come back on top of new traffic, so lifting a shed all at once meets its backlog."""

    pct: Pct = Field(..., description="share of shed requests whose clients retry them")
    backoff: Period = Field(30.0, description="mean wait before a client retries")


LabelKey = Annotated[str, Field(max_length=63, pattern=r"^[a-z][a-z0-9_.-]*$")]
LabelValue = Annotated[str, Field(max_length=63, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]


class Autoscaler(Model):
    """A horizontal autoscaler: it sizes the fleet to hold a utilisation target."""

    metric: Literal["cpu", "workers"] = Field(
        "cpu", description="what it watches: CPU or busy workers (concurrency)"
    )
    target_pct: Annotated[float, Field(gt=0, le=100)] = 60.0
    min_pods: Annotated[int, Field(ge=1, le=256)] = 1
    max_pods: Annotated[int, Field(ge=1, le=256)] | None = Field(
        None, description="the most pods it asks for (omitted: the service's max_pods)"
    )
    every: Period = Field(30.0, description="time between two evaluations")
    scale_in_after: Period = Field(
        300.0, description="it scales in only after wanting fewer pods this long"
    )


def _use_lends_required(schema: dict[str, Any]) -> None:
    """JSON Schema: a service that ``use``s a template needs only its name (the template
    may give the rest; expansion checks that it does)."""
    required = schema.pop("required", [])
    schema["required"] = ["name"]
    schema["if"] = {"not": {"required": ["use"]}}
    schema["then"] = {"required": required}


class Service(Model):
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, json_schema_extra=_use_lends_required
    )
    name: Name
    pods: Annotated[int, Field(ge=1, le=64)]
    rps_share: Annotated[float, Field(ge=0, le=1)] = 1.0
    capacity_rps_per_pod: Annotated[float, Field(gt=0)]
    workers_per_pod: Annotated[int, Field(ge=1, le=10_000)] = 64
    latency_ms: Latency = Latency()
    version: Name
    versions: list[Version]
    endpoints: Annotated[list[Endpoint], Field(min_length=1)]
    regions: list[Name] = Field([], description="pods are spread over these round-robin")
    restart: Period = 45.0
    rollout: Period = Field(120.0, description="time to roll a new version over the fleet")
    rollback: Period = Field(300.0, description="time to roll back over the fleet")
    max_pods: Annotated[int, Field(ge=1, le=256)] = 32
    scale_up: Period = Field(90.0, description="time for a new pod to become ready")
    fix_version: str | None = Field(None, description="version a forward fix ships")
    fix_time: Period = Field(600.0, description="time to write, review and build a fix")
    cold_start: ColdStart | None = Field(
        None, description="started pods call their callees harder for a while (omitted: no)"
    )
    shed_retries: ShedRetries | None = Field(
        None, description="clients retry shed requests later (omitted: they do not)"
    )
    autoscaler: Autoscaler | None = Field(None, description="omitted: the fleet keeps its size")
    # Reuse (engine/templates.py): a template to start from, labels for fault selectors.
    use: Name | None = Field(
        None, description="start from this template; fields written here override it"
    )
    labels: dict[LabelKey, LabelValue] = Field(
        {}, description="labels a fault's `services: {selector: ...}` matches, e.g. tier: edge"
    )


# What expansion validates a template's fields with: a Service with every field optional.
PartialService = partial_model(
    Service,
    "PartialService",
    "A service block with every field optional, for a template.",
    ("name", "use"),
    name=(Name, Field(..., description="the template's name, for `use:`")),
)


class ServiceTemplate(Model):
    """A named partial service block services reuse with ``use:`` (checked on expansion)."""

    model_config = ConfigDict(extra="allow", frozen=True)
    name: Name = Field(..., description="what services write after `use:`")


class Selector(Model):
    """Services picked by their labels: every service that has all of them."""

    selector: Annotated[dict[LabelKey, LabelValue], Field(min_length=1)] = Field(
        ..., description="label: value pairs a service must all have"
    )


class Dependency(Model):
    name: Name
    kind: str = "http"
    latency_ms: Annotated[float, Field(gt=0)] = 80.0
    error_pct: Pct = 0.0
    timeout_ms: Annotated[float, Field(gt=0)] = 2000.0
    fallback: Literal["degrade", "fail"] = Field(
        "fail", description="what callers do while the breaker is open"
    )
    capacity_rps: Annotated[float, Field(gt=0)] | None = Field(
        None, description="calls per second it serves; beyond it calls queue (omitted: no limit)"
    )
    max_queue_s: Period = Field(
        30.0, description="seconds of work its queue holds before it rejects calls"
    )
    quota_rps: Annotated[float, Field(gt=0)] | None = Field(
        None, description="calls per second our account may make; beyond it calls get 429"
    )
    quota_max_rps: Annotated[float, Field(gt=0)] | None = Field(
        None, description="the most a quota raise is granted (omitted: what is asked)"
    )
    quota_raise_after: Period = Field(900.0, description="time for a quota raise to be granted")
    regions: list[Name] = Field(
        [],
        description="one instance in each of these regions, named <name>.<region>; pods call "
        "their own region's (one region: it lives there; omitted: one, reached from everywhere)",
    )
    cross_region_ms: Annotated[float, Field(ge=0, le=10_000)] = Field(
        60.0, description="latency a call adds when it goes to another region's instance"
    )


class Database(Model):
    name: Name
    pool_size: Annotated[int, Field(ge=1, le=100_000)]
    query_ms: Annotated[float, Field(gt=0)] = 5.0
    wait_timeout_ms: Annotated[float, Field(gt=0)] = 3000.0
    restart: Period = 30.0
    failover: Period = 180.0
    regions: list[Name] = Field(
        [],
        description="one instance in each of these regions, named <name>.<region>; pods call "
        "their own region's (one region: it lives there; omitted: one, reached from everywhere)",
    )
    cross_region_ms: Annotated[float, Field(ge=0, le=10_000)] = Field(
        60.0, description="latency a call adds when it goes to another region's instance"
    )


class ConsumerGroup(Model):
    name: Name
    consumers: Annotated[int, Field(ge=0, le=256)]
    rate_per_consumer: Annotated[float, Field(gt=0)]
    rebalance: Period = Field(45.0, description="consumption pause per rebalance")
    join: Period = Field(20.0, description="time for a new consumer to start and join")
    crash_every: Period = Field(60.0, description="crash loop period on a poison message")


class Topic(Model):
    name: Name
    partitions: Annotated[int, Field(ge=1, le=1024)]
    max_lag: Annotated[float, Field(gt=0)] = Field(
        ..., description="messages of lag at which producers are back-pressured"
    )
    msgs_per_request: Annotated[float, Field(gt=0)] = 1.0
    group: ConsumerGroup


class Flag(Model):
    name: Name
    enabled: bool
    description: str = ""
    propagation: Period = Field(30.0, description="time for a flip to reach every pod")
    kill_switch: bool = False
    off_cost: str | None = Field(None, description="what is given up while a kill switch is off")


class Certificate(Model):
    """A TLS certificate or credential the pods of some services present."""

    name: Name
    services: Annotated[list[str], Field(min_length=1)] = Field(
        ..., description="services whose pods present it"
    )
    dependency: str | None = Field(
        None, description="the hop it authenticates (omitted: every inbound request)"
    )
    rotate: Period = Field(300.0, description="time to issue a new one and reload every pod")


class Config(Model):
    """A runtime configuration (rules, limits, routing) the pods of some services load."""

    name: Name
    services: Annotated[list[str], Field(min_length=1)] = Field(
        ..., description="services whose pods load it (new pods load the current version)"
    )
    propagation: Period = Field(
        30.0, description="time for a push stage, a halt or a rollback to reach the pods"
    )


class Cache(Model):
    """A cache in front of a database: hits never reach it, misses do."""

    name: Name
    database: str = Field(..., description="the database it fronts")
    hit_pct: Pct = Field(95.0, description="share of reads it answers when warm")
    refill: Period = Field(
        600.0, description="time a cold cache takes to refill from the reads that succeed"
    )
    prewarm: Period = Field(120.0, description="time a warm-up job takes to fill it")
    snapshot: bool = Field(
        True, description="a snapshot to warm it from exists (without one, warm_cache is refused)"
    )
    coalesce_factor: Annotated[float, Field(gt=1, le=1000)] = Field(
        20.0, description="with coalescing on, misses of one key share one DB read"
    )


class Record(Model):
    """A DNS name callers resolve to reach a service or dependency (service discovery)."""

    name: Name = Field(..., description="the service or dependency it points at")
    hostname: str | None = Field(
        None, max_length=253, description="the name as callers resolve it (omitted: `name`)"
    )
    ttl: Period = Field(60.0, description="how long a caller's pod keeps a good answer")
    negative_ttl: Period = Field(
        300.0, description="how long a pod keeps an empty or NXDOMAIN answer (SOA minimum)"
    )
    restore: Period = Field(
        120.0, description="time for a corrected record to be published (`restore_record`)"
    )


class Topology(Model):
    services: Annotated[list[Service], Field(min_length=1)]
    templates: list[ServiceTemplate] = Field(
        [], description="named partial service blocks services `use:`"
    )
    dependencies: list[Dependency] = []
    databases: list[Database] = []
    topics: list[Topic] = []
    flags: list[Flag] = []
    certificates: list[Certificate] = []
    configs: list[Config] = []
    caches: list[Cache] = []
    discovery: list[Record] = Field(
        [], description="DNS names callers resolve and cache (`dns_failure`)"
    )


# ---------------------------------------------------------------- time line


class Region(Model):
    name: Name
    share: Annotated[float, Field(gt=0, le=1)]


class Surge(Model):
    at: Duration
    multiplier: Annotated[float, Field(gt=0, le=100)]
    ramp: Delay = 300.0
    hold: Period | None = Field(None, description="omitted: the surge lasts to the end")


class Client(Model):
    """A traffic source (an app, a partner integration): a share of every service's users."""

    name: Name
    share: Annotated[float, Field(gt=0, le=1)] = Field(
        ..., description="share of the user traffic it sends (the rest: unnamed clients)"
    )


class Traffic(Model):
    base_rps: Annotated[float, Field(gt=0)]
    users: Annotated[int, Field(ge=1)] = 100_000
    noise_pct: Annotated[float, Field(ge=0, le=50)] = 2.0
    surges: list[Surge] = []
    regions: list[Region] = []
    clients: list[Client] = Field(
        [], description="named traffic sources (`client_surge`, `rate_limit`)"
    )


class Migration(Model):
    id: Name
    description: str = ""
    reversible: bool
    corrupt_pct: Pct = Field(
        20.0, description="share of writes old code corrupts after an irreversible migration"
    )


class Change(Model):
    """An entry of the change feed before the drill starts (a decoy or the culprit)."""

    id: Name
    kind: Literal["deploy", "config", "migration", "flag", "infra", "data", "automation"]
    at: Duration
    service: str | None = None
    summary: Text
    version: str | None = None
    migration: Migration | None = None
    by: str = "deploy pipeline"


class Cause(Model):
    """What starts (``when``) or ends (``until``) a fault: exactly one trigger."""

    metric: str | None = None
    op: Literal[">", ">=", "<", "<="] = ">"
    threshold: float | None = None
    for_: Delay = Field(0.0, alias="for", description="the metric condition holds this long")
    alert: str | None = Field(None, description="an alert fires")
    action: str | None = Field(None, description="a player sends this action")
    target: str | None = Field(None, description="... naming this component")
    enabled: bool | None = Field(
        None, description="... setting it to this (a flag, a breaker, coalescing): on or off"
    )
    fault: Name | None = Field(None, description="the fault with this id ends")
    started: Name | None = Field(None, description="the fault with this id starts")
    delay: Delay = Field(0.0, description="the fault starts or ends this long after")

    @model_validator(mode="after")
    def _one_trigger(self) -> Cause:
        triggers = [self.metric, self.alert, self.action, self.fault, self.started]
        if sum(t is not None for t in triggers) != 1:
            raise ValueError(
                "needs exactly one of `metric`, `alert`, `action`, `fault` or `started`"
            )
        if self.metric is not None and self.threshold is None:
            raise ValueError("`metric` needs a `threshold`")
        if self.target is not None and self.action is None:
            raise ValueError("`target` goes with `action`")
        if self.enabled is not None and self.action not in ("set_flag", "set_coalescing"):
            raise ValueError("`enabled` goes with `action: set_flag` or `set_coalescing`")
        return self


class FaultBase(Model):
    id: Name | None = None
    at: Duration = Field(0.0, description="start time; with `when`, the cause is watched from it")
    jitter: Delay = Field(0.0, description="seeded +/- shift of `at`")
    log: str | None = Field(None, description="log line this fault makes the system write")
    when: Cause | None = Field(None, description="start when this cause happens, not at `at`")
    until: Cause | None = Field(None, description="end when this happens (the cause went)")


class ReleaseFault(FaultBase):
    kind: Literal["deploy", "config_push"]
    service: str
    version: str
    summary: str = ""
    migration: Migration | None = None


class PodFault(FaultBase):
    kind: Literal["pod_failure"]
    service: str | None = Field(None, description="the service hit (or `services`)")
    services: (
        Annotated[
            Annotated[list[str], Tag("names")] | Annotated[Selector, Tag("selector")],
            Discriminator(lambda v: "names" if isinstance(v, list) else "selector"),
        ]
        | None
    ) = Field(None, description="several services hit by one line: their names or a label selector")
    pod: int | Literal["random", "all"] = "random"
    error_pct: Pct = 100.0
    latency_ms: Annotated[float, Field(ge=0)] = 0.0
    reason: str = "pod unhealthy"
    fixed_by_restart: bool = False
    shared_cause: Literal["config", "certificate", "image", "host"] | None = Field(
        None,
        description="a cause every pod shares (with pod: all): pods added later have it too",
    )
    region: str | None = Field(None, description="with pod: all, only the pods of this region")

    @model_validator(mode="after")
    def _one_target(self) -> PodFault:
        if (self.service is None) == (self.services is None):
            raise ValueError("needs exactly one of `service` or `services`")
        return self


class CertExpiryFault(FaultBase):
    kind: Literal["cert_expiry"]
    certificate: str
    error_pct: Pct = Field(100.0, description="share of handshakes that fail")


class ConfigRolloutFault(FaultBase):
    """A new version of a config is pushed: globally, or stage by stage."""

    kind: Literal["config_rollout"]
    config: str
    version: Name
    error_pct: Pct = Field(0.0, description="share of requests failing on pods that loaded it")
    latency_ms: Annotated[float, Field(ge=0)] = 0.0
    crash: bool = Field(False, description="the binary crashes loading it: pods crash-loop")
    stages: list[Name | Pct] = Field(
        [],
        description="where it spreads, in order: region names or cumulative % of pods "
        "(omitted: every pod at once)",
    )
    stage_every: Period = Field(300.0, description="time between two stages")


class DnsFault(FaultBase):
    """Resolution of one name breaks: its record is deleted or emptied, or the resolver fails."""

    kind: Literal["dns_failure"]
    record: str = Field(..., description="the `discovery` record whose lookups fail")
    answer: Literal["empty", "nxdomain", "servfail"] = Field(
        "empty",
        description="what lookups get: no addresses or no such name (both cached for the "
        "record's `negative_ttl`), or a resolver failure (not cached)",
    )
    latency_ms: Annotated[float, Field(ge=0)] = Field(
        0.0, description="time a failing lookup takes (a resolver that is down times out)"
    )


class QuotaFault(FaultBase):
    """The provider changes our quota (a plan change, an abuse rule, a shared pool)."""

    kind: Literal["quota_cut"]
    dependency: str
    rps: Annotated[float, Field(gt=0)]


class CacheFlushFault(FaultBase):
    """The cache loses its contents (a flush, a node restart, a deploy of the cache)."""

    kind: Literal["cache_flush"]
    cache: str


class LeakFault(FaultBase):
    """A fleet's pods leak a resource until it is exhausted (memory, descriptors, disk)."""

    kind: Literal["resource_leak"]
    service: str
    resource: Literal["memory", "fds", "disk"]
    fill: Period = Field(600.0, description="time for a fresh pod to fill it")
    version: Name | None = Field(
        None, description="the leak is in this version's code (omitted: in every version)"
    )
    flag: Name | None = Field(None, description="the leak happens only while this flag is on")


class SurgeFault(FaultBase):
    kind: Literal["traffic_surge"]
    multiplier: Annotated[float, Field(gt=0, le=100)]
    ramp: Delay = 60.0


class ClientSurgeFault(FaultBase):
    """One client sends more (a retry loop in a release, a polling storm, a partner's bug)."""

    kind: Literal["client_surge"]
    client: str = Field(..., description="the `traffic.clients` entry that surges")
    multiplier: Annotated[float, Field(gt=1, le=100)] = Field(
        ..., description="it sends this many times its share"
    )
    ramp: Delay = 60.0


class DependencyFault(FaultBase):
    kind: Literal["dependency"]
    dependency: str
    latency_ms: Annotated[float, Field(gt=0)] | None = None
    error_pct: Pct | None = None
    recover_at: Duration | None = None


class FlagFault(FaultBase):
    kind: Literal["flag_flip"]
    flag: str
    enabled: bool
    region: str | None = Field(None, description="only in this region (omitted: everywhere)")


class PoisonFault(FaultBase):
    kind: Literal["poison"]
    topic: str
    count: Annotated[int, Field(ge=1)] = 1
    partitions: Annotated[int, Field(ge=1)] = 1


class BlockerFault(FaultBase):
    kind: Literal["db_blocker"]
    database: str
    hold_factor: Annotated[float, Field(gt=1, le=100_000)] = 200.0
    description: str = "long-running transaction holding row locks"
    recurs_after: Period | None = Field(None, description="the blocker comes back (retries)")
    stopped_by_flag: str | None = Field(None, description="turning this flag off stops recurrence")


Tool = Literal["dashboards", "logs", "deploys", "alerting"]


class ToolOutageFault(FaultBase):
    """Internal tools that share fate with the outage stop working while it lasts."""

    kind: Literal["tool_outage"]
    tools: Annotated[list[Tool], Field(min_length=1)] = Field(
        ...,
        description="what goes down: dashboards (stale panels), logs (no search), "
        "deploys (no rollback, fix or config push), alerting (no alert fires or resolves)",
    )
    reason: Text = Field(
        ..., description="why, as a responder sees it (the answers quote it): a symptom"
    )
    on_deploy: Literal["refuse", "queue"] = Field(
        "refuse",
        description="a deploy lever meanwhile: refused, or accepted and queued until "
        "the deploy system is back",
    )
    recover_at: Duration | None = Field(None, description="the tools come back at this time")


Fault = Annotated[
    ReleaseFault
    | PodFault
    | DependencyFault
    | FlagFault
    | PoisonFault
    | BlockerFault
    | CertExpiryFault
    | ConfigRolloutFault
    | QuotaFault
    | CacheFlushFault
    | DnsFault
    | LeakFault
    | SurgeFault
    | ToolOutageFault
    | ClientSurgeFault,
    Field(discriminator="kind"),
]


class AlertRule(Model):
    name: Name
    metric: str
    op: Literal[">", ">=", "<", "<="] = ">"
    threshold: float
    for_: Delay = Field(60.0, alias="for")
    severity: Literal["page", "ticket"] = "page"
    summary: str = ""


class Condition(Model):
    """When an inject fires: after an alert, a metric crossing, or a time after the page."""

    alert: str | None = None
    metric: str | None = None
    op: Literal[">", ">=", "<", "<="] = ">"
    threshold: float | None = None
    after_page: Delay | None = None
    no_status_update: bool = Field(False, description="only if no public update was posted yet")

    @model_validator(mode="after")
    def _one_trigger(self) -> Condition:
        triggers = [self.alert is not None, self.metric is not None, self.after_page is not None]
        if sum(triggers) != 1:
            raise ValueError("needs exactly one of `alert`, `metric` or `after_page`")
        if self.metric is not None and self.threshold is None:
            raise ValueError("`metric` needs a `threshold`")
        return self


class Inject(Model):
    id: Slug
    at: Delay | None = None
    when: Condition | None = None
    delay: Delay = 0.0
    sender: str = Field(..., alias="from")
    role: Literal["executive", "sme", "customer", "support", "teammate", "system"] = "teammate"
    channel: Literal["chat", "executive", "customer", "pager"] = "chat"
    text: Text
    asks: Literal["eta", "impact", "status"] | None = None

    @model_validator(mode="after")
    def _timed(self) -> Inject:
        if (self.at is None) == (self.when is None):
            raise ValueError("needs exactly one of `at` or `when`")
        return self


class Expert(Model):
    team: Slug
    name: str = ""
    answer: Text


class LogLine(Model):
    """A background log line (noise or red herring) shown by read_logs."""

    service: str
    text: Text
    level: Literal["DEBUG", "INFO", "WARN", "ERROR"] = "INFO"


class ActionItem(Model):
    title: Text
    owner: str
    due_days: Annotated[int, Field(ge=1, le=365)] = 14
    verification: Text


class Truth(Model):
    trigger: Text
    root_cause: Text
    contributing_factors: list[Text] = []
    causal_chain: Annotated[list[Text], Field(min_length=1)] = Field(
        ..., description="why 1..n, ending at a systemic cause"
    )
    action_items: list[ActionItem] = []
    lucky: list[Text] = []
    giveaways: list[Annotated[str, Field(min_length=2, max_length=80)]] = Field(
        [],
        description="words that name the cause or the fix (`WAF`, `certificate`, `drain`): "
        "`firedrill check` fails a title, symptom or audience that contains one, since a "
        "paged engineer does not know them yet",
    )


class Source(Model):
    title: Text
    url: Annotated[str, Field(pattern=r"^https?://")]
    organisation: Annotated[str | None, Field(min_length=1, max_length=120)] = None
    date: Annotated[
        str | None,
        Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="the day of the incident, YYYY-MM-DD"),
    ] = None


class Slo(Model):
    availability_pct: Annotated[float, Field(gt=0, lt=100)] = 99.9
    window_days: Annotated[int, Field(ge=1, le=365)] = 30
    shed_weight: Annotated[
        float,
        Field(
            ge=0,
            le=1,
            description="how much a shed or rate-limited request (a fast 429 the client backs "
            "off and retries) counts toward users affected, money lost and the error budget, "
            "relative to a failed one",
        ),
    ] = 0.5


class MitigationRule(Model):
    """A mitigation the grader recognises: an action type, optionally on a target."""

    action: str
    target: str | None = None
    why: Text


class Expectations(Model):
    """Scenario-specific grading expectations (see docs/grading.md)."""

    par_mitigate: Period | None = None
    correct: list[MitigationRule] = []
    acceptable: list[MitigationRule] = []
    harmful: list[MitigationRule] = []
    windows: dict[str, Period] = {}
    weights: dict[str, Annotated[float, Field(ge=0)]] = {}
    impact_threshold_pct: Annotated[float, Field(gt=0, le=100)] = 5.0


class Scenario(Model):
    id: Slug
    title: Text
    summary: Text
    scenario_class: Literal[
        "deploy-error-spike",
        "irreversible-migration",
        "consumer-lag",
        "bad-pod",
        "dependency-failure",
        "feature-flag",
        "certificate-expiry",
        "config-push",
        "retry-storm",
        "regional-outage",
        "autoscaling-loop",
        "cache-stampede",
        "resource-exhaustion",
        "service-discovery",
        "rate-limit",
        "data-integrity",
        "shared-fate",
        "multi-fault",
        "real-incident",
    ] = Field(..., alias="class")
    difficulty: Literal["beginner", "intermediate", "advanced"] = "intermediate"
    teaches: str = ""
    # what the page says and who the drill is for: all a paged engineer knows before looking
    symptom: str = ""
    audience: str = ""
    tags: list[Slug] = []
    source: Source | None = None
    duration: Annotated[Duration, Field(ge=60, le=14_400)] = 1800.0
    tick: Annotated[Duration, Field(gt=0, le=60)] = 1.0
    sample_every: Annotated[Duration, Field(gt=0, le=600)] = 10.0
    slo: Slo = Slo()
    traffic: Traffic
    topology: Topology
    changes: list[Change] = []
    faults: list[Fault] = []
    alerts: list[AlertRule] = []
    injects: list[Inject] = []
    prompts: list[PromptCard] = Field(
        [], description="facilitator-only hints keyed to situations (players never see them)"
    )
    experts: list[Expert] = []
    logs: list[LogLine] = []
    truth: Truth
    grading: Expectations = Expectations()
    # simulated teammates for solo drills (engine/responders.py); None: the default roster
    responders: list[Responder] | None = None
    # seed-chosen values any string names as ${name} (engine/choices.py)
    choices: dict[ChoiceName, Annotated[list[Name], Field(min_length=2, max_length=16)]] = Field(
        {},
        description="values a drill draws from its seed, one per name; any string names the "
        "drawn value as ${name} (a failing region, the service hit, a decoy)",
    )

    # -- lookups used by the world model and the action validator
    def service(self, name: str) -> Service:
        return next(s for s in self.topology.services if s.name == name)

    def services_hit(self, fault: PodFault) -> list[str]:
        """The services a pod fault line hits, in topology order (its one ``service``,
        the ``services`` it names, or those whose labels match its selector)."""
        if fault.service is not None:
            return [fault.service]
        if isinstance(fault.services, list):
            return list(fault.services)
        assert fault.services is not None
        want = fault.services.selector.items()
        return [s.name for s in self.topology.services if want <= s.labels.items()]


# Fault kinds that can end when their cause goes (``until``).
ENDABLE = (
    "pod_failure",
    "dependency",
    "cert_expiry",
    "traffic_surge",
    "db_blocker",
    "config_rollout",
    "quota_cut",
    "resource_leak",
    "dns_failure",
    "tool_outage",
    "client_surge",
)


def instance_name(name: str, region: str) -> str:
    """The name of a regional database's or dependency's instance in ``region``."""
    return f"{name}.{region}"


def instance_names(specs: Sequence[Database | Dependency]) -> list[str]:
    """Every component ``specs`` stand for: a name, or one instance per region of one
    with two or more ``regions`` (engine/regional.py), in declaration order."""
    return [
        instance_name(s.name, r) if len(s.regions) >= 2 else s.name
        for s in specs
        for r in (s.regions if len(s.regions) >= 2 else [""])
    ]


def _with_instances(specs: Sequence[Database | Dependency]) -> list[str]:
    """Names of ``specs`` and of the per-region instances of the regional ones."""
    split = [s for s in specs if len(s.regions) >= 2]
    return [s.name for s in specs] + instance_names(split)


def _names(topo: Topology) -> dict[str, list[str]]:
    """The names the topology declares, by component kind."""
    return {
        "service": [s.name for s in topo.services],
        # A regional one is also each of its instances (faults and levers name one).
        "dependency": _with_instances(topo.dependencies),
        "database": _with_instances(topo.databases),
        "topic": [t.name for t in topo.topics],
        "flag": [f.name for f in topo.flags],
        "certificate": [c.name for c in topo.certificates],
        "config": [c.name for c in topo.configs],
        "cache": [c.name for c in topo.caches],
    }


def component_names(sc: Scenario) -> set[str]:
    """Every component and region a rule may target."""
    return {v for vs in _names(sc.topology).values() for v in vs} | {
        r.name for r in sc.traffic.regions
    }


def names_by_kind(sc: Scenario) -> dict[str, list[str]]:
    """Every named thing of ``sc`` by kind, as action and look targets name them."""
    return {
        **_names(sc.topology),
        "record": [r.name for r in sc.topology.discovery],
        "region": [r.name for r in sc.traffic.regions],
    }


def reference_problems(
    sc: Scenario, doc: Document, known_metrics: Collection[str]
) -> list[Problem]:
    """Cross-field checks pydantic cannot express, located like schema errors.

    ``known_metrics`` are the metric names the scenario has (``engine.metrics``
    derives them; the loader passes them in, as metrics sit above this module).
    """
    topo = sc.topology
    names = _names(topo)
    problems: list[Problem] = []

    def bad(path: tuple[str | int, ...], message: str) -> None:
        problems.append(Problem(doc.file, doc.line_of(path), format_path(path), message))

    def ref(path: tuple[str | int, ...], kind: str, value: str | None) -> None:
        if value is not None and value not in names[kind]:
            known = ", ".join(names[kind]) or "none declared"
            bad(path, f"names an unknown {kind} {value!r} (known: {known})")

    owner: dict[str, str] = {}
    for kind, values in names.items():
        for value in values:
            if value in owner:
                other = owner[value]
                what = "twice" if other == kind else f"as a {kind} and as a {other}"
                bad(("topology",), f"declares the name {value!r} {what}; names must be unique")
            owner[value] = kind
    if sc.sample_every < sc.tick:
        bad(
            ("sample_every",), f"must be at least the tick ({sc.tick:g}s) (got {sc.sample_every:g})"
        )
    for i, s in enumerate(topo.services):
        base = ("topology", "services", i)
        versions = [v.name for v in s.versions]
        if s.version not in versions:
            bad(
                (*base, "version"),
                f"must be one of the declared versions {versions} (got {s.version!r})",
            )
        endpoints = [e.name for e in s.endpoints]
        total = sum(e.share for e in s.endpoints)
        if abs(total - 1.0) > 0.01:
            bad((*base, "endpoints"), f"endpoint shares must add up to 1.0 (got {total:g})")
        for j, e in enumerate(s.endpoints):
            for k, call in enumerate(e.calls):
                sub = () if isinstance(call, str) else ("to",)
                callee = e.call_names[k]
                cp = (*base, "endpoints", j, "calls", k, *sub)
                if callee == s.name:
                    bad(cp, f"a service cannot call itself ({callee!r})")
                elif callee not in names["service"]:
                    ref(cp, "dependency", callee)
            ref((*base, "endpoints", j, "database"), "database", e.database)
            ref((*base, "endpoints", j, "produces"), "topic", e.produces)
            ref((*base, "endpoints", j, "cache"), "cache", e.cache)
            if e.cache is not None and e.cache in names["cache"]:
                cache = next(c for c in topo.caches if c.name == e.cache)
                if e.database != cache.database:
                    bad(
                        (*base, "endpoints", j, "cache"),
                        f"cache {cache.name} fronts {cache.database}: the endpoint must read "
                        f"that database (its database is {e.database!r})",
                    )
        if s.rps_share == 0 and not any(
            s.name in e.call_names for o in topo.services for e in o.endpoints
        ):
            bad((*base, "rps_share"), "is 0 but no service calls it: it would take no traffic")
        hpa = s.autoscaler
        if hpa is not None:
            top = hpa.max_pods if hpa.max_pods is not None else s.max_pods
            if hpa.max_pods is not None and hpa.max_pods > s.max_pods:
                bad(
                    (*base, "autoscaler", "max_pods"),
                    f"must be at most the service's max_pods quota, {s.max_pods} "
                    f"(got {hpa.max_pods})",
                )
            if hpa.min_pods > top:
                bad(
                    (*base, "autoscaler", "min_pods"),
                    f"must be at most its max_pods, {top} (got {hpa.min_pods})",
                )
        if s.fix_version is not None and s.fix_version not in versions:
            bad(
                (*base, "fix_version"),
                f"must be one of the declared versions {versions} (got {s.fix_version!r})",
            )
        for j, v in enumerate(s.versions):
            for k, eff in enumerate(v.effects):
                p = (*base, "versions", j, "effects", k)
                if eff.endpoint is not None and eff.endpoint not in endpoints:
                    bad(
                        (*p, "endpoint"),
                        f"names an unknown endpoint {eff.endpoint!r} of {s.name} "
                        f"(known: {', '.join(endpoints)})",
                    )
                ref((*p, "when_flag"), "flag", eff.when_flag)
    cycle = _call_cycle(topo)
    if cycle:
        bad(("topology", "services"), f"services call each other in a cycle: {' -> '.join(cycle)}")
    shares = sum(s.rps_share for s in topo.services)
    if shares > 1.0 + 1e-9:
        bad(
            ("topology", "services"),
            f"rps_share values must add up to at most 1.0 (got {shares:g})",
        )
    _check_clients(sc, bad)
    if sc.traffic.regions:
        total = sum(r.share for r in sc.traffic.regions)
        if abs(total - 1.0) > 0.01:
            bad(("traffic", "regions"), f"region shares must add up to 1.0 (got {total:g})")
    for i, cert in enumerate(topo.certificates):
        for k, svc in enumerate(cert.services):
            ref(("topology", "certificates", i, "services", k), "service", svc)
        ref(("topology", "certificates", i, "dependency"), "dependency", cert.dependency)
    for i, cache in enumerate(topo.caches):
        ref(("topology", "caches", i, "database"), "database", cache.database)
    records = [r.name for r in topo.discovery]
    for i, rec in enumerate(topo.discovery):
        rp: tuple[str | int, ...] = ("topology", "discovery", i, "name")
        callees = names["service"] + names["dependency"]
        if rec.name not in callees:
            bad(rp, f"names no service or dependency {rec.name!r} (known: {', '.join(callees)})")
        elif not any(rec.name in e.call_names for s in topo.services for e in s.endpoints):
            bad(rp, f"no endpoint calls {rec.name!r}: nobody resolves it")
        if rec.name in records[:i]:
            bad(rp, f"declares the record {rec.name!r} twice")
    for i, cfg in enumerate(topo.configs):
        for k, svc in enumerate(cfg.services):
            ref(("topology", "configs", i, "services", k), "service", svc)
    fault_ids = [f.id for f in sc.faults if f.id is not None]
    alert_names = [a.name for a in sc.alerts]

    def metric_hint(name: str) -> str:
        import difflib

        same = sorted(m for m in known_metrics if m.split(".")[0] == name.split(".")[0])
        close = difflib.get_close_matches(name, known_metrics, n=3)
        pool = same or close or sorted(known_metrics)[:6]
        return f"names an unknown metric {name!r} (did you mean: {', '.join(pool)}?)"

    def cause(path: tuple[str | int, ...], c: Cause | None, own: str | None) -> None:
        if c is None:
            return
        if c.metric is not None and c.metric not in known_metrics:
            bad((*path, "metric"), metric_hint(c.metric))
        if c.alert is not None and c.alert not in alert_names:
            bad(
                (*path, "alert"),
                f"names an unknown alert {c.alert!r} (known: {', '.join(alert_names) or 'none'})",
            )
        for trigger, named in (("fault", c.fault), ("started", c.started)):
            if named is not None and (named not in fault_ids or named == own):
                others = [x for x in fault_ids if x != own]
                bad(
                    (*path, trigger),
                    f"names an unknown fault id {named!r} (known: {', '.join(others) or 'none'})",
                )
        if c.action is not None and (
            c.action not in ACTIONS or ACTIONS[c.action].category == "facilitate"
        ):
            players = [t for t, a in ACTIONS.items() if a.category != "facilitate"]
            bad((*path, "action"), f"must be a player action, one of: {', '.join(players)}")
        if c.target is not None and c.target not in {v for vs in names.values() for v in vs}:
            bad((*path, "target"), f"names an unknown component {c.target!r}")

    def version_of(path: tuple[str | int, ...], service: str, version: str | None) -> None:
        if version is not None and service in names["service"]:
            versions = [v.name for v in sc.service(service).versions]
            if version not in versions:
                bad(path, f"must be one of {service}'s versions {versions} (got {version!r})")

    for i, f in enumerate(sc.faults):
        fp: tuple[str | int, ...] = ("faults", i)
        if f.at < 0 or f.at > sc.duration:
            bad((*fp, "at"), f"must be within the drill, 0 to {sc.duration:g}s (got {f.at:g})")
        cause((*fp, "when"), f.when, f.id)
        cause((*fp, "until"), f.until, f.id)
        if f.until is not None and f.kind not in ENDABLE:
            bad(
                (*fp, "until"),
                f"a {f.kind} fault cannot end by itself (faults that can: {', '.join(ENDABLE)})",
            )

        if isinstance(f, ReleaseFault):
            ref((*fp, "service"), "service", f.service)
            version_of((*fp, "version"), f.service, f.version)
        elif isinstance(f, PodFault):
            _check_pod_fault(sc, f, fp, bad, ref)
        elif isinstance(f, CertExpiryFault):
            ref((*fp, "certificate"), "certificate", f.certificate)
        elif isinstance(f, ConfigRolloutFault):
            _check_rollout(sc, f, fp, bad, ref)
        elif isinstance(f, LeakFault):
            ref((*fp, "service"), "service", f.service)
            ref((*fp, "flag"), "flag", f.flag)
            version_of((*fp, "version"), f.service, f.version)
        elif isinstance(f, CacheFlushFault):
            ref((*fp, "cache"), "cache", f.cache)
        elif isinstance(f, DnsFault) and f.record not in records:
            bad(
                (*fp, "record"),
                f"names an unknown record {f.record!r} (known: {', '.join(records) or 'none'})",
            )
        elif isinstance(f, QuotaFault):
            ref((*fp, "dependency"), "dependency", f.dependency)
            dep = next((d for d in topo.dependencies if d.name == f.dependency), None)
            if dep is not None and dep.quota_rps is None:
                bad(
                    (*fp, "dependency"),
                    f"{dep.name} has no quota to cut: give it a `quota_rps`",
                )
        elif isinstance(f, ClientSurgeFault):
            clients = [c.name for c in sc.traffic.clients]
            if f.client not in clients:
                bad(
                    (*fp, "client"),
                    f"names an unknown client {f.client!r} "
                    f"(known: {', '.join(clients) or 'none declared in traffic.clients'})",
                )
        elif isinstance(f, ToolOutageFault):
            if len(set(f.tools)) != len(f.tools):
                bad((*fp, "tools"), f"names a tool twice (got {', '.join(f.tools)})")
            if f.recover_at is not None and f.recover_at <= f.at + f.jitter:
                bad(
                    (*fp, "recover_at"),
                    f"must be after the tools go down, > {f.at + f.jitter:g}s "
                    f"(at + jitter) (got {f.recover_at:g})",
                )
        elif isinstance(f, DependencyFault):
            ref((*fp, "dependency"), "dependency", f.dependency)
            if f.recover_at is not None and f.recover_at <= f.at + f.jitter:
                bad(
                    (*fp, "recover_at"),
                    f"must be after the fault starts, > {f.at + f.jitter:g}s "
                    f"(at + jitter) (got {f.recover_at:g})",
                )
        elif isinstance(f, FlagFault):
            ref((*fp, "flag"), "flag", f.flag)
            traffic_regions = [r.name for r in sc.traffic.regions]
            if f.region is not None and f.region not in traffic_regions:
                bad(
                    (*fp, "region"),
                    f"names an unknown region {f.region!r} "
                    f"(known: {', '.join(traffic_regions) or 'none'})",
                )
        elif isinstance(f, PoisonFault):
            ref((*fp, "topic"), "topic", f.topic)
        elif isinstance(f, BlockerFault):
            ref((*fp, "database"), "database", f.database)
            ref((*fp, "stopped_by_flag"), "flag", f.stopped_by_flag)
    for i, c in enumerate(sc.changes):
        if c.at > 0:
            bad(
                ("changes", i, "at"),
                f"history must be at or before the start, <= 0 (got {c.at:g}); "
                "use `faults` for changes during the drill",
            )
        ref(("changes", i, "service"), "service", c.service)
    for i, a in enumerate(sc.alerts):
        if a.metric not in known_metrics:
            bad(("alerts", i, "metric"), metric_hint(a.metric))
    inject_ids: set[str] = set()
    for i, inj in enumerate(sc.injects):
        if inj.id in inject_ids:
            bad(("injects", i, "id"), f"duplicate inject id {inj.id!r}")
        inject_ids.add(inj.id)
        if inj.when and inj.when.alert and inj.when.alert not in alert_names:
            bad(
                ("injects", i, "when", "alert"),
                f"names an unknown alert {inj.when.alert!r} "
                f"(known: {', '.join(alert_names) or 'none'})",
            )
        if inj.when and inj.when.metric and inj.when.metric not in known_metrics:
            bad(("injects", i, "when", "metric"), metric_hint(inj.when.metric))
    for i, inj in enumerate(sc.injects):
        if inj.at is not None and inj.at > sc.duration:
            bad(
                ("injects", i, "at"),
                f"must be within the drill, <= {sc.duration:g}s (got {inj.at:g})",
            )
    for i, line in enumerate(sc.logs):
        ref(("logs", i, "service"), "service", line.service)
    _check_prompts(sc, bad, known_metrics, metric_hint)
    return problems


def _check_clients(sc: Scenario, bad: Any) -> None:
    """Client names are unique and their shares leave room: at most all the traffic."""
    seen: set[str] = set()
    for i, c in enumerate(sc.traffic.clients):
        if c.name in seen:
            bad(("traffic", "clients", i, "name"), f"declares the client {c.name!r} twice")
        seen.add(c.name)
    total = sum(c.share for c in sc.traffic.clients)
    if total > 1.0 + 1e-9:
        bad(("traffic", "clients"), f"client shares must add up to at most 1.0 (got {total:g})")


def _check_pod_fault(sc: Scenario, f: PodFault, fp: Any, bad: Any, ref: Any) -> None:
    """A pod fault names real services (or selects some), pods and regions of each."""
    known = [s.name for s in sc.topology.services]
    if isinstance(f.services, list):
        for k, name in enumerate(f.services):
            ref((*fp, "services", k), "service", name)
        if len(set(f.services)) != len(f.services):
            bad((*fp, "services"), f"names a service twice (got {', '.join(f.services)})")
    elif f.services is not None and not sc.services_hit(f):
        want = ", ".join(f"{k}={v}" for k, v in f.services.selector.items())
        labelled = sorted({f"{k}={v}" for s in sc.topology.services for k, v in s.labels.items()})
        bad(
            (*fp, "services", "selector"),
            f"selects no service: none has the labels {want} "
            f"(labels in use: {', '.join(labelled) or 'none'})",
        )
    ref((*fp, "service"), "service", f.service)
    hit = [sc.service(n) for n in sc.services_hit(f) if n in known]
    one = f.service is not None  # one service: the messages need not name it
    if f.shared_cause is not None and f.pod != "all":
        bad(
            (*fp, "shared_cause"),
            f"a shared cause hits every pod: needs pod: all (got pod: {f.pod})",
        )
    if f.region is not None and f.pod != "all":
        bad(
            (*fp, "region"),
            f"a regional fault hits every pod of a region: needs pod: all (got pod: {f.pod})",
        )
    for svc in hit:
        if isinstance(f.pod, int) and not 0 <= f.pod < svc.pods:
            of = "" if one else f" for {svc.name}"
            bad((*fp, "pod"), f"must be 0..{svc.pods - 1}{of}, 'random' or 'all' (got {f.pod})")
        if f.region is not None and f.pod == "all" and f.region not in svc.regions:
            bad(
                (*fp, "region"),
                f"must be one of {svc.name}'s regions {list(svc.regions)} (got {f.region!r})",
            )
    if f.shared_cause is not None and f.fixed_by_restart:
        bad(
            (*fp, "fixed_by_restart"),
            f"a restart cannot fix a shared cause ({f.shared_cause}): every pod comes back with it",
        )


def _check_rollout(sc: Scenario, f: ConfigRolloutFault, fp: Any, bad: Any, ref: Any) -> None:
    """A config rollout names a config, breaks something, and spreads over real stages."""
    ref((*fp, "config"), "config", f.config)
    if not (f.crash or f.error_pct or f.latency_ms):
        bad(fp, "a config rollout that breaks nothing: set `crash`, `error_pct` or `latency_ms`")
    regions = [r.name for r in sc.traffic.regions]
    pct = 0.0
    for k, stage in enumerate(f.stages):
        if isinstance(stage, str):
            if stage not in regions:
                bad(
                    (*fp, "stages", k),
                    f"names an unknown region {stage!r} (known: {', '.join(regions) or 'none'})",
                )
        elif stage <= pct:
            bad((*fp, "stages", k), f"cumulative % of pods must grow, > {pct:g} (got {stage:g})")
        else:
            pct = stage
    if {type(s) for s in f.stages} == {str, float}:
        bad((*fp, "stages"), "stages are all regions or all percentages, not both")


def _call_cycle(topo: Topology) -> list[str]:
    """A cycle of service-to-service calls, as a path (empty if none)."""
    services = {s.name: s for s in topo.services}
    edges = {
        s.name: sorted({c for e in s.endpoints for c in e.call_names if c in services})
        for s in topo.services
    }
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> list[str]:
        state[name] = 1
        for nxt in edges[name]:
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt] if nxt in path else [name, nxt]
            if nxt not in state:
                found = visit(nxt, [*path, nxt])
                if found:
                    return found
        state[name] = 2
        return []

    for name in edges:
        if name not in state:
            found = visit(name, [name])
            if found:
                return found
    return []


# ----------------------------------------------------------- prompt cards
def _check_prompts(
    sc: Scenario,
    bad: Callable[[tuple[str | int, ...], str], None],
    metrics: Collection[str],
    metric_hint: Callable[[str], str],
) -> None:
    """Reference checks: unique ids, real targets, actions, metrics and alerts, in time."""
    names = names_by_kind(sc)
    teams = sorted({e.team for e in sc.experts})
    alerts = [a.name for a in sc.alerts]
    seen: set[str] = set()
    for i, card in enumerate(sc.prompts):
        base: tuple[str | int, ...] = ("prompts", i)
        w = card.when
        if card.id in seen:
            bad((*base, "id"), f"duplicate prompt id {card.id!r}")
        seen.add(card.id)
        if w.after > sc.duration:
            bad(
                (*base, "when", "after"),
                f"must be within the drill, <= {sc.duration:g}s (got {w.after:g})",
            )
        if w.not_looked is not None and w.not_looked.target is not None:
            kind = LOOKS[w.not_looked.investigation]
            valid = teams if kind == "team" else names.get(kind or "", [])
            if w.not_looked.target not in valid:
                bad(
                    (*base, "when", "not_looked", "target"),
                    f"names no {kind} {w.not_looked.target!r} for "
                    f"{w.not_looked.investigation} (known: {', '.join(valid) or 'none'})",
                )
        if w.not_done is not None:
            _check_act(w.not_done, (*base, "when", "not_done"), names, bad)
        if w.metric is not None and w.metric not in metrics:
            bad((*base, "when", "metric"), metric_hint(w.metric))
        if w.alert is not None and w.alert not in alerts:
            bad(
                (*base, "when", "alert"),
                f"names an unknown alert {w.alert!r} (known: {', '.join(alerts) or 'none'})",
            )


def _check_act(
    act: Act,
    path: tuple[str | int, ...],
    names: dict[str, list[str]],
    bad: Callable[[tuple[str | int, ...], str], None],
) -> None:
    spec = ACTIONS.get(act.action)
    if spec is None or spec.category == "facilitate":
        players = [t for t, a in ACTIONS.items() if a.category != "facilitate"]
        bad((*path, "action"), f"must be a player action, one of: {', '.join(players)}")
        return
    if act.target is None:
        return
    if spec.target_field is None:
        bad((*path, "target"), f"{act.action} names no target")
        return
    valid = [n for kind in spec.target_kinds for n in names.get(kind, [])]
    if act.target not in valid:
        bad(
            (*path, "target"),
            f"names no {' or '.join(spec.target_kinds)} {act.target!r} for {act.action} "
            f"(known: {', '.join(valid) or 'none'})",
        )
