"""The action-spec table: every fact about every input type, in one place.

Everything else that needs such a fact is derived from :data:`ACTIONS`: the
input categories and permissions (``engine.inputs``), the grader's target
fields and reversible levers (``engine.grading.rubric``), the target kinds
``firedrill check`` accepts (``engine.selfcheck``), and the copy the web
client fetches (``GET /api/actions``). This module imports nothing from the
engine, so every layer may read it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Category = Literal["command", "investigate", "impact", "mitigate", "communicate", "facilitate"]
# The categories in the order the console shows them, with their tab names.
CATEGORIES: dict[Category, str] = {
    "command": "Command",
    "investigate": "Investigate",
    "impact": "Impact",
    "mitigate": "Mitigate",
    "communicate": "Comms",
    "facilitate": "Facilitate",
}


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """Facts about one input type.

    ``target_field`` names the input field that says what a mitigation acts
    on, ``target_kinds`` the component kinds that field may name,
    ``reversible`` that the lever is undone in seconds with nothing lost
    (rollback, restart, failover ... cost capacity, work or time to undo), and
    ``mechanic`` the mechanic module (``engine.mechanics``) that implements a
    lever, when one does (``None``: the built-in handlers of ``engine.effects``),
    and ``looks`` the investigations that show whether a mitigation fits, as
    (input type, whether it must name the mitigation's own target): grading
    calls a mitigation with none of them before it "taken blind", and ``tool``
    the internal tool the action goes through (``dashboards``, ``logs``,
    ``deploys``), which a ``tool_outage`` fault takes down.

    How people meet it: ``label`` and ``help`` (the console's button and its
    line of help), ``aliases`` (short verbs of the command line), ``rest`` (the
    parameter that takes the rest of a command line), ``hidden`` (sent by the
    console, never offered as a form) and ``done``, what the timeline says once
    it is sent: ``{field}`` is the input's value (a bool as on/off, a task as its
    command) and a ``[...]`` part shows only when every field in it is set.
    """

    type: str
    category: Category
    target_field: str | None = None
    target_kinds: tuple[str, ...] = ()
    reversible: bool = False
    mechanic: str | None = None
    looks: tuple[tuple[str, bool], ...] = ()
    tool: str | None = None
    label: str = ""
    help: str = ""
    aliases: tuple[str, ...] = ()
    rest: str | None = None
    hidden: bool = False
    done: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The spec as plain JSON-able data (for the web client)."""
        return asdict(self)


def _m(
    type: str,
    field: str,
    kinds: tuple[str, ...],
    *,
    reversible: bool = False,
    mechanic: str | None = None,
    looks: tuple[tuple[str, bool], ...],
    tool: str | None = None,
    label: str,
    help: str,
    aliases: tuple[str, ...] = (),
    rest: str | None = None,
    done: str,
) -> ActionSpec:
    return ActionSpec(
        type,
        "mitigate",
        field,
        kinds,
        reversible,
        mechanic,
        looks,
        tool,
        label=label,
        help=help,
        aliases=aliases,
        rest=rest,
        done=done,
    )


# Looks that justify a lever: (investigation, whether it must be of the lever's own target).
# A lever whose target is not a service, topic, database or dependency (a certificate, a
# cache, a config, a region) is justified by a look at what shows it, whatever that names.
_DASH, _DASH_ANY = ("view_dashboard", True), ("view_dashboard", False)
_LOGS, _LOGS_ANY = ("read_logs", True), ("read_logs", False)
_DEP, _DEP_ANY = ("inspect_dependency", True), ("inspect_dependency", False)
_DB, _DB_ANY = ("inspect_database", True), ("inspect_database", False)
_QUEUE = ("inspect_queue", True)
_CHANGES = ("list_changes", False)


