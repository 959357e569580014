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
    lever, when one does (``None``: the built-in handlers of ``engine.effects``).
    """

    type: str
    category: Category
    target_field: str | None = None
    target_kinds: tuple[str, ...] = ()
    reversible: bool = False
    mechanic: str | None = None

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
) -> ActionSpec:
    return ActionSpec(type, "mitigate", field, kinds, reversible, mechanic)


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
        ActionSpec("view_dashboard", "investigate"),
        ActionSpec("read_logs", "investigate"),
        ActionSpec("list_changes", "investigate"),
        ActionSpec("check_migration", "investigate"),
        ActionSpec("inspect_queue", "investigate"),
        ActionSpec("inspect_dependency", "investigate"),
        ActionSpec("inspect_database", "investigate"),
        ActionSpec("ask_sme", "investigate"),
        ActionSpec("state_impact", "impact"),
        _m("rollback", "service", _SVC),
        _m("drain_pod", "service", _SVC, reversible=True),
        _m("undrain_pod", "service", _SVC, reversible=True),
        _m("scale", "service", _SVC, reversible=True),
        _m("scale_consumers", "topic", ("topic",), reversible=True),
        _m("set_flag", "flag", ("flag",), reversible=True),
        _m("set_breaker", "dependency", ("dependency",), reversible=True),
        _m("throttle_producer", "topic", ("topic",), reversible=True),
        _m("skip_poison", "topic", ("topic",)),
        _m("restart", "target", ("service", "database", "topic")),
        _m("failover", "database", ("database",)),
        _m("shed_load", "service", _SVC, reversible=True),
        _m("kill_query", "database", ("database",)),
        _m("forward_fix", "service", _SVC),
        _m("rotate_certificate", "certificate", ("certificate",), mechanic="certificates"),
        _m("set_retries", "service", _SVC, reversible=True, mechanic="retries"),
        _m("evacuate_region", "region", ("region",), reversible=True, mechanic="regions"),
        _m("rollback_config", "config", ("config",), mechanic="configs"),
        _m("halt_config_push", "config", ("config",), reversible=True, mechanic="configs"),
        _m("pause_autoscaler", "service", _SVC, reversible=True, mechanic="autoscaler"),
        _m("cap_autoscaler", "service", _SVC, reversible=True, mechanic="autoscaler"),
        _m("request_quota_raise", "dependency", ("dependency",), mechanic="quotas"),
        _m("warm_cache", "cache", ("cache",), mechanic="caches"),
        _m("set_coalescing", "cache", ("cache",), reversible=True, mechanic="caches"),
        _m("free_resource", "service", _SVC, mechanic="leaks"),
        _m("raise_limit", "service", _SVC, mechanic="leaks"),
        _m("set_timeout", "service", _SVC, reversible=True, mechanic="timeouts"),
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
