"""A service fleet: pods behind a load balancer, versions, flags, saturation.

Fluid model: each tick the offered request rate is spread over serving pods;
pods that behave alike (same version, same fault, same flag state) form a
group whose per-endpoint error and latency are computed once. What a request
sees is the product of independent failure sources: the code it runs, CPU
saturation, worker starvation (Little's law: busy = rate x latency), the
dependencies and database it calls, and producer back-pressure.

Replay speed: offered load changes every tick (traffic noise), but what a
request sees depends on load only through the queueing factor ``q`` and the
local success share (1.0 unless CPU-saturated or starved of workers). So the
per-endpoint error and latency of each group are cached until ``q``, that
share, the layout or a downstream's ``rev`` moves, and a tick only scales them
by the request rate, in the same arithmetic order as computing them afresh.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import TYPE_CHECKING, Protocol

from ..floats import total as fsum_lr
from .backends import DependencyState
from .graph import ServiceEdge

if TYPE_CHECKING:
    from ..scenario import Database, Dependency, Effect, Migration, PodFault, Service
    from .backends import CacheState, DatabaseState, TopicState


_rev = attrgetter("rev")


class World(Protocol):
    """What a service reads of the world around it (``engine.world.model.World`` is one).

    A protocol, not the class: the world holds its services, so a service
    that imported the world would close an import cycle.
    """

    now: float  # simulated time of the tick being stepped
    dt: float  # length of that tick (s)
    client_mix: list[tuple[str, float]]  # (client, share of user traffic it sends) this tick
    user_mix: float  # share of the base traffic users send this tick (clients' surges in)
    shed_weight: float

    @property
    def services(self) -> Mapping[str, ServiceState]: ...
    @property
    def deps(self) -> Mapping[str, DependencyState]: ...
    @property
    def dbs(self) -> Mapping[str, DatabaseState]: ...
    @property
    def topics(self) -> Mapping[str, TopicState]: ...
    @property
    def caches(self) -> Mapping[str, CacheState]: ...

    def callee(self, name: str, timeout_ms: float) -> DependencyState | ServiceEdge:
        """What a call to ``name`` reaches: a dependency, or an edge to a service."""

    @property
    def regional(self) -> Mapping[str, Database | Dependency]: ...

    def flag_on(self, name: str, region: str | None = None) -> bool:
        """Whether flag ``name`` is on (in ``region``, if set there apart from the rest)."""

    def route(self, name: str, region: str) -> tuple[str, float]:
        """The component a pod in ``region`` reaches calling ``name``, and the latency added."""


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
        owner = self.owner
        if (
            key == "state"
            and value == "running"
            and owner is not None
            and getattr(self, "state", None) in ("restarting", "starting")
        ):
            owner.started(self)  # it comes up cold (``Service.cold_start``)
        object.__setattr__(self, key, value)
        if owner is not None:
            owner._layout = None

    @property
    def serving(self) -> bool:
        return self.state in ("running", "draining")


@dataclass(frozen=True, slots=True)
class Shared:
    """A cause every pod of the fleet shares (config, certificate, image, host).

    It lives on the fleet, not on a pod: a restart or a new pod brings it back.
    ``endpoints`` are the endpoint indices it hits (``None``: every endpoint).
    """

    error_pct: float
    latency_ms: float
    log: str
    endpoints: tuple[int, ...] | None = None
    region: str | None = None  # only the pods of this region have it
    cohort: int | None = None  # only pods with a lower index have it (a staged share)
    crash: bool = False  # pods with it crash on start: out of rotation, crash-looping
    pods: frozenset[str] | None = None  # only these pods have it (a per-pod cached answer)

    def hits(self, pod: Pod) -> bool:
        """Whether ``pod`` has this cause (its region, cohort and pod set)."""
        if self.region is not None and self.region != pod.region:
            return False
        if self.pods is not None and pod.name not in self.pods:
            return False
        return self.cohort is None or pod.index < self.cohort


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


# Per endpoint of a group, given q and the local success share: (index, share,
# reach, passed, err, corrupt, revenue, p50, p99, p99 counts). See ServiceState._rows.
Row = tuple[int, float, float, float | None, float, float, float, float, float, bool]


class Group:
    """Serving pods of one region that behave alike, with derived values cached."""

    __slots__ = ("count", "cpu", "hold", "key", "major", "ok", "p99", "prof", "q", "result", "rows")

    def __init__(self, key: object, count: int, prof: Profile, n_serving: int) -> None:
        self.key = key
        self.count = count
        self.prof = prof
        self.cpu = prof.cpu
        self.major = count >= 0.01 * n_serving  # its p99 counts toward the endpoint's
        self.q: float | None = None  # the q that hold was computed for
        self.hold = 0.0  # mean ms a request holds a worker (also the group's p50)
        self.ok: float | None = None  # the local success share rows/p99 were computed for
        self.rows: list[Row] = []
        self.p99 = 0.0
        # last tick: (rps per pod, failed rps, group rps, p50, p99, cpu %, busy %)
        self.result: tuple[float, float, float, float, float, float, float] | None = None


class Region:
    """One region's slice of the fleet: traffic share, serving pods, groups."""

    __slots__ = ("err", "groups", "n_serving", "name", "share")

    def __init__(self, name: str, share: float, n_serving: int, groups: list[Group]) -> None:
        self.name = name
        self.share = share
        self.n_serving = n_serving
        self.groups = groups
        self.err = (0.0, 0.0)  # last tick: (admitted rps, failed rps)


