"""Names of the top-level dashboard metrics a scenario's world exposes.

Alert rules, inject conditions and decision scripts refer to metrics by
these names (``<component>.<metric>``, and ``<service>.<region>.<metric>``
for services in two or more regions); breakdowns (per pod, endpoint,
region) are not metrics but detail revealed on request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .regional import instances
from .scenario import instance_names

if TYPE_CHECKING:
    from .scenario import Scenario

SERVICE = (
    "rps",
    "err_5xx_pct",
    "err_4xx_pct",
    "p50_ms",
    "p99_ms",
    "cpu_pct",
    "worker_busy_pct",
    "healthy_pods",
    "pods",
    "restarts",
)
DEPENDENCY = (
    "latency_ms",
    "error_pct",
    "timeouts_per_s",
    "breaker_open",
    "calls_per_s",
    "queue_depth",
    "saturation_pct",
)
DATABASE = (
    "pool_active",
    "pool_waiting",
    "pool_util_pct",
    "timeouts_per_s",
    "avg_query_ms",
    "locks",
    "up",
)
TOPIC = (
    "produce_rate",
    "consume_rate",
    "consumer_lag",
    "lag_seconds",
    "consumers",
    "rebalancing",
    "rebalances",
    "buffer_fill_pct",
    "dlq",
    "outbox",
    "throttle_pct",
)
BUSINESS = (
    "users_affected_pct",
    "failed_rps",
    "failed_requests",
    "impact_minutes",
    "money_lost_per_min",
    "money_lost",
    "rows_corrupted",
    "error_budget_used_pct",
    "alerts_firing",
    "shed_rps",
    "shed_requests",
)


REGION = ("rps", "err_5xx_pct")  # per region of a service in two or more regions


def region_metric_names(scenario: Scenario) -> list[str]:
    """``<service>.<region>.<metric>`` for every service spread over two or more regions."""
    return [
        f"{s.name}.{r}.{m}"
        for s in scenario.topology.services
        if len(s.regions) >= 2
        for r in s.regions
        for m in REGION
    ]


QUOTA = ("throttled_per_s", "quota_rps")  # per dependency with a quota


def quota_metric_names(scenario: Scenario) -> list[str]:
    """``<dependency>.<metric>`` for every dependency with a ``quota_rps``."""
    return [
        f"{i.name}.{m}"
        for d in scenario.topology.dependencies
        if d.quota_rps is not None
        for i in instances(d)
        for m in QUOTA
    ]


CACHE = ("hit_pct", "db_reads_per_s")  # per cache


def cache_metric_names(scenario: Scenario) -> list[str]:
    """``<cache>.<metric>`` for every cache the topology declares."""
    return [f"{c.name}.{m}" for c in scenario.topology.caches for m in CACHE]


DISCOVERY = ("lookup_failures_per_s",)  # per service that resolves a `discovery` record


def discovery_metric_names(scenario: Scenario) -> list[str]:
    """``<service>.lookup_failures_per_s`` for every service calling a ``discovery`` record."""
    records = {r.name for r in scenario.topology.discovery}
    return [
        f"{s.name}.{m}"
        for s in scenario.topology.services
        if any(c in records for e in s.endpoints for c in e.call_names)
        for m in DISCOVERY
    ]


CLIENT = ("rps", "limited_rps")  # per client the traffic declares


def client_metric_names(scenario: Scenario) -> list[str]:
    """``client.<name>.<metric>`` for every client in ``traffic.clients``."""
    return [f"client.{c.name}.{m}" for c in scenario.traffic.clients for m in CLIENT]


def leak_metric_names(scenario: Scenario) -> list[str]:
    """``<service>.<resource>_used_pct`` for every service and resource a leak fault names."""
    names: list[str] = []
    for f in scenario.faults:
        if f.kind == "resource_leak":
            name = f"{f.service}.{f.resource}_used_pct"
            if name not in names:
                names.append(name)
    return names


def metric_names(scenario: Scenario) -> set[str]:
    """Every metric name the world of ``scenario`` publishes each sample."""
    topo = scenario.topology
    names = {f"business.{m}" for m in BUSINESS}
    for s in topo.services:
        names.update(f"{s.name}.{m}" for m in SERVICE)
        for e in s.endpoints:
            if e.business:
                names.add(f"business.{e.business}_success_pct")
    for name in instance_names(topo.dependencies):
        names.update(f"{name}.{m}" for m in DEPENDENCY)
    for name in instance_names(topo.databases):
        names.update(f"{name}.{m}" for m in DATABASE)
    for t in topo.topics:
        names.update(f"{t.name}.{m}" for m in TOPIC)
    names.update(region_metric_names(scenario))
    names.update(quota_metric_names(scenario))
    names.update(cache_metric_names(scenario))
    names.update(leak_metric_names(scenario))
    names.update(discovery_metric_names(scenario))
    names.update(client_metric_names(scenario))
    return names


# What no real dashboard shows: the simulation's ground truth about harm. Players infer
# blast radius from error rates, traffic and the business KPIs; these are the facilitator's
# and the debrief's (grading reads them from the log, which keeps them). Rows corrupted
# stay visible: a real integrity check counts them, and scenarios alert on it.
GROUND_TRUTH = ("business.users_affected_pct", "business.impact_minutes")


def as_players_see(data: Mapping[str, Any]) -> dict[str, Any]:
    """A ``metrics`` event's data without the :data:`GROUND_TRUTH` values."""
    values = data.get("values", {})
    return {**data, "values": {k: v for k, v in values.items() if k not in GROUND_TRUTH}}
