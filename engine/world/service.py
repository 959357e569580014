"""A service fleet: pods behind a load balancer, versions, flags, saturation.

Fluid model: each tick the offered request rate is spread over serving pods;
pods that behave alike (same version, same fault, same flag state) form a
group whose per-endpoint error and latency are computed once. What a request
sees is the product of independent failure sources: the code it runs, CPU
saturation, worker starvation (Little's law: busy = rate x latency), the
dependencies and database it calls, and producer back-pressure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..scenario import Effect, Migration, PodFault, Service
    from .model import World


@dataclass(slots=True)
class Pod:
    name: str
    index: int
    region: str
    version: str
    state: str = "running"  # running | draining | drained | restarting | starting
    fault: PodFault | None = None
    restarts: int = 0

    @property
    def serving(self) -> bool:
        return self.state in ("running", "draining")


@dataclass(slots=True)
class Profile:
    """How a group of identical pods treats each endpoint before load effects."""

    err: list[float]
    lat: list[float]
    cpu: float
    corrupt: list[float]
    logs: tuple[str, ...]


@dataclass(slots=True)
class GroupResult:
    rps: float = 0.0
    err_pct: float = 0.0
    p50: float = 0.0
    p99: float = 0.0
    cpu_pct: float = 0.0
    busy_pct: float = 0.0


@dataclass(slots=True)
class EndpointResult:
    rps: float = 0.0
    err5: float = 0.0  # 5xx per second
    err4: float = 0.0  # 429 per second (throttled)
    p50: float = 0.0
    p99: float = 0.0


def combine(*fractions: float) -> float:
    """Probability that at least one independent failure happens."""
    ok = 1.0
    for f in fractions:
        ok *= 1.0 - f
    return 1.0 - ok


class ServiceState:
    """Live state of one service and its last computed tick."""

    def __init__(self, spec: Service, region_names: list[str], pod_tag: str) -> None:
        self.spec = spec
        self.name = spec.name
        self.version_order = [v.name for v in spec.versions]
        self.versions = {v.name: v for v in spec.versions}
        self.regions = list(spec.regions) or (region_names[:1] or ["global"])
        self.pod_tag = pod_tag
        self.pods: list[Pod] = []
        for i in range(spec.pods):
            self.add_pod(spec.version)
        self.current_version = spec.version
        self.history: list[str] = [spec.version]
        self.shed_pct = 0.0
        self.rolling = False
        self.migration: tuple[int, Migration] | None = None
        self._profiles: dict[tuple[object, ...], Profile] = {}
        # results of the last tick
        self.endpoints = [EndpointResult() for _ in spec.endpoints]
        self.groups: dict[tuple[object, ...], GroupResult] = {}
        self.region_err: dict[str, tuple[float, float]] = {}
        self.m: dict[str, float] = {}
        self.failed_rps = 0.0
        self.offered = 0.0
        self.revenue_lost_per_s = 0.0
        self.corrupt_per_s = 0.0
        self.business: dict[str, tuple[float, float]] = {}
        self.active_logs: dict[str, float] = {}

    # ------------------------------------------------------------------ pods
    def add_pod(self, version: str, state: str = "running") -> Pod:
        i = len(self.pods)
        pod = Pod(
            name=f"{self.name}-{self.pod_tag}-{i}",
            index=i,
            region=self.regions[i % len(self.regions)],
            version=version,
            state=state,
        )
        self.pods.append(pod)
        return pod

    def pod(self, name: str) -> Pod | None:
        return next((p for p in self.pods if p.name == name), None)

    def invalidate(self) -> None:
        self._profiles.clear()

    # ---------------------------------------------------------------- profile
    def _profile(self, pod: Pod, world: World) -> tuple[tuple[object, ...], Profile]:
        flags = world.flag_on
        version = self.versions[pod.version]
        key: tuple[object, ...] = (pod.version, id(pod.fault) if pod.fault else None)
        if key in self._profiles:
            return key, self._profiles[key]
        n = len(self.spec.endpoints)
        err = [0.0] * n
        lat = [0.0] * n
        cpu_w = [1.0] * n
        corrupt = [0.0] * n
        logs: list[str] = []
        names = [e.name for e in self.spec.endpoints]
        effects: list[Effect] = [e for e in version.effects if e.when_flag is None or flags(e.when_flag)]
        for eff in effects:
            idx = range(n) if eff.endpoint is None else [names.index(eff.endpoint)]
            for i in idx:
                err[i] = combine(err[i], eff.error_pct / 100.0)
                lat[i] += eff.latency_ms
                cpu_w[i] *= eff.cpu_factor
            if eff.log and (eff.error_pct or eff.latency_ms or eff.cpu_factor != 1.0):
                logs.append(eff.log)
        if pod.fault is not None:
            for i in range(n):
                err[i] = combine(err[i], pod.fault.error_pct / 100.0)
                lat[i] += pod.fault.latency_ms
            logs.append(pod.fault.log or f"{pod.fault.reason}")
        if self.migration is not None:
            v_index, mig = self.migration
            if not mig.reversible and self.version_order.index(pod.version) < v_index:
                for i, e in enumerate(self.spec.endpoints):
                    if e.writes:
                        corrupt[i] = mig.corrupt_pct / 100.0
                logs.append(
                    f"WARN schema {mig.id}: writing row with legacy layout; "
                    "column defaults applied (code predates migration)"
                )
        cpu = sum(e.share * cpu_w[i] for i, e in enumerate(self.spec.endpoints))
        prof = Profile(err, lat, cpu, corrupt, tuple(logs))
        self._profiles[key] = prof
        return key, prof

    # ------------------------------------------------------------------- tick
    def step(self, rps_total: float, region_shares: dict[str, float], world: World) -> None:
        spec = self.spec
        eps = spec.endpoints
        n_e = len(eps)
        offered = rps_total * spec.rps_share
        admitted = offered * (1.0 - self.shed_pct / 100.0)
        shed = offered - admitted
        self.offered = offered

        # Per-endpoint downstream conditions, same for every pod this tick.
        dep_err = [0.0] * n_e
        dep_lat = [0.0] * n_e
        hold_lat = [0.0] * n_e  # latency that holds a worker (timeouts count fully)
        db_q: list[str | None] = [None] * n_e
        prod: list[tuple[str, float, float] | None] = [None] * n_e
        for i, e in enumerate(eps):
            ferr = 0.0
            flat = 0.0
            for d in e.calls:
                dep = world.deps[d]
                de, dl = dep.effect()
                ferr = combine(ferr, de)
                flat += dl
            if e.database is not None:
                db = world.dbs[e.database]
                ferr = combine(ferr, db.timeout_frac)
                flat += db.wait_ms
                db_q[i] = e.database
            dep_err[i] = ferr
            dep_lat[i] = flat
            hold_lat[i] = flat
            if e.produces is not None:
                topic = world.topics[e.produces]
                prod[i] = (e.produces, topic.throttle_pct / 100.0, topic.reject_frac)

        ep = [EndpointResult() for _ in eps]
        lat_w = [0.0] * n_e  # rps-weighted p50 accumulators
        p99_max = [0.0] * n_e
        self.groups = {}
        region_err: dict[str, list[float]] = {}
        revenue_lost = 0.0
        corrupt = 0.0
        log_weights: dict[str, float] = {}
        base50 = spec.latency_ms.p50
        base99 = spec.latency_ms.p99
        cap = spec.capacity_rps_per_pod
        workers = spec.workers_per_pod
        cpu_sum = 0.0
        busy_sum = 0.0
        n_serving_total = 0

        for region in self.regions:
            share = region_shares.get(region, 1.0 / len(self.regions))
            r_adm = admitted * share
            serving = [p for p in self.pods if p.serving and p.region == region]
            acc = region_err.setdefault(region, [0.0, 0.0])
            acc[0] += r_adm
            if not serving:
                # no healthy upstream: the load balancer answers 503 for the region
                for i, e in enumerate(eps):
                    ep[i].rps += r_adm * e.share
                    ep[i].err5 += r_adm * e.share
                    revenue_lost += r_adm * e.share * e.revenue_per_request
                acc[1] += r_adm
                if r_adm > 0:
                    log_weights[f"ERROR upstream connect error: no healthy upstream ({region})"] = r_adm
                continue
            n_serving_total += len(serving)
            r_pod = r_adm / len(serving)
            groups: dict[tuple[object, ...], tuple[int, Profile]] = {}
            for p in serving:
                key, prof = self._profile(p, world)
                count, _ = groups.get(key, (0, prof))
                groups[key] = (count + 1, prof)
            for key, (count, prof) in groups.items():
                u = r_pod * prof.cpu / cap
                sat = 1.0 - 1.0 / u if u > 1.0 else 0.0
                q = 1.0 + max(0.0, u - 0.7) * 6.0
                if q > 10.0:
                    q = 10.0
                mean_hold = 0.0
                for i, e in enumerate(eps):
                    mean_hold += e.share * (base50 * q + prof.lat[i] + hold_lat[i])
                need = r_pod * (1.0 - sat) * mean_hold / 1000.0
                starve = 1.0 - workers / need if need > workers else 0.0
                g_rps = r_pod * count
                g_fail = 0.0
                g_p99 = 0.0
                g_p50 = 0.0
                for i, e in enumerate(eps):
                    rps_e = g_rps * e.share
                    err = combine(prof.err[i], sat, starve, dep_err[i])
                    err4 = 0.0
                    pr = prod[i]
                    if pr is not None:
                        # Throttled messages wait in the producer's outbox (delayed, not
                        # failed); back-pressure on the rest fails the request.
                        topic_name, allowed, reject = pr
                        passed = 1.0 - err
                        world.topics[topic_name].offer(rps_e * passed, allowed)
                        err += passed * allowed * reject
                    fail5 = rps_e * err
                    fail4 = rps_e * err4
                    ok = rps_e - fail5 - fail4
                    if db_q[i] is not None:
                        world.dbs[db_q[i]].offer(rps_e * (1.0 - combine(prof.err[i], sat, starve)))
                    for d in e.calls:
                        world.deps[d].offer(rps_e * (1.0 - combine(prof.err[i], sat, starve)))
                    if prof.corrupt[i]:
                        corrupt += ok * prof.corrupt[i]
                    lost = fail5 + fail4
                    revenue_lost += lost * e.revenue_per_request
                    e_p50 = base50 * q + prof.lat[i] + dep_lat[i]
                    e_p99 = base99 * q + prof.lat[i] + dep_lat[i] * 1.5
                    if err > 0.02:
                        e_p99 = max(e_p99, dep_lat[i] * 1.2, e_p50 * 3.0)
                    ep[i].rps += rps_e
                    ep[i].err5 += fail5
                    ep[i].err4 += fail4
                    lat_w[i] += rps_e * e_p50
                    if e_p99 > p99_max[i] and (count / len(serving) >= 0.01 or err > 0.5):
                        p99_max[i] = e_p99
                    g_fail += fail5
                    g_p50 += e.share * e_p50
                    g_p99 = max(g_p99, e_p99)
                acc[1] += g_fail
                for line in prof.logs:
                    log_weights[line] = log_weights.get(line, 0.0) + g_rps * max(0.01, g_fail / max(g_rps, 1e-9))
                cpu = min(100.0, u * 100.0 * 0.8)
                busy = min(100.0, 100.0 * need / workers)
                cpu_sum += cpu * count
                busy_sum += busy * count
                self.groups[key] = GroupResult(
                    rps=r_pod,
                    err_pct=100.0 * g_fail / g_rps if g_rps else 0.0,
                    p50=g_p50,
                    p99=g_p99,
                    cpu_pct=cpu,
                    busy_pct=busy,
                )

        total_rps = 0.0
        fail5 = 0.0
        fail4 = 0.0
        w50 = 0.0
        p99 = 0.0
        business: dict[str, tuple[float, float]] = {}
        for i, e in enumerate(eps):
            r = ep[i]
            r.p50 = lat_w[i] / r.rps if r.rps else base50
            r.p99 = p99_max[i] or base99
            total_rps += r.rps
            fail5 += r.err5
            fail4 += r.err4
            w50 += lat_w[i]
            if r.rps * 100 >= total_rps and r.p99 > p99:
                p99 = r.p99
            if e.business:
                ok_b, tot_b = business.get(e.business, (0.0, 0.0))
                business[e.business] = (ok_b + r.rps - r.err5 - r.err4, tot_b + r.rps)
            if dep_err[i] > 0.05 and r.rps > 0:
                for d in e.calls:
                    dep = world.deps[d]
                    if dep.breaker_open:
                        continue
                    line = f"ERROR {e.name}: upstream {d} failed: " + (
                        f"timeout after {dep.spec.timeout_ms:.0f}ms"
                        if dep.timeout_frac > 0.2
                        else "503 Service Unavailable"
                    )
                    log_weights[line] = log_weights.get(line, 0.0) + r.rps * dep_err[i]
            if e.database and world.dbs[e.database].timeout_frac > 0.02:
                line = (
                    f"ERROR {e.name}: could not obtain connection from pool "
                    f"'{e.database}' within {world.dbs[e.database].spec.wait_timeout_ms:.0f}ms"
                )
                log_weights[line] = log_weights.get(line, 0.0) + r.rps
            if e.produces and world.topics[e.produces].reject_frac > 0.01:
                line = (
                    f"ERROR {e.name}: produce to '{e.produces}' failed: "
                    "BufferExhaustedException: failed to allocate memory within max.block.ms"
                )
                log_weights[line] = log_weights.get(line, 0.0) + r.rps
        self.endpoints = ep
        self.revenue_lost_per_s = revenue_lost
        self.corrupt_per_s = corrupt
        self.failed_rps = fail5 + fail4 + shed
        self.business = business
        self.region_err = {k: (v[0], v[1]) for k, v in region_err.items()}
        self.active_logs = log_weights
        n_pods = len(self.pods)
        total = total_rps + shed
        self.m = {
            "rps": offered,
            "err_5xx_pct": 100.0 * fail5 / total if total else 0.0,
            "err_4xx_pct": 100.0 * fail4 / total if total else 0.0,
            "shed_pct": 100.0 * shed / total if total else 0.0,
            "p50_ms": w50 / total_rps if total_rps else base50,
            "p99_ms": p99 or base99,
            "cpu_pct": cpu_sum / n_serving_total if n_serving_total else 0.0,
            "worker_busy_pct": busy_sum / n_serving_total if n_serving_total else 0.0,
            "healthy_pods": float(sum(1 for p in self.pods if p.serving)),
            "pods": float(n_pods),
            "restarts": float(sum(p.restarts for p in self.pods)),
        }