# What a service derives from its downstreams; one set per region when its pods call
# regional instances (each region's pods call their own region's, engine/regional.py).
_VIEW = (
    "_refs",
    "_backends",
    "_down_revs",
    "down_err",
    "_down_lat",
    "_allowed",
    "_reject",
    "_offers",
    "_offer_mult",
    "_mult_slot",
    "_topic_offers",
    "_caches",
    "_tmo",
    "_db_slot",
    "_cross",
    "_db_cross",
    "_offer_sync",
    "_sync_backoff",
    "_any_sync",
)


class View:
    """One region's downstreams: the instances its pods call and what they derive from them."""

    __slots__ = (*_VIEW, "passed", "reach", "region")

    def __init__(self, region: str) -> None:
        self.region = region
        self._refs: object = None
        self._backends: list[object] = []
        self._down_revs = -1
        self.down_err: list[float] = []
        self._down_lat: list[float] = []
        self._allowed: list[float] = []
        self._reject: list[float] = []
        self._offers: list[object] = []
        self._offer_mult: list[float] = []
        self._mult_slot: dict[tuple[int, int], int] = {}
        self._topic_offers: list[object] = []
        self._caches: list[object] = []
        self._tmo: list[list[float | None]] = []
        self._db_slot: dict[int, int] = {}
        self._cross: list[list[float]] = []
        self._db_cross: list[float] = []
        self._offer_sync: list[float] = []
        self._sync_backoff: list[float] = []
        self._any_sync = False
        self.reach: list[float] = []  # this tick: requests per endpoint reaching downstreams
        self.passed: list[float] = []  # ... and getting as far as producing


