"""A service fleet: pods behind a load balancer, versions, flags, saturation.

Fluid model: each tick the offered request rate is spread over serving pods;
pods that behave alike (same version, same fault, same flag state) form a
group whose per-endpoint error and latency are computed once. What a request
sees is the product of independent failure sources: the code it runs, CPU
saturation, worker starvation (Little's law: busy = rate x latency), the
dependencies and database it calls, and producer back-pressure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..scenario import Effect, Migration, PodFault, Service
    from .backends import DatabaseState, DependencyState, TopicState
    from .model import World


class Pod:
    """One pod. Any change to it invalidates its fleet's cached layout."""

    __slots__ = ("fault", "index", "name", "owner", "region", "restarts", "state", "version")
    owner: ServiceState | None

    def __init__(
        self,
        owner: ServiceState | None,
        name: str,
        index: int,
        region: str,
        version: str,
        state: str = "running",
    ) -> None:
        object.__setattr__(self, "owner", owner)
        self.name = name
        self.index = index
        self.region = region
        self.version = version
        self.state = state  # running | draining | drained | restarting | starting
        self.fault: PodFault | None = None
        self.restarts = 0

    def __setattr__(self, key: str, value: object) -> None:
        object.__setattr__(self, key, value)
        owner = self.owner
        if owner is not None:
            owner._layout = None

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
        self.regions = list(spec.regions) or ["global"]
        self.pod_tag = pod_tag
        self.pods: list[Pod] = []
        self._layout: list[tuple[str, float, int, list[tuple[object, int, Profile]]]] | None = None
        self.region_shares: dict[str, float] = {}
        self._restarts = 0
        for _ in range(spec.pods):
            self.add_pod(spec.version)
        self.current_version = spec.version
        self.history: list[str] = [spec.version]
        self.shed_pct = 0.0
        self.rolling = False
        self.roll_gen = 0
        self.migration: tuple[int, Migration] | None = None
        self._profiles: dict[tuple[object, ...], Profile] = {}
        # results of the last tick
        self.groups: dict[object, GroupResult] = {}
        self.region_err: dict[str, tuple[float, float]] = {}
        self.m: dict[str, float] = {}
        self.failed_rps = 0.0
        self.offered = 0.0
        self.revenue_lost_per_s = 0.0
        self.corrupt_per_s = 0.0
        self.business: dict[str, tuple[float, float]] = {}
        self.ep_rps: list[float] = []
        self.ep_err5: list[float] = []
        self.ep_lat_w: list[float] = []
        self.ep_p99: list[float] = []
        self.down_err: list[float] = []
        eps = spec.endpoints
        self._shares = [e.share for e in eps]
        self._revenue = [e.revenue_per_request for e in eps]
        self._calls = [tuple(e.calls) for e in eps]
        self._db = [e.database for e in eps]
        self._prod = [e.produces for e in eps]
        self._business_label = [e.business for e in eps]
        self._refs: (
            tuple[
                list[tuple[DependencyState, ...]],
                list[DatabaseState | None],
                list[TopicState | None],
            ]
            | None
        ) = None
        from ..metrics import SERVICE

        self._keys = [f"{self.name}.{m}" for m in SERVICE]

    # ------------------------------------------------------------------ pods
    def add_pod(self, version: str, state: str = "running") -> Pod:
        i = len(self.pods)
        pod = Pod(
            self,
            f"{self.name}-{self.pod_tag}-{i}",
            i,
            self.regions[i % len(self.regions)],
            version,
            state,
        )
        self.pods.append(pod)
        self._layout = None
        return pod

    def remove_pods(self, keep: int) -> None:
        del self.pods[keep:]
        self._layout = None

    def pod(self, name: str) -> Pod | None:
        return next((p for p in self.pods if p.name == name), None)

    def invalidate(self) -> None:
        """Forget cached behaviour (flags, faults or schema changed)."""
        self._profiles.clear()
        self._layout = None

    def _region_share(self, region: str) -> float:
        """Share of this service's traffic that region serves (its pods are its LB pool)."""
        known = [r for r in self.regions if r in self.region_shares]
        if not known:
            return 1.0 / len(self.regions)
        total = sum(self.region_shares[r] for r in known)
        return self.region_shares.get(region, 0.0) / total

    def layout(
        self, world: World
    ) -> list[tuple[str, float, int, list[tuple[object, int, Profile]]]]:
        """Per region: (name, traffic share, serving pods, groups of alike pods)."""
        if self._layout is not None:
            return self._layout
        out = []
        self._restarts = sum(p.restarts for p in self.pods)
        for region in self.regions:
            share = self._region_share(region)
            serving = [p for p in self.pods if p.serving and p.region == region]
            groups: dict[object, list[object]] = {}
            for p in serving:
                key, prof = self._profile(p, world)
                if key in groups:
                    groups[key][1] += 1  # type: ignore[operator]
                else:
                    groups[key] = [key, 1, prof]
            out.append((region, share, len(serving), [tuple(g) for g in groups.values()]))
        self._layout = out  # type: ignore[assignment]
        return out  # type: ignore[return-value]

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
        effects: list[Effect] = [
            e for e in version.effects if e.when_flag is None or flags(e.when_flag)
        ]
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
    def step(self, rps_total: float, world: World) -> None:
        """Advance one tick; writes this service's metrics into ``world.m``."""
        spec = self.spec
        shares = self._shares
        n_e = len(shares)
        offered = rps_total * spec.rps_share
        admitted = offered * (1.0 - self.shed_pct / 100.0)
        shed = offered - admitted
        self.offered = offered

        if self._refs is None:  # resolve names to components once
            self._refs = (
                [tuple(world.deps[d] for d in c) for c in self._calls],
                [world.dbs[d] if d else None for d in self._db],
                [world.topics[t] if t else None for t in self._prod],
            )
        dep_refs, db_refs, topic_refs = self._refs
        # Downstream conditions per endpoint, the same for every pod this tick.
        down_err = [0.0] * n_e
        down_lat = [0.0] * n_e
        allowed = [1.0] * n_e
        reject = [0.0] * n_e
        for i in range(n_e):
            ok = 1.0
            lat = 0.0
            for dep in dep_refs[i]:
                de, dl = dep.effect()
                ok *= 1.0 - de
                lat += dl
            db = db_refs[i]
            if db is not None:
                ok *= 1.0 - db.timeout_frac
                lat += db.wait_ms
            down_err[i] = 1.0 - ok
            down_lat[i] = lat
            topic = topic_refs[i]
            if topic is not None:
                allowed[i] = topic.throttle_pct / 100.0
                reject[i] = topic.reject_frac
        reach_rps = [0.0] * n_e  # requests that got as far as calling downstreams
        passed_rps = [0.0] * n_e  # requests that got as far as producing

        ep_rps = [0.0] * n_e
        ep_err5 = [0.0] * n_e
        lat_w = [0.0] * n_e
        p99_max = [0.0] * n_e
        groups: dict[object, GroupResult] = {}
        region_err: dict[str, tuple[float, float]] = {}
        revenue = self._revenue
        revenue_lost = 0.0
        corrupt = 0.0
        base50 = spec.latency_ms.p50
        base99 = spec.latency_ms.p99
        cap = spec.capacity_rps_per_pod
        workers = spec.workers_per_pod
        cpu_sum = 0.0
        busy_sum = 0.0
        n_serving_total = 0

        for region, share, n_serving, region_groups in self.layout(world):
            r_adm = admitted * share
            if n_serving == 0:
                # No healthy upstream: the load balancer answers 503 for the region.
                for i in range(n_e):
                    ep_rps[i] += r_adm * shares[i]
                    ep_err5[i] += r_adm * shares[i]
                    revenue_lost += r_adm * shares[i] * revenue[i]
                region_err[region] = (r_adm, r_adm)
                continue
            n_serving_total += n_serving
            r_pod = r_adm / n_serving
            r_fail = 0.0
            for key, count, prof in region_groups:
                u = r_pod * prof.cpu / cap
                sat = 1.0 - 1.0 / u if u > 1.0 else 0.0
                q = 1.0 + (u - 0.7) * 6.0 if u > 0.7 else 1.0
                if q > 10.0:
                    q = 10.0
                hold = 0.0
                for i in range(n_e):
                    hold += shares[i] * (base50 * q + prof.lat[i] + down_lat[i])
                need = r_pod * (1.0 - sat) * hold / 1000.0
                starve = 1.0 - workers / need if need > workers else 0.0
                local_ok = (1.0 - sat) * (1.0 - starve)
                g_rps = r_pod * count
                g_fail = 0.0
                g_p50 = 0.0
                g_p99 = 0.0
                for i in range(n_e):
                    rps_e = g_rps * shares[i]
                    reach = local_ok * (1.0 - prof.err[i])  # share reaching downstreams
                    reach_rps[i] += rps_e * reach
                    err = 1.0 - reach * (1.0 - down_err[i])
                    if topic_refs[i] is not None:
                        # Throttled messages wait in the producer's outbox (delayed, not
                        # failed); back-pressure on the rest fails the request.
                        passed = 1.0 - err
                        passed_rps[i] += rps_e * passed
                        err += passed * allowed[i] * reject[i]
                    fail = rps_e * err
                    if prof.corrupt[i]:
                        corrupt += (rps_e - fail) * prof.corrupt[i]
                    revenue_lost += fail * revenue[i]
                    e_p50 = base50 * q + prof.lat[i] + down_lat[i]
                    e_p99 = base99 * q + prof.lat[i] + down_lat[i] * 1.5
                    if err > 0.02:
                        e_p99 = max(e_p99, down_lat[i] * 1.2, e_p50 * 3.0)
                    ep_rps[i] += rps_e
                    ep_err5[i] += fail
                    lat_w[i] += rps_e * e_p50
                    if e_p99 > p99_max[i] and (count >= 0.01 * n_serving or err > 0.5):
                        p99_max[i] = e_p99
                    g_fail += fail
                    g_p50 += shares[i] * e_p50
                    if e_p99 > g_p99:
                        g_p99 = e_p99
                r_fail += g_fail
                cpu = u * 80.0 if u < 1.25 else 100.0
                busy = 100.0 * need / workers if need < workers else 100.0
                cpu_sum += cpu * count
                busy_sum += busy * count
                groups[key] = GroupResult(
                    r_pod, 100.0 * g_fail / g_rps if g_rps else 0.0, g_p50, g_p99, cpu, busy
                )
            region_err[region] = (r_adm, r_fail)

        for i in range(n_e):
            for dep in dep_refs[i]:
                dep.offer(reach_rps[i])
            db = db_refs[i]
            if db is not None:
                db.offer(reach_rps[i])
            topic = topic_refs[i]
            if topic is not None:
                topic.offer(passed_rps[i], allowed[i])

        total_rps = 0.0
        fail5 = 0.0
        w50 = 0.0
        p99 = 0.0
        business: dict[str, tuple[float, float]] = {}
        for i in range(n_e):
            total_rps += ep_rps[i]
            fail5 += ep_err5[i]
            w50 += lat_w[i]
        if shed > 0:  # shed requests are refused (429): lost revenue, failed business flow
            for i in range(n_e):
                revenue_lost += shed * shares[i] * revenue[i]
        for i in range(n_e):
            if ep_rps[i] * 100 >= total_rps and p99_max[i] > p99:
                p99 = p99_max[i]
            label = self._business_label[i]
            if label is not None:
                ok_b, tot_b = business.get(label, (0.0, 0.0))
                business[label] = (
                    ok_b + ep_rps[i] - ep_err5[i],
                    tot_b + ep_rps[i] + shed * shares[i],
                )
        self.ep_rps, self.ep_err5, self.ep_lat_w, self.ep_p99 = ep_rps, ep_err5, lat_w, p99_max
        self.down_err = down_err
        self.groups = groups
        self.region_err = region_err
        self.revenue_lost_per_s = revenue_lost
        self.corrupt_per_s = corrupt
        self.failed_rps = fail5 + shed
        self.business = business
        total = total_rps + shed
        m = world.m
        k = self._keys
        m[k[0]] = offered
        m[k[1]] = 100.0 * fail5 / total if total else 0.0
        m[k[2]] = 100.0 * shed / total if total else 0.0  # shed load answers 429
        m[k[3]] = w50 / total_rps if total_rps else base50
        m[k[4]] = p99 or base99
        m[k[5]] = cpu_sum / n_serving_total if n_serving_total else 0.0
        m[k[6]] = busy_sum / n_serving_total if n_serving_total else 0.0
        m[k[7]] = float(n_serving_total)
        m[k[8]] = float(len(self.pods))
        m[k[9]] = float(self._restarts)

    # ------------------------------------------------------------------- logs
    def log_weights(self, world: World) -> dict[str, float]:
        """Log lines the fleet writes now, with lines per second (from the last tick)."""
        weights: dict[str, float] = {}
        for region, _share, n_serving, region_groups in self.layout(world):
            if n_serving == 0:
                tot, _ = self.region_err.get(region, (0.0, 0.0))
                if tot > 0:
                    weights[f"ERROR upstream connect error: no healthy upstream ({region})"] = tot
            for key, _count, prof in region_groups:
                g = self.groups.get(key)
                if g is None:
                    continue
                for line in prof.logs:
                    rate = g.rps * max(0.01, g.err_pct / 100.0)
                    weights[line] = weights.get(line, 0.0) + rate
        for i, e in enumerate(self.spec.endpoints):
            rps = self.ep_rps[i] if self.ep_rps else 0.0
            if not rps:
                continue
            for d in e.calls:
                dep = world.deps[d]
                if dep.breaker_open or dep.effect()[0] < 0.05:
                    continue
                why = (
                    f"timeout after {dep.spec.timeout_ms:.0f}ms"
                    if dep.timeout_frac > 0.2
                    else "503 Service Unavailable"
                )
                line = f"ERROR {e.name}: " + (dep.fault_log or f"upstream {d} failed: {why}")
                weights[line] = weights.get(line, 0.0) + rps * dep.effect()[0]
            if e.database and world.dbs[e.database].timeout_frac > 0.02:
                db = world.dbs[e.database]
                line = (
                    f"ERROR {e.name}: could not obtain connection from pool "
                    f"'{e.database}' within {db.spec.wait_timeout_ms:.0f}ms"
                )
                weights[line] = weights.get(line, 0.0) + rps * db.timeout_frac
            if e.produces and world.topics[e.produces].reject_frac > 0.01:
                line = (
                    f"ERROR {e.name}: produce to '{e.produces}' failed: "
                    "BufferExhaustedException: failed to allocate memory within max.block.ms"
                )
                weights[line] = weights.get(line, 0.0) + rps * world.topics[e.produces].reject_frac
        return weights
