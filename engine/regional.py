"""Regional databases and dependencies: one instance per region, and who calls which.

A database or dependency with two or more ``regions`` is one component per
region, named ``<name>.<region>`` (``orders.us-east``): each has its own pool
or capacity, its own faults, its own metrics and its own levers. A pod calls
its own region's instance, so evacuating a region moves that region's calls
onto the survivors' instances, whose capacity limits what they take. A pod in
a region without an instance calls the first one listed, across regions,
paying ``cross_region_ms`` per call. With one region the component keeps its
name and lives there: pods elsewhere reach it across regions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar, cast

from .scenario import (
    BlockerFault,
    DependencyFault,
    QuotaFault,
    instance_name,
    instance_names,
)

if TYPE_CHECKING:
    from .scenario import Database, Dependency, Scenario

C = TypeVar("C", bound="Database | Dependency")
Bad = Callable[[tuple[str | int, ...], str], None]


def instances(spec: C) -> list[C]:
    """The components ``spec`` stands for: itself, or one copy per region (renamed)."""
    if len(spec.regions) < 2:
        return [spec]
    # model_copy keeps the type; mypy cannot see it through the union bound.
    return [
        cast(C, spec.model_copy(update={"name": instance_name(spec.name, r), "regions": [r]}))
        for r in spec.regions
    ]


def route(spec: Database | Dependency, region: str, to: str | None = None) -> tuple[str, float]:
    """The instance a pod in ``region`` calls (the one in ``to``, if its calls were
    rerouted there), and the latency (ms) the call adds."""
    regions = spec.regions
    if not regions:
        return spec.name, 0.0
    want = region if to is None else to
    home = want if want in regions else regions[0]
    extra = 0.0 if home == region else spec.cross_region_ms
    return (spec.name if len(regions) < 2 else instance_name(spec.name, home)), extra


def check(sc: Scenario, bad: Bad) -> None:
    """Regional fields: known regions, callers in a region, faults naming one instance."""
    topo = sc.topology
    known = [r.name for r in sc.traffic.regions]
    regional: dict[str, Database | Dependency] = {}
    tables: tuple[tuple[str, Sequence[Database | Dependency]], ...] = (
        ("dependencies", topo.dependencies),
        ("databases", topo.databases),
    )
    for kind, specs in tables:
        for i, spec in enumerate(specs):
            for k, region in enumerate(spec.regions):
                path = ("topology", kind, i, "regions", k)
                if region not in known:
                    bad(
                        path,
                        f"names an unknown region {region!r} "
                        f"(known: {', '.join(known) or 'none: declare traffic.regions'})",
                    )
                elif region in spec.regions[:k]:
                    bad(path, f"names the region {region!r} twice")
            if spec.regions:
                regional[spec.name] = spec
    split = {n: s for n, s in regional.items() if len(s.regions) >= 2}
    parts = {i: n for n, s in split.items() for i in instance_names([s])}
    for i, s in enumerate(topo.services):
        for j, e in enumerate(s.endpoints):
            base = ("topology", "services", i, "endpoints", j)
            named: list[tuple[tuple[str | int, ...], str]] = [
                (("calls", k) if isinstance(c, str) else ("calls", k, "to"), d)
                for k, (c, d) in enumerate(zip(e.calls, e.call_names, strict=True))
            ]
            if e.database:
                named.append((("database",), e.database))
            for sub, name in named:
                if name in parts:
                    bad(
                        (*base, *sub),
                        f"names one instance of {parts[name]}: name {parts[name]!r}, "
                        "and each pod calls its own region's instance",
                    )
                elif name in regional and not s.regions:
                    bad(
                        (*base, *sub),
                        f"{s.name} runs in no region but {name} is regional: "
                        f"give {s.name} `regions`",
                    )
    # What the model does not cover for a component with instances: refused, not faked.
    unmodelled: list[tuple[tuple[str | int, ...], str, str]] = []
    for i, c in enumerate(topo.caches):
        what = "a cache in front of a regional database"
        unmodelled.append((("topology", "caches", i, "database"), c.database, what))
    for i, r in enumerate(topo.discovery):
        what = "a DNS record for a regional dependency"
        unmodelled.append((("topology", "discovery", i, "name"), r.name, what))
    for where, name, what in unmodelled:
        if name in split:
            bad(where, f"{name} has an instance per region; {what} is not modelled")
    for i, f in enumerate(sc.faults):
        if isinstance(f, BlockerFault):
            field, target = "database", f.database
        elif isinstance(f, DependencyFault | QuotaFault):
            field, target = "dependency", f.dependency
        else:
            continue
        if target in split:
            bad(
                ("faults", i, field),
                f"{target} has an instance per region: name one "
                f"({', '.join(instance_names([split[target]]))})",
            )
