"""Reuse in YAML: service templates, labels, and one pod-fault line on many services."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from engine.drill import Drill
from engine.errors import ScenarioError
from engine.loader import load_scenario, scenario_from_dict

from .inline import BASE

FLEET = {
    "name": "fleet",
    "pods": 2,
    "capacity_rps_per_pod": 200,
    "latency_ms": {"p50": 30, "p99": 150},
    "version": "v2",
    "versions": [{"name": "v1"}, {"name": "v2"}],
    "labels": {"tier": "edge"},
}
EDGE_DOWN = {
    "id": "edge-down",
    "kind": "pod_failure",
    "services": {"selector": {"tier": "edge"}},
    "pod": "all",
    "at": 100,
    "jitter": 20,
    "until": {"action": "restart", "target": "web"},
}


def _doc(faults: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Three services: api and web from the `fleet` template (tier edge), core (tier core)."""
    doc = copy.deepcopy(BASE)
    endpoints = [{"name": "GET /", "share": 1.0}]
    doc["topology"]["templates"] = [copy.deepcopy(FLEET)]
    doc["topology"]["services"] = [
        {"name": "api", "use": "fleet", "rps_share": 0.5, "endpoints": endpoints},
        {
            "name": "web",
            "use": "fleet",
            "pods": 3,
            "rps_share": 0.3,
            "latency_ms": {"p99": 400},
            "endpoints": endpoints,
        },
        {**copy.deepcopy(FLEET), "name": "core", "rps_share": 0.2, "labels": {"tier": "core"}},
    ]
    doc["topology"]["services"][2]["endpoints"] = endpoints
    doc["faults"] = faults if faults is not None else [copy.deepcopy(EDGE_DOWN)]
    return doc


def _errors(doc: dict[str, Any]) -> list[str]:
    """The located problems of ``doc`` written as YAML to x.yaml."""
    text = yaml.safe_dump(doc, sort_keys=False)
    with pytest.raises(ScenarioError) as info:
        load_scenario(text, "x.yaml")
    return [str(p) for p in info.value.problems]


def _line(doc: dict[str, Any], needle: str, after: str = "", nth: int = 0) -> int:
    """The line of the ``nth`` YAML line containing ``needle`` (after one with ``after``)."""
    rows = yaml.safe_dump(doc, sort_keys=False).splitlines()
    start = next(i for i, r in enumerate(rows) if after in r)
    return [i for i, r in enumerate(rows) if i >= start and needle in r][nth] + 1


def test_a_service_takes_its_templates_fields_and_overrides_some() -> None:
    """web keeps the template's capacity and labels, its own pods, and merges latency key by key."""
    sc = scenario_from_dict(_doc())
    web = sc.service("web")
    assert (web.use, web.pods, web.capacity_rps_per_pod, web.labels) == (
        "fleet",
        3,
        200,
        {"tier": "edge"},
    )
    assert (web.latency_ms.p50, web.latency_ms.p99) == (30, 400)
    assert sc.service("api").pods == 2


def test_one_fault_line_hits_every_pod_of_the_selected_services_each_with_its_own_jitter() -> None:
    """A selector picks api and web (not core); each of their 5 pods starts at its own seeded time."""
    d = Drill(scenario_from_dict(_doc()), seed=7)
    d.advance(200)
    started = [
        (e.t, e.data["service"], e.data["pod"])
        for e in d.log.events
        if e.type == "state" and e.data.get("what") == "fault started"
    ]
    assert started == [
        (87.624, "web", "web-f2a7-1"),
        (95.765, "api", "api-52e6-0"),
        (96.018, "web", "web-f2a7-0"),
        (99.261, "api", "api-52e6-1"),
        (119.387, "web", "web-f2a7-2"),
    ]
    again = Drill(scenario_from_dict(_doc()), seed=7)
    again.advance(200)
    assert again.log.digest() == d.log.digest()


def test_the_fault_line_ends_on_every_service_it_hit() -> None:
    """Its cause goes (a restart of web): api's pods are healthy again too, core never failed."""
    d = Drill(scenario_from_dict(_doc()), seed=7)
    d.advance(150)
    assert d.world.m["api.err_5xx_pct"] == 100.0
    d.submit({"type": "restart", "target": "web", "mode": "rolling"}, actor="alice")
    d.advance(200)
    assert (d.world.m["api.err_5xx_pct"], d.world.m["core.err_5xx_pct"]) == (0.0, 0.0)
    assert all(p.fault is None for s in d.world.services.values() for p in s.pods)


def test_a_shared_cause_on_a_list_of_services_lives_on_each_fleet() -> None:
    """`services: [api, core]` with a shared cause: one start per fleet, naming it."""
    fault = {
        "kind": "pod_failure",
        "services": ["api", "core"],
        "pod": "all",
        "shared_cause": "image",
        "at": 60,
    }
    d = Drill(scenario_from_dict(_doc([fault])), seed=1)
    d.advance(70)
    started = [
        (e.t, e.data["service"], e.data["pods"])
        for e in d.log.events
        if e.type == "state" and e.data.get("what") == "fault started"
    ]
    assert started == [(60.0, "api", "all"), (60.0, "core", "all")]
    assert (d.world.m["api.err_5xx_pct"], d.world.m["web.err_5xx_pct"]) == (100.0, 0.0)