def _unresolve(o: ServiceState | View) -> None:
    """Forget which components ``o``'s calls reach (a timeout changed: new edges)."""
    o._refs = None
    o._offers, o._topic_offers = [], []
    o._mult_slot, o._db_slot = {}, {}
    o._down_revs = -1


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
        self._layout: list[Region] | None = None
        self._stepped: list[Region] = []  # the layout the last tick used
        self.region_shares: dict[str, float] = {}
        self._fleet = (0.0, 0.0)  # pods and restarts metrics, counted with the layout
        self._next_index = 0  # pod names are never reused, even after a regional scale-in
        for _ in range(spec.pods):
            self.add_pod(spec.version)
        self.current_version = spec.version
        self.history: list[str] = [spec.version]
        self.shed_pct = 0.0
        self.rolling = False
        self.roll_gen = 0
        self.migration: tuple[int, Migration] | None = None
        self.shared: dict[str, Shared] = {}  # causes every pod has, by fault id
        self._profiles: dict[tuple[object, ...], Profile] = {}
        # results of the last tick
        self.inbound = 0.0  # calls from other services last tick (offered on top of traffic)
        self.mean_latency_ms = spec.latency_ms.p50  # last tick, for callers
        self.failed_rps = 0.0  # failed (5xx), not counting shed requests
        self.shed_rps = 0.0  # refused by load shedding (429)
        self.backlog = 0.0  # shed requests whose clients will retry (Service.shed_retries)
        self.offered = 0.0
        self.revenue_lost_per_s = 0.0
        self.corrupt_per_s = 0.0
        self.business: dict[str, tuple[float, float]] = {}
        self.ep_rps: list[float] = []
        self.ep_err5: list[float] = []
        self.ep_lat_w: list[float] = []
        self.ep_p99: list[float] = []
        eps = spec.endpoints
        self._shares = [e.share for e in eps]
        self._revenue = [e.revenue_per_request for e in eps]
        self._calls = [tuple(e.call_names) for e in eps]
        # Retry policy per endpoint and call: [retries, backoff ms, budget share or None,
        # jitter 1.0 / 0.0]. Mutable: set_retries changes every call to one dependency.
        self.retry: list[list[list[float | None]]] = [
            [
                [float(c.retries), c.backoff_ms, None if b is None else b / 100.0, float(c.jitter)]
                for c in e.call_specs
                for b in (c.retry_budget_pct,)
            ]
            for e in eps
        ]
        self._db = [e.database for e in eps]
        self._cache_names = [e.cache for e in eps]
        self._caches: list[CacheState | None] = []
        self._db_slot: dict[int, int] = {}  # endpoint -> its database offer
        self._prod = [e.produces for e in eps]
        # (endpoint index, business flow label) of the endpoints that carry one
        self.business_labels = [(i, b) for i, e in enumerate(eps) if (b := e.business) is not None]
        self._refs: (
            tuple[
                list[tuple[DependencyState | ServiceEdge, ...]],
                list[DatabaseState | None],
                list[TopicState | None],
            ]
            | None
        ) = None
        # Downstream conditions per endpoint (see _downstream), and the revs of
        # the backends they were read from.
        self._backends: list[
            DependencyState | ServiceEdge | DatabaseState | TopicState | CacheState
        ] = []
        self._down_revs = -1
        self.down_err: list[float] = []
        self._down_lat: list[float] = []
        self._allowed: list[float] = []
        self._reject: list[float] = []
        self._offers: list[
            tuple[int, DependencyState | ServiceEdge | DatabaseState | CacheState]
        ] = []
        # calls per request each offer makes (1 + retries actually sent), see _downstream
        self._offer_mult: list[float] = []
        # of those, retries sent without jitter (they arrive in waves), and their backoff (s)
        self._offer_sync: list[float] = []
        self._sync_backoff: list[float] = []
        self._any_sync = False
        self._mult_slot: dict[tuple[int, int], int] = {}  # (endpoint, call) -> offer
        self._topic_offers: list[tuple[int, TopicState]] = []
        # Cold pods (engine/mechanics/herds.py): name -> simulated time it warms up (None:
        # started since the last tick), and what they multiply the calls to callees by.
        self._cold: dict[str, float | None] = {}
        self.cold_factor = 1.0
        # Rate limits (engine/mechanics/ratelimits.py): requests/s admitted per client and per
        # endpoint index; beyond them requests are refused (429, counted as shed).
        self.client_limits: dict[str, float] = {}
        self.endpoint_limits: dict[int, float] = {}
        self.client_rps: dict[str, tuple[float, float]] = {}  # last tick: (sent, limited)
        self._declared = list(self._shares)
        self._shed_ep: list[float] | None = None  # shed per endpoint while one is limited
        # Caller-side timeouts changed at run time (engine/mechanics/timeouts.py), by callee.
        self.timeouts: dict[str, float] = {}
        self._tmo: list[list[float | None]] = []  # per endpoint and call: an override, or None
        # Latency (ms) each call adds by crossing regions, per endpoint and call / database.
        self._cross: list[list[float]] = []
        self._db_cross: list[float] = []
        # One View per region if the pods call regional instances (None: one set for all).
        self._views: dict[str, View] | None = None
        self._split: bool | None = None  # whether they do (decided on the first tick)

    # ------------------------------------------------------------------ pods
    def add_pod(self, version: str, state: str = "running", region: str | None = None) -> Pod:
        """A new pod: in ``region``, or the next region round-robin by its index."""
        i = self._next_index
        self._next_index = i + 1
        pod = Pod(
            self,
            f"{self.name}-{self.pod_tag}-{i}",
            i,
            self.regions[i % len(self.regions)] if region is None else region,
            version,
            state,
        )
        self.pods.append(pod)
        self._layout = None
        return pod

    def remove_pods(self, keep: int) -> None:
        """Keep the first ``keep`` pods (the highest-numbered go)."""
        del self.pods[keep:]
        self._next_index = max(keep, max((p.index + 1 for p in self.pods), default=0))
        self._layout = None

    def remove_region_pods(self, region: str, keep: int) -> list[str]:
        """Keep the first ``keep`` pods of ``region``; returns the names of those removed."""
        mine = [p for p in self.pods if p.region == region]
        gone = {p.name for p in mine[keep:]}
        self.pods = [p for p in self.pods if p.name not in gone]
        self._layout = None
        return [p.name for p in mine[keep:]]

    def region_pods(self, region: str) -> int:
        """How many pods ``region`` has (any state)."""
        return sum(1 for p in self.pods if p.region == region)

    def pod(self, name: str) -> Pod | None:
        return next((p for p in self.pods if p.name == name), None)

    def started(self, pod: Pod) -> None:
        """``pod`` came up after a start or restart: cold, if the service warms up."""
        if self.spec.cold_start is not None:
            self._cold[pod.name] = None

    def _warm(self, now: float) -> None:
        """Stamp newly started pods, forget warm ones, and set ``cold_factor``."""
        cold = self.spec.cold_start
        assert cold is not None
        table = self._cold
        for name, until in list(table.items()):
            if until is None:
                table[name] = now + cold.for_
            elif now >= until:
                del table[name]
        serving = [p for p in self.pods if p.serving and not self.crashed(p)]
        n_cold = sum(1 for p in serving if p.name in table)
        self.cold_factor = (
            1.0 + (cold.call_factor - 1.0) * n_cold / len(serving) if serving else 1.0
        )

    def crashed(self, pod: Pod) -> bool:
        """Whether ``pod`` crash-loops on a shared cause (it never passes its health check)."""
        return any(sh.crash and sh.hits(pod) for sh in self.shared.values())

    def invalidate(self) -> None:
        """Forget cached behaviour (flags, faults or schema changed)."""
        self._profiles.clear()
        self._layout = None

    def _region_share(self, region: str) -> float:
        """Share of this service's traffic that region serves (its pods are its LB pool)."""
        known = [r for r in self.regions if r in self.region_shares]
        if not known:
            return 1.0 / len(self.regions)
        total = fsum_lr(self.region_shares[r] for r in known)
        if total <= 0.0:  # every region it runs in is evacuated: callers still reach it
            return 1.0 / len(known) if region in known else 0.0
        return self.region_shares.get(region, 0.0) / total

    def layout(self, world: World) -> list[Region]:
        """Per region: traffic share, serving pods and groups of alike pods."""
        if self._layout is not None:
            return self._layout
        out = []
        self._fleet = (float(len(self.pods)), float(sum(p.restarts for p in self.pods)))
        crashing = any(sh.crash for sh in self.shared.values())
        for region in self.regions:
            share = self._region_share(region)
            serving = [
                p
                for p in self.pods
                if p.serving and p.region == region and not (crashing and self.crashed(p))
            ]
            counts: dict[tuple[object, ...], int] = {}
            profiles: dict[tuple[object, ...], Profile] = {}
            for p in serving:
                key, prof = self._profile(p, world)
                counts[key] = counts.get(key, 0) + 1
                profiles[key] = prof
            n = len(serving)
            groups = [Group(key, c, profiles[key], n) for key, c in counts.items()]
            out.append(Region(region, share, n, groups))
        self._layout = out
        return out

    @property
    def groups(self) -> dict[object, GroupResult]:
        """Per group of alike pods, what the last tick computed (built on request)."""
        out: dict[object, GroupResult] = {}
        for region in self._stepped:
            for g in region.groups:
                assert g.result is not None
                r_pod, g_fail, g_rps, p50, p99, cpu, busy = g.result
                out[g.key] = GroupResult(
                    r_pod, 100.0 * g_fail / g_rps if g_rps else 0.0, p50, p99, cpu, busy
                )
        return out

    @property
    def served_by(self) -> int:
        """Serving pods the last tick's metrics come from (pods ready since are not in them)."""
        return sum(region.n_serving for region in self._stepped)

    @property
    def region_err(self) -> dict[str, tuple[float, float]]:
        """Per region, (admitted rps, failed rps) of the last tick."""
        return {region.name: region.err for region in self._stepped}

    # ---------------------------------------------------------------- profile
    def _profile(self, pod: Pod, world: World) -> tuple[tuple[object, ...], Profile]:
        version = self.versions[pod.version]
        region = pod.region
        key: tuple[object, ...] = (
            pod.version,
            id(pod.fault) if pod.fault else None,
            pod.region,  # shared causes may be regional
            tuple(
                sh.hits(pod)
                for sh in self.shared.values()
                if sh.cohort is not None or sh.pods is not None
            ),
        )
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
            e for e in version.effects if e.when_flag is None or world.flag_on(e.when_flag, region)
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
        for sh in self.shared.values():
            if not sh.hits(pod):
                continue
            for i in range(n) if sh.endpoints is None else sh.endpoints:
                err[i] = combine(err[i], sh.error_pct / 100.0)
                lat[i] += sh.latency_ms
            logs.append(sh.log)
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
        cpu = fsum_lr(e.share * cpu_w[i] for i, e in enumerate(self.spec.endpoints))
        prof = Profile(err, lat, cpu, corrupt, tuple(logs))
        self._profiles[key] = prof
        return key, prof

    # ------------------------------------------------------------- downstream
    def _resolve(self, world: World, region: str) -> None:
        """Resolve endpoint names to the components pods of ``region`` reach, once."""
        tmo = self.timeouts
        routes = [[world.route(d, region) for d in c] for c in self._calls]
        deps = [
            tuple(
                world.callee(n, tmo.get(d, call.timeout_ms))
                for (n, _), d, call in zip(r, c, e.call_specs, strict=True)
            )
            for r, c, e in zip(routes, self._calls, self.spec.endpoints, strict=True)
        ]
        # A dependency's own timeout_ms is what callers use unless one was set at run time.
        self._tmo = [
            [tmo.get(d) if n in world.deps else None for (n, _), d in zip(r, c, strict=True)]
            for r, c in zip(routes, self._calls, strict=True)
        ]
        self._cross = [[x for _, x in r] for r in routes]
        db_routes = [world.route(d, region) if d else ("", 0.0) for d in self._db]
        dbs = [world.dbs[n] if n else None for n, _ in db_routes]
        self._db_cross = [x for _, x in db_routes]
        topics = [world.topics[t] if t else None for t in self._prod]
        self._caches = caches = [world.caches[c] if c else None for c in self._cache_names]
        self._refs = (deps, dbs, topics)
        backends: list[DependencyState | ServiceEdge | DatabaseState | TopicState | CacheState] = []
        for i in range(len(deps)):
            for k, dep in enumerate(deps[i]):
                self._mult_slot[(i, k)] = len(self._offers)
                self._offers.append((i, dep))
            db = dbs[i]
            if db is not None:
                self._db_slot[i] = len(self._offers)
                self._offers.append((i, db))
            cache = caches[i]
            if cache is not None:
                self._offers.append((i, cache))  # every read asks the cache first
            topic = topics[i]
            if topic is not None:
                self._topic_offers.append((i, topic))
            for b in (*deps[i], db, topic, cache):
                if b is not None and b not in backends:
                    backends.append(b)
        self._backends = backends
        self._offer_mult = [1.0] * len(self._offers)
        self._offer_sync = [0.0] * len(self._offers)
        self._sync_backoff = [0.0] * len(self._offers)

    def set_timeout(self, callee: str, timeout_ms: float) -> None:
        """Calls to ``callee`` give up after ``timeout_ms`` from now (re-resolve the edges)."""
        self.timeouts[callee] = timeout_ms
        self.reroute()

    def reroute(self) -> None:
        """Resolve again which components the calls reach (a timeout or a route changed)."""
        _unresolve(self)
        for view in (self._views or {}).values():
            _unresolve(view)

    def set_retries(self, dependency: str, retries: int | None, jitter: bool | None = None) -> bool:
        """Change the retries (and jitter) of every call to ``dependency``; None leaves
        one as it is. False if none calls it."""
        found = False
        for i, names in enumerate(self._calls):
            for k, name in enumerate(names):
                if name == dependency:
                    if retries is not None:
                        self.retry[i][k][0] = float(retries)
                    if jitter is not None:
                        self.retry[i][k][3] = float(jitter)
                    found = True
        self._down_revs = -1  # what callers derive from downstreams must be recomputed
        for view in (self._views or {}).values():
            view._down_revs = -1
        return found

    def _downstream(self) -> None:
        """Per endpoint: failure share and added latency of its calls, producer limits."""
        assert self._refs is not None
        dep_refs, db_refs, topic_refs = self._refs
        n_e = len(self._shares)
        down_err = [0.0] * n_e
        down_lat = [0.0] * n_e
        allowed = [1.0] * n_e
        reject = [0.0] * n_e
        mults = self._offer_mult
        sync = self._offer_sync
        for i in range(n_e):
            ok = 1.0
            lat = 0.0
            policy = self.retry[i]
            tmo = self._tmo[i]
            cross = self._cross[i]
            for k, dep in enumerate(dep_refs[i]):
                t = tmo[k]
                de, dl = dep.effect() if t is None else dep.effect_at(t)  # type: ignore[union-attr]
                if cross[k]:  # every attempt crosses regions
                    dl += cross[k]
                retries, backoff, budget, jitter = policy[k]
                slot = self._mult_slot[(i, k)]
                sync[slot] = 0.0
                if retries and de > 0.0:
                    # Extra attempts per request: de + de^2 + ... (each retry of a
                    # failure fails again with the same chance), capped by the budget.
                    extra = 0.0
                    term = 1.0
                    for _ in range(int(retries or 0)):
                        term *= de
                        extra += term
                    if budget is not None and extra > budget:
                        extra = budget
                    de = de - (1.0 - de) * extra  # each success on retry rescues one
                    dl = dl * (1.0 + extra) + (backoff or 0.0) * extra
                    mults[slot] = 1.0 + extra
                    if not jitter and isinstance(dep, DependencyState):
                        # Retries on every client's same clock: the callee sees them in waves
                        # (engine/mechanics/retries.py); (retries per request, backoff).
                        sync[slot] = extra
                        self._sync_backoff[slot] = (backoff or 0.0) / 1000.0
                else:
                    mults[slot] = 1.0
                ok *= 1.0 - de
                lat += dl
            db = db_refs[i]
            if db is not None:
                cache = self._caches[i]
                wait = db.wait_ms + self._db_cross[i] if self._db_cross[i] else db.wait_ms
                if cache is None:
                    ok *= 1.0 - db.timeout_frac
                    lat += wait
                else:  # only misses reach the database; a hit costs a millisecond
                    miss = cache.miss
                    mults[self._db_slot[i]] = miss
                    ok *= 1.0 - db.timeout_frac * miss
                    lat += wait * miss + (1.0 - miss)
            down_err[i] = 1.0 - ok
            down_lat[i] = lat
            topic = topic_refs[i]
            if topic is not None:
                allowed[i] = topic.throttle_pct / 100.0
                reject[i] = topic.reject_frac
        self.down_err, self._down_lat = down_err, down_lat
        self._allowed, self._reject = allowed, reject
        self._any_sync = any(sync)

    def _hold(self, g: Group, q: float) -> None:
        """Mean worker hold time (ms) of a group's requests at queueing factor q."""
        base50 = self.spec.latency_ms.p50
        lat = g.prof.lat
        down_lat = self._down_lat
        shares = self._shares
        hold = 0.0
        for i in range(len(shares)):
            hold += shares[i] * (base50 * q + lat[i] + down_lat[i])
        g.q = q
        g.hold = hold
        g.ok = None  # rows depend on q too

    def _rows(self, g: Group, q: float, local_ok: float) -> None:
        """A group's per-endpoint outcome shares and latencies at (q, local success)."""
        assert self._refs is not None
        topic_refs = self._refs[2]
        spec = self.spec
        base50 = spec.latency_ms.p50
        base99 = spec.latency_ms.p99
        prof = g.prof
        down_err, down_lat = self.down_err, self._down_lat
        revenue = self._revenue
        rows: list[Row] = []
        g_p99 = 0.0
        for i, share in enumerate(self._shares):
            reach = local_ok * (1.0 - prof.err[i])  # share reaching downstreams
            err = 1.0 - reach * (1.0 - down_err[i])
            passed = None
            if topic_refs[i] is not None:
                # Throttled messages wait in the producer's outbox (delayed, not
                # failed); back-pressure on the rest fails the request.
                passed = 1.0 - err
                err += passed * self._allowed[i] * self._reject[i]
            e_p50 = base50 * q + prof.lat[i] + down_lat[i]
            e_p99 = base99 * q + prof.lat[i] + down_lat[i] * 1.5
            if err > 0.02:
                e_p99 = max(e_p99, down_lat[i] * 1.2, e_p50 * 3.0)
            if e_p99 > g_p99:
                g_p99 = e_p99
            counts = g.major or err > 0.5
            corrupt = prof.corrupt[i]
            rows.append((i, share, reach, passed, err, corrupt, revenue[i], e_p50, e_p99, counts))
        g.ok = local_ok
        g.rows = rows
        g.p99 = g_p99

    def _load(self, view: View) -> None:
        """Make ``view`` the downstream state the tick's methods read."""
        for name in _VIEW:
            setattr(self, name, getattr(view, name))

    def _enter(self, view: View, region: Region, world: World, n_e: int) -> None:
        """Load ``region``'s view, resolving and refreshing it as the single view would be."""
        self._load(view)
        if self._refs is None:
            self._resolve(world, view.region)
        revs = sum(map(_rev, self._backends))
        if revs != self._down_revs:
            self._down_revs = revs
            self._downstream()
            for g in region.groups:
                g.q = None
            for name in _VIEW:  # _resolve and _downstream rebind some of them
                setattr(view, name, getattr(self, name))
        view.reach = [0.0] * n_e
        view.passed = [0.0] * n_e

    def _offer(self, reach_rps: list[float], passed_rps: list[float], cold: bool) -> None:
        """Offer this tick's calls to the loaded view's backends and topics."""
        if cold:
            cf = self.cold_factor
            for (i, backend), mult in zip(self._offers, self._offer_mult, strict=True):
                backend.demand += reach_rps[i] * mult * cf
        else:
            cf = 1.0
            for (i, backend), mult in zip(self._offers, self._offer_mult, strict=True):
                backend.demand += reach_rps[i] * mult
        if self._any_sync:  # unjittered retries arrive in waves (engine/mechanics/retries.py)
            for slot, per in enumerate(self._offer_sync):
                if per:
                    i, backend = self._offers[slot]
                    assert isinstance(backend, DependencyState)
                    backend.offer_wave(reach_rps[i] * per * cf, self._sync_backoff[slot])
        allowed = self._allowed
        for i, topic in self._topic_offers:
            a = allowed[i]
            topic.demand += passed_rps[i] * a
            topic.deferred += passed_rps[i] * (1.0 - a)

    # ------------------------------------------------------------------- tick
    def _limit(self, user: float, world: World) -> tuple[float, float]:
        """(offered, rate-limited) requests/s: clients' limits, then endpoints' limits."""
        limited = 0.0
        rows: dict[str, tuple[float, float]] = {}
        for name, share in world.client_mix:
            sent = user * share
            cap = self.client_limits.get(name)
            cut = sent - cap if cap is not None and sent > cap else 0.0
            rows[name] = (sent, cut)
            limited += cut
        self.client_rps = rows
        offered = user * world.user_mix + self.inbound
        declared = self._declared
        if not self.endpoint_limits:
            self._shed_ep = None
            self._set_shares(declared)
            return offered, limited
        passed = offered - limited
        shed_ep = [limited * s for s in declared]
        adm = [passed * s for s in declared]
        for i, cap in self.endpoint_limits.items():
            if adm[i] > cap:
                shed_ep[i] += adm[i] - cap
                limited += adm[i] - cap
                adm[i] = cap
        total = fsum_lr(adm)
        self._shed_ep = shed_ep
        self._set_shares([a / total for a in adm] if total > 0 else declared)
        return offered, limited

    def _set_shares(self, shares: list[float]) -> None:
        """Serve this endpoint mix (a rate limit changes it); recompute what depends on it."""
        if all(abs(a - b) <= 1e-9 for a, b in zip(shares, self._shares, strict=True)):
            return
        self._shares = shares
        for region in self._layout or []:
            for g in region.groups:
                g.q = None

    def step(self, rps_total: float, world: World) -> tuple[float, ...]:
        """Advance one tick; returns this service's metrics (``metrics.SERVICE`` order)."""
        spec = self.spec
        if world.client_mix or self.endpoint_limits:
            offered, limited = self._limit(rps_total * spec.rps_share, world)
        else:
            offered = rps_total * spec.rps_share + self.inbound
            limited = 0.0
        shares = self._shares
        n_e = len(shares)
        retry = spec.shed_retries
        if retry is not None:  # clients come back for what was shed, after their backoff
            back = self.backlog * min(1.0, world.dt / retry.backoff)
            self.backlog -= back
            offered += back / world.dt
        admitted = (offered - limited) * (1.0 - self.shed_pct / 100.0)
        shed = offered - admitted
        if retry is not None:
            self.backlog += shed * world.dt * retry.pct / 100.0
        self.offered = offered

        layout = self._layout if self._layout is not None else self.layout(world)
        if self._split is None:
            self._split = len(self.regions) >= 2 and any(
                d in world.regional for d in (*(n for c in self._calls for n in c), *self._db)
            )
            if self._split:
                self._views = {r: View(r) for r in self.regions}
        views = self._views
        if views is None:
            if self._refs is None:
                self._resolve(world, self.regions[0])
            revs = sum(map(_rev, self._backends))  # revs only grow: the sum moves iff one did
            if revs != self._down_revs:  # what downstreams show callers changed
                self._down_revs = revs
                self._downstream()
                for region in layout:
                    for g in region.groups:
                        g.q = None
        reach_rps = [0.0] * n_e  # requests that got as far as calling downstreams
        passed_rps = [0.0] * n_e  # requests that got as far as producing

        ep_rps = [0.0] * n_e
        ep_err5 = [0.0] * n_e
        lat_w = [0.0] * n_e
        p99_max = [0.0] * n_e
        revenue = self._revenue
        revenue_lost = 0.0
        corrupt = 0.0
        cap = spec.capacity_rps_per_pod
        workers = spec.workers_per_pod
        cpu_sum = 0.0
        busy_sum = 0.0
        n_serving_total = 0

        for region in layout:
            if views is not None:  # this region's pods call this region's instances
                view = views[region.name]
                self._enter(view, region, world, n_e)
                reach_rps, passed_rps = view.reach, view.passed
            r_adm = admitted * region.share
            n_serving = region.n_serving
            if n_serving == 0:
                # No healthy upstream: the load balancer answers 503 for the region.
                for i in range(n_e):
                    ep_rps[i] += r_adm * shares[i]
                    ep_err5[i] += r_adm * shares[i]
                    revenue_lost += r_adm * shares[i] * revenue[i]
                region.err = (r_adm, r_adm)
                continue
            n_serving_total += n_serving
            r_pod = r_adm / n_serving
            r_fail = 0.0
            for g in region.groups:
                u = r_pod * g.cpu / cap
                sat = 1.0 - 1.0 / u if u > 1.0 else 0.0
                q = 1.0 + (u - 0.7) * 6.0 if u > 0.7 else 1.0
                if q > 10.0:
                    q = 10.0
                if q != g.q:  # hold time and rows are cached per q (1.0 below 70% CPU)
                    self._hold(g, q)
                need = r_pod * (1.0 - sat) * g.hold / 1000.0
                starve = 1.0 - workers / need if need > workers else 0.0
                local_ok = (1.0 - sat) * (1.0 - starve)
                if local_ok != g.ok:  # ... and per local success share (1.0 unless overloaded)
                    self._rows(g, q, local_ok)
                count = g.count
                g_rps = r_pod * count
                g_fail = 0.0
                # Only the request rate is new this tick: scale the cached shares by it.
                for i, share, reach, passed, err, corr, price, e_p50, e_p99, counts in g.rows:
                    rps_e = g_rps * share
                    reach_rps[i] += rps_e * reach
                    if passed is not None:
                        passed_rps[i] += rps_e * passed
                    fail = rps_e * err
                    if corr:
                        corrupt += (rps_e - fail) * corr
                    revenue_lost += fail * price
                    ep_rps[i] += rps_e
                    ep_err5[i] += fail
                    lat_w[i] += rps_e * e_p50
                    if counts and e_p99 > p99_max[i]:
                        p99_max[i] = e_p99
                    g_fail += fail
                r_fail += g_fail
                cpu = u * 80.0 if u < 1.25 else 100.0
                busy = 100.0 * need / workers if need < workers else 100.0
                cpu_sum += cpu * count
                busy_sum += busy * count
                g.result = (r_pod, g_fail, g_rps, g.hold, g.p99, cpu, busy)
            region.err = (r_adm, r_fail)
        self._stepped = layout

        cold = bool(self._cold) or self.cold_factor != 1.0
        if cold:
            self._warm(world.now)  # cold pods call harder: scale the calls they offer
        if views is None:
            self._offer(reach_rps, passed_rps, cold)
        else:
            for view in views.values():
                self._load(view)
                self._offer(view.reach, view.passed, cold)

        total_rps = 0.0
        fail5 = 0.0
        w50 = 0.0
        p99 = 0.0
        for i in range(n_e):
            total_rps += ep_rps[i]
            fail5 += ep_err5[i]
            w50 += lat_w[i]
        # Shed requests per endpoint: in proportion to the mix, unless an endpoint is limited
        # (then what shed_load sheds of the rest is in the admitted mix).
        shed_ep = self._shed_ep
        if shed_ep is not None:
            extra = shed - fsum_lr(shed_ep)
            shed_ep = [x + extra * s for x, s in zip(shed_ep, shares, strict=True)]
        if shed > 0:  # shed requests are refused (429); clients back off and retry some
            weight = world.shed_weight
            for i in range(n_e):
                lost = shed * shares[i] if shed_ep is None else shed_ep[i]
                revenue_lost += lost * revenue[i] * weight
        for i in range(n_e):
            if ep_rps[i] * 100 >= total_rps and p99_max[i] > p99:
                p99 = p99_max[i]
        business: dict[str, tuple[float, float]] = {}
        for i, label in self.business_labels:
            ok_b, tot_b = business.get(label, (0.0, 0.0))
            business[label] = (
                ok_b + ep_rps[i] - ep_err5[i],
                tot_b + ep_rps[i] + (shed * shares[i] if shed_ep is None else shed_ep[i]),
            )
        self.ep_rps = ep_rps
        self.ep_err5 = ep_err5
        self.ep_lat_w = lat_w
        self.ep_p99 = p99_max
        self.revenue_lost_per_s = revenue_lost
        self.corrupt_per_s = corrupt
        self.failed_rps = fail5
        self.shed_rps = shed
        self.mean_latency_ms = w50 / total_rps if total_rps else spec.latency_ms.p50
        self.business = business
        total = total_rps + shed
        n = n_serving_total
        return (
            offered,
            100.0 * fail5 / total if total else 0.0,
            100.0 * shed / total if total else 0.0,  # shed load answers 429
            w50 / total_rps if total_rps else spec.latency_ms.p50,
            p99 or spec.latency_ms.p99,
            cpu_sum / n if n else 0.0,
            busy_sum / n if n else 0.0,
            float(n),
            self._fleet[0],
            self._fleet[1],
        )

    # ------------------------------------------------------------------- logs
    def _instances(self, world: World, name: str) -> list[tuple[str, float]]:
        """The components calls to ``name`` reach, with the share of requests each gets."""
        if name not in world.regional:
            return [(name, 1.0)]
        out: dict[str, float] = {}
        for region in self.regions:
            target = world.route(name, region)[0]
            out[target] = out.get(target, 0.0) + self._region_share(region)
        return list(out.items())

    def log_weights(self, world: World) -> dict[str, float]:
        """Log lines the fleet writes now, with lines per second (from the last tick)."""
        weights: dict[str, float] = {}
        groups = self.groups
        region_err = self.region_err
        for sh in self.shared.values():
            if sh.crash:  # a crash-looping pod writes its panic once per restart
                n = sum(1 for p in self.pods if p.serving and sh.hits(p))
                if n:
                    weights[sh.log] = weights.get(sh.log, 0.0) + n / 40.0
        for region in self.layout(world):
            if region.n_serving == 0:
                tot, _ = region_err.get(region.name, (0.0, 0.0))
                if tot > 0:
                    weights[
                        f"ERROR upstream connect error: no healthy upstream ({region.name})"
                    ] = tot
            for group in region.groups:
                g = groups.get(group.key)
                if g is None:
                    continue
                for line in group.prof.logs:
                    rate = g.rps * max(0.01, g.err_pct / 100.0)
                    weights[line] = weights.get(line, 0.0) + rate
        for i, e in enumerate(self.spec.endpoints):
            rps = self.ep_rps[i] if self.ep_rps else 0.0
            if not rps:
                continue
            for d in e.call_names:
                if d in world.services:
                    callee = world.services[d]
                    bad = (
                        (callee.failed_rps + callee.shed_rps) / callee.offered
                        if callee.offered
                        else 0
                    )
                    if bad >= 0.05:
                        line = f"ERROR {e.name}: call to {d} failed: 503 upstream {d} unavailable"
                        weights[line] = weights.get(line, 0.0) + rps * bad
                    continue
                for name, part in self._instances(world, d):
                    dep = world.deps[name]
                    if dep.breaker_open or dep.effect()[0] < 0.05:
                        continue
                    why = (
                        f"timeout after {dep.spec.timeout_ms:.0f}ms"
                        if dep.timeout_frac > 0.2
                        else "503 Service Unavailable"
                    )
                    line = f"ERROR {e.name}: " + (dep.fault_log or f"upstream {name} failed: {why}")
                    weights[line] = weights.get(line, 0.0) + rps * part * dep.effect()[0]
            for name, part in self._instances(world, e.database) if e.database else ():
                db = world.dbs[name]
                if db.timeout_frac <= 0.02:
                    continue
                line = (
                    f"ERROR {e.name}: could not obtain connection from pool "
                    f"'{name}' within {db.spec.wait_timeout_ms:.0f}ms"
                )
                weights[line] = weights.get(line, 0.0) + rps * part * db.timeout_frac
            if e.produces and world.topics[e.produces].reject_frac > 0.01:
                line = (
                    f"ERROR {e.name}: produce to '{e.produces}' failed: "
                    "BufferExhaustedException: failed to allocate memory within max.block.ms"
                )
                weights[line] = weights.get(line, 0.0) + rps * world.topics[e.produces].reject_frac
        return weights
