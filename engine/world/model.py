"""The world: every simulated component, stepped together each tick.

Order within a tick: traffic, then services (which read the downstream state
of the previous tick and offer demand), then dependencies, databases and
topics (which turn that demand into the state callers see next tick), then
business impact. All randomness comes from the drill's own ``random.Random``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

from ..scenario import Scenario
from .backends import DatabaseState, DependencyState, TopicState
from .service import ServiceState

CUMULATIVE = (
    ".failed_requests",
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
        regions = [r.name for r in scenario.traffic.regions]
        self.region_shares = {r.name: r.share for r in scenario.traffic.regions}
        self.services = {
            s.name: ServiceState(s, regions, f"{rng.getrandbits(16):04x}") for s in topo.services
        }
        for svc in self.services.values():
            svc.region_shares = self.region_shares
        self.deps = {d.name: DependencyState(d) for d in topo.dependencies}
        self.dbs = {d.name: DatabaseState(d) for d in topo.databases}
        self.topics = {t.name: TopicState(t) for t in topo.topics}
        self.noise = 0.0
        self.rps_total = scenario.traffic.base_rps
        self.failed_requests = 0.0
        self.total_requests = 0.0
        self.impact_minutes = 0.0
        self.money_lost = 0.0
        self.rows_corrupted = 0.0
        self.alerts_firing = 0
        self.m: dict[str, float] = {}
        self._acc: list[float] = []
        self._acc_n = 0
        slo = scenario.slo
        window_requests = scenario.traffic.base_rps * slo.window_days * 86_400
        self.error_budget = window_requests * (1.0 - slo.availability_pct / 100.0)

    def reset_counters(self) -> None:
        """Start cumulative counters at zero when the drill clock starts."""
        self.failed_requests = self.total_requests = 0.0
        self.impact_minutes = self.money_lost = self.rows_corrupted = 0.0
        for k in list(self.m):
            if k.startswith("business.") and k.endswith(CUMULATIVE):
                self.m[k] = 0.0

    # ---------------------------------------------------------------- helpers
    def flag_on(self, name: str) -> bool:
        return self.flags.get(name, False)

    def set_flag(self, name: str, enabled: bool) -> None:
        if self.flags.get(name) == enabled:
            return
        self.flags[name] = enabled
        for s in self.services.values():
            s.invalidate()

    def traffic_multiplier(self, t: float) -> float:
        mult = 1.0
        for s in self.scenario.traffic.surges:
            if t <= s.at:
                continue
            up = min(1.0, (t - s.at) / s.ramp) if s.ramp > 0 else 1.0
            level = 1.0 + (s.multiplier - 1.0) * up
            if s.hold is not None and t > s.at + s.ramp + s.hold:
                down = min(1.0, (t - s.at - s.ramp - s.hold) / max(s.ramp, 1.0))
                level = s.multiplier + (1.0 - s.multiplier) * down
            mult *= level
        return mult

    # ------------------------------------------------------------------- tick
    def step(self, now: float, dt: float) -> None:
        sigma = self.scenario.traffic.noise_pct / 100.0
        # AR(1) noise: traffic wanders smoothly instead of jittering each tick.
        self.noise = 0.95 * self.noise + self.rng.gauss(0.0, sigma * 0.3122)
        self.rps_total = (
            self.scenario.traffic.base_rps * self.traffic_multiplier(now) * (1.0 + self.noise)
        )
        for svc in self.services.values():
            svc.step(self.rps_total, self)
        for dep in self.deps.values():
            dep.step(self.m)
        for db in self.dbs.values():
            db.step(now, dt, self.m)
        for topic in self.topics.values():
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
            topic.step(now, dt, self.m)
        self._business(dt)

    def _business(self, dt: float) -> None:
        failed = 0.0
        offered = 0.0
        affected = 0.0
        revenue = 0.0
        corrupt = 0.0
        business: dict[str, list[float]] = {}
        for svc in self.services.values():
            failed += svc.failed_rps
            offered += svc.offered
            if svc.offered > 0:
                affected += svc.spec.rps_share * svc.failed_rps / svc.offered
            revenue += svc.revenue_lost_per_s
            corrupt += svc.corrupt_per_s
            for label, (ok, tot) in svc.business.items():
                acc = business.setdefault(label, [0.0, 0.0])
                acc[0] += ok
                acc[1] += tot
        affected_pct = min(100.0, 100.0 * affected)
        self.failed_requests += failed * dt
        self.total_requests += offered * dt
        self.impact_minutes += affected_pct / 100.0 * dt / 60.0
        self.money_lost += revenue * dt
        self.rows_corrupted += corrupt * dt
        m = self.m
        m["business.users_affected_pct"] = affected_pct
        m["business.failed_rps"] = failed
        m["business.failed_requests"] = self.failed_requests
        m["business.impact_minutes"] = self.impact_minutes
        m["business.money_lost_per_min"] = revenue * 60.0
        m["business.money_lost"] = self.money_lost
        m["business.rows_corrupted"] = self.rows_corrupted
        m["business.error_budget_used_pct"] = 100.0 * self.failed_requests / self.error_budget
        m["business.alerts_firing"] = float(self.alerts_firing)
        for label, (ok, tot) in business.items():
            m[f"business.{label}_success_pct"] = 100.0 * ok / tot if tot else 100.0
        if len(self._acc) == len(m):
            self._acc = [a + v for a, v in zip(self._acc, m.values(), strict=True)]
        else:  # the first tick after a reset
            self._acc = list(m.values())
        self._acc_n += 1

    def sample(self) -> dict[str, float]:
        """Dashboard values: gauges averaged since the last sample (like a rate
        over a scrape window, so oscillations do not alias), counters as-is."""
        n = self._acc_n
        if n == 0 or len(self._acc) != len(self.m):
            return dict(self.m)
        out = {
            k: v if k.endswith(CUMULATIVE) else a / n
            for (k, v), a in zip(self.m.items(), self._acc, strict=True)
        }
        self._acc = []
        self._acc_n = 0
        return out

    # ----------------------------------------------------------- visibility
    def detail(self, target: str, breakdown: str) -> dict[str, Any]:
        """A breakdown panel: per pod, endpoint or region of a service."""
        svc = self.services[target]
        if breakdown == "pod":
            rows = {}
            for p in svc.pods:
                row: dict[str, Any] = {"version": p.version, "state": p.state, "region": p.region}
                if p.serving:
                    key, _ = svc._profile(p, self)
                    g = svc.groups.get(key)
                    if g is not None:
                        row.update(
                            rps=_r(g.rps),
                            err_5xx_pct=_r(g.err_pct),
                            p99_ms=_r(g.p99),
                            cpu_pct=_r(g.cpu_pct),
                            worker_busy_pct=_r(g.busy_pct),
                        )
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
