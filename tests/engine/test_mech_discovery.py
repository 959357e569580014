"""Service discovery: pods keep a cached answer until its TTL, restarts lose it."""

from __future__ import annotations

from typing import Any

import pytest

from engine.drill import Drill
from engine.errors import NotAllowed, ScenarioError
from engine.loader import scenario_from_dict
from engine.scenario import Scenario

from .conftest import play, series
from .inline import BASE, tiny

RESTORE = {"type": "restore_record", "record": "ledger"}
POD = "api-d82c-"  # seed 0's pod names: each pod's TTL phase is drawn from its name


def _sc(answer: str = "empty") -> Scenario:
    return tiny(
        api={
            "endpoints": [
                {"name": "GET /", "share": 0.5, "calls": ["ledger"]},
                {"name": "GET /health", "share": 0.5},
            ]
        },
        topology={
            "dependencies": [{"name": "ledger"}],
            "discovery": [
                {
                    "name": "ledger",
                    "hostname": "ledger.internal",
                    "ttl": 60,
                    "negative_ttl": 120,
                    "restore": 30,
                }
            ],
        },
        faults=[
            {"id": "dns", "kind": "dns_failure", "record": "ledger", "at": 120, "answer": answer}
        ],
    )


def _run(inputs: list[tuple[float, dict[str, Any]]], answer: str = "empty") -> Drill:
    return play(_sc(answer), inputs, page_relative=False)


def _lookups(d: Drill) -> list[tuple[float, str, str]]:
    return [
        (e.t, e.data["what"], e.data["pod"])
        for e in d.log.events
        if e.type == "state" and e.data["what"].startswith("lookup")
    ]


def _at(d: Drill, metric: str, *times: float) -> list[float]:
    values = dict(series(d, metric))
    return [values[t] for t in times]


def test_cached_pods_keep_working_until_their_ttl_expires() -> None:
    """Each pod fails when its own cached answer expires; only the endpoint that calls fails."""
    d = _run([])
    assert _lookups(d) == [
        (134.0, "lookup failing", POD + "2"),
        (149.0, "lookup failing", POD + "0"),
        (164.0, "lookup failing", POD + "1"),
        (178.0, "lookup failing", POD + "3"),
    ]
    assert _at(d, "api.err_5xx_pct", 130, 150, 180, 1200) == [0.0, 15.0, 41.25, 50.0]
    assert _at(d, "api.lookup_failures_per_s", 130, 1200) == [0.0, 200.0]
    assert max(v for _, v in series(d, "ledger.error_pct")) == 0.0  # the callee is healthy
    assert d.world.detail("api", "endpoint")["GET /health"]["err_5xx_pct"] == 0.0


def test_a_restarted_pod_loses_its_cached_answer_and_fails_at_once() -> None:
    """Restarting at 125 s, before any answer expired, makes every pod fail at 145 s."""
    d = _run([(125, {"type": "restart", "target": "api", "mode": "all"})])
    assert _lookups(d) == [(145.0, "lookup failing", POD + str(i)) for i in range(4)]


def test_a_scale_out_adds_pods_that_fail_at_once() -> None:
    """New pods start with an empty cache: they fail as they come up (125 + 30 s)."""
    d = _run([(125, {"type": "scale", "service": "api", "pods": 6})])
    assert _lookups(d)[2:4] == [
        (155.0, "lookup failing", POD + "4"),
        (155.0, "lookup failing", POD + "5"),
    ]


def test_the_fix_recovers_callers_over_the_negative_ttl() -> None:
    """Restored at 230 s; each pod recovers when its cached empty answer expires (+120 s)."""
    d = _run([(200, RESTORE)])
    events = [
        (e.t, e.data["component"], e.data["what"])
        for e in d.log.events
        if e.type in ("effect", "state") and not e.data["what"].startswith("lookup")
    ]
    assert events == [
        (120.0, "fault", "fault started"),
        (200.0, "ledger", "record restore started"),
        (230.0, "fault", "fault ended"),
        (230.0, "ledger", "record restored; callers re-resolve as caches expire"),
    ]
    assert _lookups(d)[4:] == [
        (254.0, "lookup recovered", POD + "2"),
        (269.0, "lookup recovered", POD + "0"),
        (284.0, "lookup recovered", POD + "1"),
        (298.0, "lookup recovered", POD + "3"),
    ]
    assert _at(d, "api.err_5xx_pct", 250, 310, 1200) == [50.0, 0.0, 0.0]


def test_a_restart_after_the_fix_clears_negative_answers_at_once() -> None:
    """Once the record resolves, a restarted pod resolves it fresh: the realistic flush."""
    d = _run([(200, RESTORE), (235, {"type": "restart", "target": "api", "mode": "all"})])
    assert _lookups(d)[4:] == [(255.0, "lookup recovered", POD + str(i)) for i in range(4)]


def test_a_resolver_failure_is_not_cached() -> None:
    """SERVFAIL answers are retried every 5 s, so every pod recovers within 5 s of 230 s."""
    d = _run([(200, RESTORE)], answer="servfail")
    assert [t for t, what, _ in _lookups(d) if what == "lookup recovered"] == [
        233.0,
        234.0,
        234.0,
        234.0,
    ]
    live = Drill(_sc("servfail"), seed=0)
    live.advance(200)
    assert live.world.log_lines("api")[0]["text"].endswith(
        "lookup ledger.internal: server misbehaving"
    )


def test_the_caller_logs_name_the_lookup_and_inspect_shows_the_answer() -> None:
    d = Drill(_sc(), seed=0)
    d.advance(200)
    assert d.world.log_lines("api")[0]["text"] == (
        "ERROR call to ledger failed: dial tcp: lookup ledger.internal: no such host"
    )
    d.submit({"type": "inspect_dependency", "dependency": "ledger"}, actor="alice")
    shown = d.log.events[-1].data["result"]
    assert shown["error_pct"] == 0.0
    assert shown["dns"] == ("ledger.internal: NOERROR, 0 answers (empty record; negative ttl 120s)")


def test_restoring_a_record_that_resolves_is_refused_and_changes_nothing() -> None:
    d = Drill(_sc(), seed=0)
    d.advance(60)
    before = d.log.last_seq
    with pytest.raises(NotAllowed, match="record ledger resolves"):
        d.submit(RESTORE, actor="alice")
    assert d.log.last_seq == before


def test_same_seed_same_log_and_seeds_spread_expiries_differently() -> None:
    a, b = _run([(200, RESTORE)]), _run([(200, RESTORE)])
    assert [e.to_json() for e in a.log.events] == [e.to_json() for e in b.log.events]
    other = play(_sc(), [], seed=1, page_relative=False)
    assert [t for t, _, _ in _lookups(other)] != [t for t, _, _ in _lookups(a)][:4]


def test_a_record_must_name_something_an_endpoint_calls() -> None:
    doc: dict[str, Any] = {**BASE, "topology": {**BASE["topology"]}}
    doc["topology"]["discovery"] = [{"name": "ghost"}]
    doc["faults"] = [{"kind": "dns_failure", "record": "nope", "at": 10}]
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(doc)
    assert [str(p) for p in info.value.problems] == [
        "<scenario>: `topology.discovery[0].name` names no service or dependency 'ghost' "
        "(known: api)",
        "<scenario>: `faults[0].record` names an unknown record 'nope' (known: ghost)",
    ]
