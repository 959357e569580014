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
    """

    type: str
    category: Category
    target_field: str | None = None
    target_kinds: tuple[str, ...] = ()
    reversible: bool = False
    mechanic: str | None = None
    looks: tuple[tuple[str, bool], ...] = ()
    tool: str | None = None

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
) -> ActionSpec:
    return ActionSpec(type, "mitigate", field, kinds, reversible, mechanic, looks, tool)


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
        ActionSpec("declare_incident", "command"),
        ActionSpec("take_command", "command"),
        ActionSpec("assign_role", "command"),
        ActionSpec("page_team", "command"),
        ActionSpec("delegate", "command"),
        ActionSpec("decide", "command"),
        ActionSpec("hypothesis", "investigate"),
        ActionSpec("view_dashboard", "investigate", tool="dashboards"),
        ActionSpec("read_logs", "investigate", tool="logs"),
        ActionSpec("list_changes", "investigate"),
        ActionSpec("check_migration", "investigate"),
        ActionSpec("inspect_queue", "investigate"),
        ActionSpec("inspect_dependency", "investigate"),
        ActionSpec("inspect_database", "investigate"),
        ActionSpec("ask_sme", "investigate"),
        ActionSpec("state_impact", "impact"),
        _m(
            "rollback",
            "service",
            _SVC,
            looks=(("check_migration", True), _CHANGES, _DASH),
            tool="deploys",
        ),
        _m("drain_pod", "service", _SVC, reversible=True, looks=(_DASH,)),
        _m("undrain_pod", "service", _SVC, reversible=True, looks=(_DASH,)),
        _m("scale", "service", _SVC, reversible=True, looks=(_DASH, _DB_ANY)),
        _m("scale_consumers", "topic", ("topic",), reversible=True, looks=(_QUEUE,)),
        _m("set_flag", "flag", ("flag",), reversible=True, looks=(_CHANGES, _DASH_ANY, _LOGS_ANY)),
        _m("set_breaker", "dependency", ("dependency",), reversible=True, looks=(_DEP,)),
        _m("throttle_producer", "topic", ("topic",), reversible=True, looks=(_QUEUE,)),
        _m("skip_poison", "topic", ("topic",), looks=(_QUEUE,)),
        _m(
            "restart", "target", ("service", "database", "topic"), looks=(_DASH, _QUEUE, _DB, _LOGS)
        ),
        _m("failover", "database", ("database",), looks=(_DB,)),
        _m("shed_load", "service", _SVC, reversible=True, looks=(_DASH,)),
        _m("kill_query", "database", ("database",), looks=(_DB,)),
        _m("forward_fix", "service", _SVC, looks=(_LOGS, _CHANGES, _DASH), tool="deploys"),
        _m(
            "rotate_certificate",
            "certificate",
            ("certificate",),
            mechanic="certificates",
            looks=(_LOGS_ANY, _DEP_ANY, _DASH_ANY),
        ),
        _m(
            "restore_record",
            "record",
            ("record",),
            mechanic="discovery",
            looks=(_LOGS_ANY, _DASH_ANY, _DEP_ANY),
        ),
        _m(
            "set_retries",
            "service",
            _SVC,
            reversible=True,
            mechanic="retries",
            looks=(_DEP_ANY, _DB_ANY, _DASH),
        ),
        _m(
            "evacuate_region",
            "region",
            ("region",),
            reversible=True,
            mechanic="regions",
            looks=(_DASH_ANY,),
        ),
        _m(
            "reroute",
            "component",
            ("dependency", "database"),
            reversible=True,
            mechanic="regions",
            looks=(_DASH_ANY, _DEP_ANY, _DB_ANY),
        ),
        _m(
            "rollback_config",
            "config",
            ("config",),
            mechanic="configs",
            looks=(_CHANGES, _LOGS_ANY),
            tool="deploys",
        ),
        _m(
            "halt_config_push",
            "config",
            ("config",),
            reversible=True,
            mechanic="configs",
            looks=(_CHANGES, _DASH_ANY),
            tool="deploys",
        ),
        _m(
            "pause_autoscaler",
            "service",
            _SVC,
            reversible=True,
            mechanic="autoscaler",
            looks=(_DASH,),
        ),
        _m(
            "cap_autoscaler",
            "service",
            _SVC,
            reversible=True,
            mechanic="autoscaler",
            looks=(_DASH,),
        ),
        _m("request_quota_raise", "dependency", ("dependency",), mechanic="quotas", looks=(_DEP,)),
        _m("warm_cache", "cache", ("cache",), mechanic="caches", looks=(_DB_ANY, _DASH_ANY)),
        _m(
            "set_coalescing",
            "cache",
            ("cache",),
            reversible=True,
            mechanic="caches",
            looks=(_DB_ANY, _DASH_ANY),
        ),
        _m("free_resource", "service", _SVC, mechanic="leaks", looks=(_LOGS, _DASH)),
        _m("raise_limit", "service", _SVC, mechanic="leaks", looks=(_LOGS, _DASH)),
        _m(
            "set_timeout",
            "service",
            _SVC,
            reversible=True,
            mechanic="timeouts",
            looks=(_DEP_ANY, _DASH),
        ),
        ActionSpec("status_update", "communicate"),
        ActionSpec("chat", "communicate"),
        ActionSpec("inject", "facilitate"),
        ActionSpec("message", "facilitate"),
        ActionSpec("note", "facilitate"),
        ActionSpec("clock", "facilitate"),
        ActionSpec("end", "facilitate"),
    )
}


def of_category(category: Category) -> tuple[str, ...]:
    """Input types of one category, in table order."""
    return tuple(t for t, a in ACTIONS.items() if a.category == category)
