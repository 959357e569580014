"""The world: every simulated component, stepped together each tick.

Order within a tick: traffic, then services (which read the downstream state
of the previous tick and offer demand), then dependencies, databases and
topics (which turn that demand into the state callers see next tick), then
business impact. All randomness comes from the drill's own ``random.Random``.

Replay speed: this runs every simulated second, so a tick's metrics are one
flat list (``values``, in ``keys`` order: services, dependencies, databases,
topics, business, the order samples have always listed them). Components
return tuples that are concatenated, the sample window sums the lists with one
C-level ``map``, and the ``m`` dict is built only when someone asks for it.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from itertools import repeat
from operator import add, truediv
from typing import Any

from .. import metrics
from ..regional import instances, route
from ..scenario import Database, Dependency, Scenario
from .backends import CacheState, DatabaseState, DependencyState, TopicState
from .graph import ServiceEdge
from .service import ServiceState

CUMULATIVE = (
    ".failed_requests",
    ".shed_requests",
    ".impact_minutes",
    ".money_lost",
    ".rows_corrupted",
    ".error_budget_used_pct",
    ".rebalances",
    ".dlq",
    ".restarts",
    ".outbox",
    ".pods",
    ".healthy_pods",
    ".consumers",
    ".alerts_firing",
    ".breaker_open",
    ".throttle_pct",
    ".up",
)
LEVELS = ("DEBUG", "INFO", "WARN", "ERROR")
Emit = Callable[[str, dict[str, Any], str], None]


class World:
    def __init__(self, scenario: Scenario, rng: random.Random, emit: Emit) -> None:
        self.scenario = scenario
        self.rng = rng
        self.emit = emit
        topo = scenario.topology
        self.flags: dict[str, bool] = {f.name: f.enabled for f in topo.flags}
        # (flag, region) -> a setting of one region apart from the rest (set_flag region=)
        self.region_flags: dict[tuple[str, str], bool] = {}
        regions = [r.name for r in scenario.traffic.regions]
        self.region_shares = {r.name: r.share for r in scenario.traffic.regions}
        self.services = {
            s.name: ServiceState(s, regions, f"{rng.getrandbits(16):04x}") for s in topo.services
        }
        for svc in self.services.values():
            svc.region_shares = self.region_shares
        # A regional database or dependency is one component per region (engine/regional.py).
        self.deps = {i.name: DependencyState(i) for d in topo.dependencies for i in instances(d)}
        self.dbs = {i.name: DatabaseState(i) for d in topo.databases for i in instances(d)}
        specs: list[Database | Dependency] = [*topo.dependencies, *topo.databases]
        self.regional = {s.name: s for s in specs if s.regions}
        self.reroutes: dict[tuple[str, str], str] = {}  # (component, callers' region) -> to
        self.topics = {t.name: TopicState(t) for t in topo.topics}
        self.caches = {c.name: CacheState(c, self.dbs[c.database]) for c in topo.caches}
        self._cache_list = list(self.caches.values())
        self.edges: dict[tuple[str, float], ServiceEdge] = {}  # (callee, timeout) -> edge
        self._service_list = list(self.services.values())
        self._dep_list = list(self.deps.values())
        self._db_list = list(self.dbs.values())
        self._topic_list = list(self.topics.values())
        self._edge_list: list[ServiceEdge] = []
        self.noise = 0.0
        self.rps_total = scenario.traffic.base_rps
        self.failed_requests = 0.0
        self.shed_requests = 0.0
        self.shed_weight = scenario.slo.shed_weight
        self.total_requests = 0.0
        self.impact_minutes = 0.0
        self.money_lost = 0.0
        self.rows_corrupted = 0.0
        self.alerts_firing = 0
        slo = scenario.slo
        window_requests = scenario.traffic.base_rps * slo.window_days * 86_400
        self.error_budget = window_requests * (1.0 - slo.availability_pct / 100.0)
        traffic = scenario.traffic
        self._noise_sd = traffic.noise_pct / 100.0 * 0.3122
        self._surges = [(s.at, s.ramp, s.multiplier, s.hold) for s in traffic.surges]
        # Surges that are faults (they may start and end with a cause): id -> (start,
        # ramp, multiplier, end or None while it lasts).
        self.fault_surges: dict[str, tuple[float, float, float, float | None]] = {}
        # Clients (engine/mechanics/ratelimits.py): this tick's (name, share x surge level)
        # and the user traffic they make up with the unnamed rest; their surges, by fault key:
        # (client, start, ramp, multiplier, end or None while it lasts).
        self._clients = list(scenario.traffic.clients)
        self.client_mix: list[tuple[str, float]] = []
        self.user_mix = 1.0
        self.client_surges: dict[str, tuple[str, float, float, float, float | None]] = {}
        self.rotated: set[str] = set()  # certificates renewed during the drill
        self.cert_faults: dict[str, list[str]] = {}  # certificate -> its expiry faults' keys
        self.dt = scenario.tick  # the tick being stepped
        # Each mechanic's own state, by mechanic name (engine/mechanics/<name>.py).
        self.mechanic_state: dict[str, object] = {}
        # Alert rules get no data while a tool outage holds alerting down (mechanics.tooling).
        self.alerting_down = False
        self.now = 0.0  # simulated time of the tick being stepped
        # Business flows (endpoint labels) in order of first appearance.
        self._labels: list[str] = []
        for svc in self.services.values():
            for _, label in svc.business_labels:
                if label not in self._labels:
                    self._labels.append(label)
        self._label_index = {label: j for j, label in enumerate(self._labels)}
        keys = [f"{name}.{m}" for name in self.services for m in metrics.SERVICE]
        keys += [f"{name}.{m}" for name in self.deps for m in metrics.DEPENDENCY]
        keys += [f"{name}.{m}" for name in self.dbs for m in metrics.DATABASE]
        keys += [f"{name}.{m}" for name in self.topics for m in metrics.TOPIC]
        keys += [f"business.{m}" for m in metrics.BUSINESS]
        keys += [f"business.{label}_success_pct" for label in self._labels]
        # Per-region metrics of services spread over regions, so alerts can watch one.
        self._regional = [s for s in self._service_list if len(s.spec.regions) >= 2]
        keys += metrics.region_metric_names(scenario)
        # Quota metrics of dependencies with a quota (engine/mechanics/quotas.py).
        self._quota_deps = [d for d in self._dep_list if d.spec.quota_rps is not None]
        keys += metrics.quota_metric_names(scenario)
        keys += metrics.cache_metric_names(scenario)
        # Gauges a mechanic sets between ticks (engine/mechanics/leaks.py, discovery.py), by name.
        self._gauge_names = metrics.leak_metric_names(scenario)
        self._gauge_names += metrics.discovery_metric_names(scenario)
        self.gauges: dict[str, float] = dict.fromkeys(self._gauge_names, 0.0)
        keys += self._gauge_names
        keys += metrics.client_metric_names(scenario)
        assert len(set(keys)) == len(keys), "component names are unique (validated)"
        self.keys = keys
        self.index = {k: i for i, k in enumerate(keys)}
        self._counters = [i for i, k in enumerate(keys) if k.endswith(CUMULATIVE)]
        self.values: list[float] = []  # this tick's metrics in ``keys`` order
        self._m: dict[str, float] | None = None
        self._acc: list[float] = []  # sums over the sample window (for gauge means)
        self._acc_n = 0

    def reset_counters(self) -> None:
        """Start cumulative counters at zero when the drill clock starts."""
        self.failed_requests = self.total_requests = self.shed_requests = 0.0
        self.impact_minutes = self.money_lost = self.rows_corrupted = 0.0
        for i, k in enumerate(self.keys[: len(self.values)]):
            if k.startswith("business.") and k.endswith(CUMULATIVE):
                self.values[i] = 0.0
        self._m = None

    @property
    def m(self) -> dict[str, float]:
        """This tick's metrics by name (empty before the first tick)."""
        if self._m is None:
            self._m = dict(zip(self.keys, self.values, strict=False))  # {} before any tick
        return self._m

    def metric(self, name: str, default: float = 0.0) -> float:
        """One metric of this tick, without building ``m``."""
        i = self.index.get(name)
        return default if i is None or i >= len(self.values) else self.values[i]

    # ---------------------------------------------------------------- helpers
    def callee(self, name: str, timeout_ms: float) -> DependencyState | ServiceEdge:
        """What a call to ``name`` reaches: a dependency, or an edge to a service."""
        dep = self.deps.get(name)
        if dep is not None:
            return dep
        key = (name, timeout_ms)
        edge = self.edges.get(key)
        if edge is None:
            edge = self.edges[key] = ServiceEdge(self.services[name], timeout_ms)
            self._edge_list = list(self.edges.values())
        return edge

    def route(self, name: str, region: str) -> tuple[str, float]:
        """The component a pod in ``region`` reaches calling ``name``, and the latency added."""
        spec = self.regional.get(name)
        return (
            (name, 0.0) if spec is None else route(spec, region, self.reroutes.get((name, region)))
        )

    def set_route(self, name: str, region: str, to: str) -> None:
        """Calls to ``name`` from ``region``'s pods go to ``to``'s instance from now on."""
        if to == region:
            self.reroutes.pop((name, region), None)
        else:
            self.reroutes[(name, region)] = to
        for svc in self._service_list:
            svc.reroute()

    def set_region_share(self, region: str, share: float) -> None:
        """Send ``share`` of traffic to ``region`` (0: evacuated); the others absorb the rest."""
        self.region_shares[region] = share
        for s in self._service_list:
            s.invalidate()

    def flag_on(self, name: str, region: str | None = None) -> bool:
        """Whether flag ``name`` is on (in ``region``, if set there apart from the rest)."""
        if region is not None and self.region_flags:
            found = self.region_flags.get((name, region))
            if found is not None:
                return found
        return self.flags.get(name, False)

    def set_flag(self, name: str, enabled: bool, region: str | None = None) -> None:
        """Set a flag everywhere (clearing regional settings of it), or in one region."""
        if region is not None:
            if self.flag_on(name, region) == enabled:
                return
            self.region_flags[(name, region)] = enabled
        else:
            regional = [k for k in self.region_flags if k[0] == name]
            if self.flags.get(name) == enabled and not regional:
                return
            for k in regional:
                del self.region_flags[k]
            self.flags[name] = enabled
        for s in self.services.values():
            s.invalidate()

    def traffic_multiplier(self, t: float) -> float:
        mult = 1.0
        for at, ramp, multiplier, hold in self._surges:
            if t <= at:
                continue
            up = min(1.0, (t - at) / ramp) if ramp > 0 else 1.0
            level = 1.0 + (multiplier - 1.0) * up
            if hold is not None and t > at + ramp + hold:
                down = min(1.0, (t - at - ramp - hold) / max(ramp, 1.0))
                level = multiplier + (1.0 - multiplier) * down
            mult *= level
        for start, ramp, multiplier, end in self.fault_surges.values():
            up = min(1.0, (t - start) / ramp) if ramp > 0 else 1.0
            level = 1.0 + (multiplier - 1.0) * up
            if end is not None and t > end:
                down = min(1.0, (t - end) / max(ramp, 1.0))
                level = level + (1.0 - level) * down
            mult *= level
        return mult

    def _client_level(self, client: str, t: float) -> float:
        """How many times its share ``client`` sends at ``t`` (its surges, ramped)."""
        level = 1.0
        for name, start, ramp, multiplier, end in self.client_surges.values():
            if name != client:
                continue
            up = min(1.0, (t - start) / ramp) if ramp > 0 else 1.0
            now = 1.0 + (multiplier - 1.0) * up
            if end is not None and t > end:
                now += (1.0 - now) * min(1.0, (t - end) / max(ramp, 1.0))
            level *= now
        return level

    # ------------------------------------------------------------------- tick
    def step(self, now: float, dt: float) -> None:
        self.now = now
        self.dt = dt
        if self._clients:  # who sends the user traffic this tick
            self.client_mix = [
                (c.name, c.share * self._client_level(c.name, now)) for c in self._clients
            ]
            rest = 1.0 - sum(c.share for c in self._clients)
            self.user_mix = rest + sum(sent for _, sent in self.client_mix)
        # AR(1) noise: traffic wanders smoothly instead of jittering each tick.
        self.noise = 0.95 * self.noise + self.rng.gauss(0.0, self._noise_sd)
        self.rps_total = rps = (
            self.scenario.traffic.base_rps * self.traffic_multiplier(now) * (1.0 + self.noise)
        )
        values: list[float] = []
        extend = values.extend
        # Business totals accumulate service by service, as each one steps.
        failed = 0.0
        shed = 0.0
        offered = 0.0
        affected = 0.0
        revenue = 0.0
        corrupt = 0.0
        ok_sum = [0.0] * len(self._labels)
        tot_sum = ok_sum[:]
        label_index = self._label_index
        weight = self.shed_weight
        edges = self._edge_list
        if edges:  # calls between services arrive one tick later, like any hop
            for svc in self._service_list:
                svc.inbound = 0.0
            for edge in edges:
                edge.callee.inbound += edge.demand
                edge.demand = 0.0
        for svc in self._service_list:
            extend(svc.step(rps, self))
            if svc.offered > 0:
                # Only the share users sent counts toward user-facing figures; calls from
                # other services fail (or not) inside their callers' requests.
                ext = 1.0 if not svc.inbound else 1.0 - svc.inbound / svc.offered
                failed += svc.failed_rps * ext
                shed += svc.shed_rps * ext
                offered += svc.offered * ext
                hurt = svc.failed_rps + weight * svc.shed_rps
                affected += svc.spec.rps_share * hurt / svc.offered
            revenue += svc.revenue_lost_per_s
            corrupt += svc.corrupt_per_s
            for label, (ok, tot) in svc.business.items():
                j = label_index[label]
                ok_sum[j] += ok
                tot_sum[j] += tot
        for edge in edges:
            edge.update()
        for dep in self._dep_list:
            extend(dep.step(dt))
        for db in self._db_list:
            extend(db.step(now, dt))
        for topic in self._topic_list:
            if topic.poison and topic.consumers > 0 and now >= topic.next_crash:
                topic.next_crash = now + topic.spec.group.crash_every
                part = next(iter(topic.poison))
                if topic.rebalance(now):
                    self.emit(
                        "state",
                        {
                            "component": topic.spec.name,
                            "what": "rebalance",
                            "cause": f"consumer of partition {part} crashed on a poison message",
                        },
                        "all",
                    )
            extend(topic.step(now, dt))
        affected_pct = min(100.0, 100.0 * affected)
        self.failed_requests += failed * dt
        self.shed_requests += shed * dt
        self.total_requests += offered * dt
        self.impact_minutes += affected_pct / 100.0 * dt / 60.0
        self.money_lost += revenue * dt
        self.rows_corrupted += corrupt * dt
        extend(
            (
                affected_pct,
                failed,
                self.failed_requests,
                self.impact_minutes,
                revenue * 60.0,
                self.money_lost,
                self.rows_corrupted,
                100.0 * (self.failed_requests + weight * self.shed_requests) / self.error_budget,
                float(self.alerts_firing),
                shed,
                self.shed_requests,
            )
        )
        for ok, tot in zip(ok_sum, tot_sum, strict=True):
            values.append(100.0 * ok / tot if tot else 100.0)
        for svc in self._regional:
            for region in svc._stepped:
                tot, bad = region.err
                values.append(tot)
                values.append(100.0 * bad / tot if tot else 0.0)
        for dep in self._quota_deps:
            values.append(dep.throttled)
            values.append(dep.quota or 0.0)
        for cache in self._cache_list:
            extend(cache.step(dt))  # after the databases: it refills from their answers
        if self._gauge_names:
            gauges = self.gauges
            extend(gauges[name] for name in self._gauge_names)
        for name, _ in self.client_mix:  # each client's requests, and those rate-limited
            sent = cut = 0.0
            for svc in self._service_list:
                s_sent, s_cut = svc.client_rps.get(name, (0.0, 0.0))
                sent += s_sent
                cut += s_cut
            values.append(sent)
            values.append(cut)
        self.values = values
        self._m = None
        # Sum gauges over the sample window (counters are sampled as-is, but one
        # C-level map over every value is cheaper than picking the gauges out).
        if self._acc_n:
            self._acc = list(map(add, self._acc, values))
        else:  # the first tick after a sample
            self._acc = values[:]
        self._acc_n += 1

    def sample_values(self) -> list[float]:
        """Dashboard values in ``keys`` order: gauges averaged since the last sample
        (like a rate over a scrape window, so oscillations do not alias), counters as-is."""
        n = self._acc_n
        if n == 0:
            return list(self.values)
        out = list(map(truediv, self._acc, repeat(n, len(self._acc))))
        values = self.values
        for i in self._counters:
            out[i] = values[i]
        self._acc = []
        self._acc_n = 0
        return out

    def sample(self) -> dict[str, float]:
        """:meth:`sample_values` by metric name."""
        return dict(zip(self.keys, self.sample_values(), strict=False))  # {} before any tick

    # ----------------------------------------------------------- visibility
    def detail(self, target: str, breakdown: str) -> dict[str, Any]:
        """A breakdown panel: per pod, endpoint or region of a service."""
        svc = self.services[target]
        if breakdown == "pod":
            rows = {}
            groups = svc.groups
            shown: dict[object, dict[str, float]] = {}  # alike pods show the same numbers
            for p in svc.pods:
                row: dict[str, Any] = {"version": p.version, "state": p.state, "region": p.region}
                if p.serving:
                    key, _ = svc._profile(p, self)
                    if key not in shown:
                        g = groups.get(key)
                        shown[key] = (
                            {}
                            if g is None
                            else {
                                "rps": _r(g.rps),
                                "err_5xx_pct": _r(g.err_pct),
                                "p99_ms": _r(g.p99),
                                "cpu_pct": _r(g.cpu_pct),
                                "worker_busy_pct": _r(g.busy_pct),
                            }
                        )
                    row.update(shown[key])
                rows[p.name] = row
            return rows
        if breakdown == "endpoint":
            rows = {}
            for i, e in enumerate(svc.spec.endpoints):
                rps = svc.ep_rps[i] if svc.ep_rps else 0.0
                rows[e.name] = {
                    "rps": _r(rps),
                    "err_5xx_pct": _r(100.0 * svc.ep_err5[i] / rps if rps else 0.0),
                    "p50_ms": _r(svc.ep_lat_w[i] / rps if rps else svc.spec.latency_ms.p50),
                    "p99_ms": _r(svc.ep_p99[i] or svc.spec.latency_ms.p99),
                }
            return rows
        return {
            region: {"rps": _r(tot), "err_5xx_pct": _r(100.0 * bad / tot if tot else 0.0)}
            for region, (tot, bad) in svc.region_err.items()
        }

    def log_lines(self, service: str, limit: int = 12) -> list[dict[str, Any]]:
        """Recent log lines, loudest first, with per-minute counts (deterministic)."""
        svc = self.services[service]
        rows = [
            {
                "level": lvl if (lvl := line.split(" ", 1)[0]) in LEVELS else "ERROR",
                "text": line,
                "per_min": math.ceil(weight * 60),
            }
            for line, weight in sorted(
                svc.log_weights(self).items(), key=lambda kv: (-kv[1], kv[0])
            )
        ]
        for extra in self.scenario.logs:
            if extra.service == service:
                rows.append(
                    {"level": extra.level, "text": extra.text, "per_min": 1 + len(extra.text) % 7}
                )
        return rows[:limit]


def _r(x: float) -> float:
    return round(x, 3)