def test_an_unknown_template_names_the_line_and_the_templates_known() -> None:
    """`use: flet` is refused at the line that says it."""
    doc = _doc()
    doc["topology"]["services"][1]["use"] = "flet"
    line = _line(doc, "use: flet")
    assert _errors(doc) == [
        f"x.yaml line {line}: `topology.services[1].use` names an unknown template 'flet' "
        "(known: fleet)"
    ]


def test_a_bad_value_in_a_template_is_reported_once_at_the_template() -> None:
    """`pods: 0` in the template: one error at the template's line, not one per service."""
    doc = _doc()
    doc["topology"]["templates"][0]["pods"] = 0
    line = _line(doc, "pods: 0")
    assert _errors(doc) == [
        f"x.yaml line {line}: `topology.templates[0].pods` must be >= 1 (got 0)"
    ]


def test_an_override_of_an_unknown_field_is_refused_with_a_suggestion() -> None:
    """A service overriding `replicas` (no such field) gets the Service field list."""
    doc = _doc()
    doc["topology"]["services"][0]["replicas"] = 4
    line = _line(doc, "replicas: 4")
    (problem,) = _errors(doc)
    assert problem.startswith(
        f"x.yaml line {line}: `topology.services[0].replicas` is not a known field; expected one of:"
    )


def test_a_template_field_the_service_model_lacks_is_refused_at_the_template() -> None:
    """A template cannot `use` another, nor carry an unknown field."""
    doc = _doc()
    doc["topology"]["templates"][0]["use"] = "other"
    (problem,) = _errors(doc)
    assert "`topology.templates[0].use` is not a known field" in problem


def test_an_inherited_value_that_breaks_a_check_points_at_the_templates_line() -> None:
    """The template's `version: v2` is not among core-like versions a service overrides."""
    doc = _doc()
    doc["topology"]["services"][0]["versions"] = [{"name": "a1"}]
    line = _line(doc, "version: v2", after="templates:")
    assert _errors(doc) == [
        f"x.yaml line {line}: `topology.services[0].version` must be one of the declared "
        "versions ['a1'] (got 'v2')"
    ]


def test_two_templates_with_one_name_are_refused() -> None:
    """Template names are what `use:` says: they must be unique."""
    doc = _doc()
    doc["topology"]["templates"].append(copy.deepcopy(FLEET))
    assert _errors(doc) == [
        f"x.yaml line {_line(doc, 'name: fleet', nth=1)}: "
        "`topology.templates[1].name` declares the template 'fleet' twice (first at templates[0])"
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"services": {"selector": {"tier": "backend"}}},
            "`faults[0].services.selector` selects no service: none has the labels tier=backend "
            "(labels in use: tier=core, tier=edge)",
        ),
        (
            {"services": ["api", "wbe"]},
            "`faults[0].services[1]` names an unknown service 'wbe' (known: api, web, core)",
        ),
        (
            {"services": ["api", "api"]},
            "`faults[0].services` names a service twice (got api, api)",
        ),
        ({"service": "api"}, "`faults[0]` needs exactly one of `service` or `services`"),
        (
            {"pod": 2},
            "`faults[0].pod` must be 0..1 for api, 'random' or 'all' (got 2)",
        ),
        (
            {"services": {"selector": {}}},
            "`faults[0].services.selector` must have at least 1 entry (got 0)",
        ),
        (
            {"services": {"selector": {"Tier!": "edge"}}},
            "`faults[0].services.selector.Tier!` must match the pattern",
        ),
    ],
)
def test_garbage_fault_targets_are_refused_with_file_line_and_field(
    change: dict[str, Any], expected: str
) -> None:
    """Each bad target names the fault line's field and what was wrong."""
    fault = {**copy.deepcopy(EDGE_DOWN), **change}
    doc = _doc([fault])
    problems = _errors(doc)
    assert len(problems) == 1 and problems[0].startswith("x.yaml line ")
    assert expected in problems[0]


def test_garbage_labels_are_refused() -> None:
    """A label value must be a short name."""
    doc = _doc()
    doc["topology"]["services"][2]["labels"] = {"tier": "core tier"}
    (problem,) = _errors(doc)
    assert "`topology.services[2].labels.tier` must match the pattern" in problem


def test_the_postmortem_names_the_service_each_pod_of_a_selector_fault_belongs_to() -> None:
    """'Pod web-f2a7-1 of web became unhealthy', not 'of None'."""
    from engine.postmortem import postmortem, postmortem_markdown

    sc = scenario_from_dict(_doc())
    d = Drill(sc, seed=7)
    d.advance(200)
    md = postmortem_markdown(postmortem(sc, d.log.events))
    said = [line.split(" | ")[2] for line in md.splitlines() if "became unhealthy" in line]
    assert [s.removeprefix("**[trigger]** ").split(" (")[0] for s in said] == [
        "Pod web-f2a7-1 of web became unhealthy",
        "Pod api-52e6-0 of api became unhealthy",
        "Pod web-f2a7-0 of web became unhealthy",
        "Pod api-52e6-1 of api became unhealthy",
        "Pod web-f2a7-2 of web became unhealthy",
    ]