_SVC = ("service",)
ACTIONS: dict[str, ActionSpec] = {
    a.type: a
    for a in (
        ActionSpec(
            "declare_incident",
            "command",
            label="Declare incident",
            help="Open the incident with a severity.",
            aliases=("declare", "sev"),
            rest="summary",
            done="declared {severity}[: {summary}]",
        ),
        ActionSpec(
            "take_command",
            "command",
            label="Take command",
            help="Become the incident commander (IC).",
            aliases=("ic", "take", "command"),
            done="took command (IC)",
        ),
        ActionSpec(
            "assign_role",
            "command",
            label="Assign role",
            help="Name who does what.",
            aliases=("assign",),
            done="assigned the {role} role to {person}",
        ),
        ActionSpec(
            "page_team",
            "command",
            label="Page team",
            help="Page another team's on-call.",
            aliases=("page",),
            done="paged {team}",
        ),
        ActionSpec(
            "delegate",
            "command",
            label="Ask a teammate",
            help="Give a simulated teammate a task (any action).",
            hidden=True,
            done="gave {person} a task: {task}",
        ),
        ActionSpec(
            "decide",
            "command",
            label="Decide",
            help="Record a decision and its reason.",
            rest="text",
            done="decided: {text}",
        ),
        ActionSpec(
            "hypothesis",
            "investigate",
            label="Hypothesis",
            help="Say what you think is going on.",
            rest="text",
            done="hypothesis: {text}",
        ),
        ActionSpec(
            "view_dashboard",
            "investigate",
            tool="dashboards",
            label="Breakdown",
            help="Reveal a per-pod, per-endpoint or per-region breakdown.",
            aliases=("breakdown", "dash", "dashboard"),
            done="opened {service} by {breakdown}",
        ),
        ActionSpec(
            "read_logs",
            "investigate",
            tool="logs",
            label="Read logs",
            help="Recent log lines of a service.",
            aliases=("logs",),
            done="read the logs of {service}",
        ),
        ActionSpec(
            "list_changes",
            "investigate",
            label="Recent changes",
            help="Deploys, config pushes and flag flips.",
            aliases=("changes",),
            done="listed recent changes",
        ),
        ActionSpec(
            "check_migration",
            "investigate",
            label="Migration status",
            help="Is rolling back schema-safe?",
            aliases=("migration",),
            done="checked migrations of {service}",
        ),
        ActionSpec(
            "inspect_queue",
            "investigate",
            label="Inspect queue",
            help="Topic, consumer group, lag, stuck partitions.",
            aliases=("queue",),
            done="inspected topic {topic}",
        ),
        ActionSpec(
            "inspect_dependency",
            "investigate",
            label="Inspect dependency",
            help="Latency, errors, circuit breaker.",
            aliases=("dep",),
            done="inspected dependency {dependency}",
        ),
        ActionSpec(
            "inspect_database",
            "investigate",
            label="Inspect database",
            help="Pool, locks, long transactions.",
            aliases=("db",),
            done="inspected database {database}",
        ),
        ActionSpec(
            "ask_sme",
            "investigate",
            label="Ask an expert",
            help="Ask a subject-matter expert.",
            aliases=("ask",),
            rest="question",
            done="asked {team}[: {question}]",
        ),
        ActionSpec(
            "state_impact",
            "impact",
            label="State impact",
            help="Who is affected, how many, trend, data.",
            aliases=("impact",),
            rest="scope",
            done="stated impact: {users_pct}% of users, {trend}, data {data}[ ({scope})]",
        ),
        _m(
            "rollback",
            "service",
            _SVC,
            looks=(("check_migration", True), _CHANGES, _DASH),
            tool="deploys",
            label="Roll back",
            help="Redeploy the previous version (check migrations first).",
            done="rolled back {service}",
        ),
        _m(
            "drain_pod",
            "service",
            _SVC,
            reversible=True,
            looks=(_DASH,),
            label="Drain pod",
            help="Take one pod out of rotation.",
            aliases=("drain",),
            done="drained pod {pod} of {service}",
        ),
        _m(
            "undrain_pod",
            "service",
            _SVC,
            reversible=True,
            looks=(_DASH,),
            label="Undrain pod",
            help="Put a drained pod back.",
            aliases=("undrain",),
            done="undrained pod {pod} of {service}",
        ),
        _m(
            "scale",
            "service",
            _SVC,
            reversible=True,
            looks=(_DASH, _DB_ANY),
            label="Scale",
            help="Set the number of pods.",
            done="scaled {service} to {pods} pods[ in {region}]",
        ),
        _m(
            "scale_consumers",
            "topic",
            ("topic",),
            reversible=True,
            looks=(_QUEUE,),
            label="Scale consumers",
            help="Set the consumer count (triggers a rebalance).",
            done="scaled consumers of {topic} to {consumers}",
        ),
        _m(
            "set_flag",
            "flag",
            ("flag",),
            reversible=True,
            looks=(_CHANGES, _DASH_ANY, _LOGS_ANY),
            label="Set flag",
            help="Turn a feature flag on or off.",
            aliases=("flag",),
            done="turned flag {flag} {enabled}[ in {region}]",
        ),
        _m(
            "set_breaker",
            "dependency",
            ("dependency",),
            reversible=True,
            looks=(_DEP,),
            label="Circuit breaker",
            help="Open (fail fast) or close a dependency's breaker.",
            aliases=("breaker",),
            done="set the circuit breaker of {dependency} {state}",
        ),
        _m(
            "throttle_producer",
            "topic",
            ("topic",),
            reversible=True,
            looks=(_QUEUE,),
            label="Throttle producer",
            help="Let only a share of produce calls through.",
            aliases=("throttle",),
            done="throttled producers of {topic} to {allow_pct}%",
        ),
        _m(
            "skip_poison",
            "topic",
            ("topic",),
            looks=(_QUEUE,),
            label="Skip poison messages",
            help="Move stuck messages to the DLQ.",
            done="skipped poison messages on {topic}",
        ),
        _m(
            "restart",
            "target",
            ("service", "database", "topic"),
            looks=(_DASH, _QUEUE, _DB, _LOGS),
            label="Restart",
            help="Restart a service or consumer group.",
            done="restarted {target} ({mode})",
        ),
        _m(
            "failover",
            "database",
            ("database",),
            looks=(_DB,),
            label="Fail over DB",
            help="Promote the replica (minutes of downtime).",
            done="failed over {database}",
        ),
        _m(
            "shed_load",
            "service",
            _SVC,
            reversible=True,
            looks=(_DASH,),
            label="Shed load",
            help="Reject a share of requests early.",
            aliases=("shed",),
            done="shed {pct}% of load on {service}",
        ),
        _m(
            "kill_query",
            "database",
            ("database",),
            looks=(_DB,),
            label="Kill query",
            help="Cancel the blocking transaction.",
            done="killed the blocking query on {database}",
        ),
        _m(
            "forward_fix",
            "service",
            _SVC,
            looks=(_LOGS, _CHANGES, _DASH),
            tool="deploys",
            label="Forward fix",
            help="Ship a fix forward (takes time).",
            aliases=("fix",),
            rest="summary",
            done="started a forward fix of {service}[: {summary}]",
        ),
        _m(
            "rotate_certificate",
            "certificate",
            ("certificate",),
            mechanic="certificates",
            looks=(_LOGS_ANY, _DEP_ANY, _DASH_ANY),
            label="Rotate certificate",
            help="Issue a new certificate; pods reload it.",
            done="rotated certificate {certificate}",
        ),
        _m(
            "restore_record",
            "record",
            ("record",),
            mechanic="discovery",
            looks=(_LOGS_ANY, _DASH_ANY, _DEP_ANY),
            label="Restore DNS record",
            help="Republish a DNS record; callers recover as their cached answers expire.",
            done="restored the DNS record of {record}",
        ),
        _m(
            "set_retries",
            "service",
            _SVC,
            reversible=True,
            mechanic="retries",
            looks=(_DEP_ANY, _DB_ANY, _DASH),
            label="Set retries",
            help="Change how often a service retries a dependency.",
            done="set the retries of {service} to {dependency} to {retries}",
        ),
        _m(
            "evacuate_region",
            "region",
            ("region",),
            reversible=True,
            mechanic="regions",
            looks=(_DASH_ANY,),
            label="Evacuate region",
            help="Move a region's traffic to the others.",
            done="evacuated region {region}[ (restore {restore})]",
        ),
        _m(
            "reroute",
            "component",
            ("dependency", "database"),
            reversible=True,
            mechanic="regions",
            looks=(_DASH_ANY, _DEP_ANY, _DB_ANY),
            label="Reroute calls",
            help="Send one region's calls to a database or dependency in another region.",
            done="rerouted {region}'s calls to {component} to {to}",
        ),
        _m(
            "rollback_config",
            "config",
            ("config",),
            mechanic="configs",
            looks=(_CHANGES, _LOGS_ANY),
            tool="deploys",
            label="Roll back config",
            help="Red button: every pod back on the last good config.",
            done="rolled back config {config}",
        ),
        _m(
            "halt_config_push",
            "config",
            ("config",),
            reversible=True,
            mechanic="configs",
            looks=(_CHANGES, _DASH_ANY),
            tool="deploys",
            label="Halt config push",
            help="Stop a staged config push spreading.",
            done="halted the push of config {config}",
        ),
        _m(
            "pause_autoscaler",
            "service",
            _SVC,
            reversible=True,
            mechanic="autoscaler",
            looks=(_DASH,),
            label="Pause autoscaler",
            help="Stop the autoscaler changing the fleet size.",
            done="paused the autoscaler of {service}: {paused}",
        ),
        _m(
            "cap_autoscaler",
            "service",
            _SVC,
            reversible=True,
            mechanic="autoscaler",
            looks=(_DASH,),
            label="Cap autoscaler",
            help="Limit how many pods the autoscaler asks for.",
            done="capped the autoscaler of {service} at {max_pods} pods",
        ),
        _m(
            "request_quota_raise",
            "dependency",
            ("dependency",),
            mechanic="quotas",
            looks=(_DEP,),
            label="Request quota raise",
            help="Ask the provider for a higher quota (takes time).",
            done="asked for {rps} rps of quota on {dependency}",
        ),
        _m(
            "warm_cache",
            "cache",
            ("cache",),
            mechanic="caches",
            looks=(_DB_ANY, _DASH_ANY),
            label="Warm cache",
            help="Fill a cold cache from a snapshot.",
            done="warmed cache {cache}",
        ),
        _m(
            "set_coalescing",
            "cache",
            ("cache",),
            reversible=True,
            mechanic="caches",
            looks=(_DB_ANY, _DASH_ANY),
            label="Request coalescing",
            help="Misses of one key share one database read.",
            done="turned request coalescing of {cache} {enabled}",
        ),
        _m(
            "free_resource",
            "service",
            _SVC,
            mechanic="leaks",
            looks=(_LOGS, _DASH),
            label="Free resource",
            help="Delete old logs and temp files (disk).",
            done="freed {resource} on {service}",
        ),
        _m(
            "raise_limit",
            "service",
            _SVC,
            mechanic="leaks",
            looks=(_LOGS, _DASH),
            label="Raise limit",
            help="Raise a memory limit, ulimit or volume size.",
            done="raised the {resource} limit of {service}[ ×{factor}]",
        ),
        _m(
            "rate_limit",
            "service",
            _SVC,
            reversible=True,
            mechanic="ratelimits",
            looks=(_DASH, _LOGS),
            label="Rate limit",
            help="Cap one client's or one endpoint's requests to a service (429 beyond it).",
            done="rate-limited {service}[ client {client}][ endpoint {endpoint}] to {rps} rps",
        ),
        _m(
            "set_timeout",
            "service",
            _SVC,
            reversible=True,
            mechanic="timeouts",
            looks=(_DEP_ANY, _DASH),
            label="Set timeout",
            help="Change how long a service waits on a callee.",
            done="set the timeout of {service} on {dependency} to {timeout_ms} ms",
        ),
        ActionSpec(
            "status_update",
            "communicate",
            label="Status update",
            help="Post a status update.",
            aliases=("status",),
            done="{audience} status update ({state}): {impact}[ Action: {action}]"
            "[ Next update in {next_update_min} min.]",
        ),
        ActionSpec(
            "chat",
            "communicate",
            label="Chat",
            help="Say something in the incident channel.",
            aliases=("say",),
            rest="text",
            done="{text}",
        ),
        ActionSpec(
            "inject",
            "facilitate",
            label="Fire inject",
            help="Fire one of the scenario's injects now.",
            done="fired inject {id}",
        ),
        ActionSpec(
            "message",
            "facilitate",
            label="Message",
            help="Speak as someone in the scenario.",
            rest="text",
            done="spoke as {sender} ({role}, {channel})[, replying to #{reply_to}]",
        ),
        ActionSpec(
            "note",
            "facilitate",
            label="Private note",
            help="A note only facilitators see.",
            rest="text",
            done="note: {text}",
        ),
        ActionSpec(
            "use_prompt",
            "facilitate",
            label="Use prompt card",
            help="Mark a facilitator prompt card used, or send its line to the players.",
            done="used prompt card {id}",
        ),
        ActionSpec(
            "clock",
            "facilitate",
            label="Clock",
            help="Start, pause, resume, speed, step, jump.",
            done="clock {action}[ ×{speed}][ {seconds}s]",
        ),
        ActionSpec(
            "end",
            "facilitate",
            label="End drill",
            help="End the drill now.",
            rest="reason",
            done="ended the drill[: {reason}]",
        ),
    )
}


# The field naming what an investigation looks at (grading's looks, prompt cards' `not_looked`).
LOOK_TARGET: dict[str, str] = {
    "view_dashboard": "service",
    "read_logs": "service",
    "check_migration": "service",
    "inspect_queue": "topic",
    "inspect_database": "database",
    "inspect_dependency": "dependency",
}


def of_category(category: Category) -> tuple[str, ...]:
    """Input types of one category, in table order."""
    return tuple(t for t, a in ACTIONS.items() if a.category == category)
