"""Certificate expiry: only rotating it helps, after the new one propagates."""

from __future__ import annotations

from typing import Any

import pytest

from engine.errors import InvalidInput, ScenarioError
from engine.loader import scenario_from_dict
from engine.scenario import Scenario

from .conftest import play, series
from .inline import BASE, tiny

ROTATE = {"type": "rotate_certificate", "certificate": "api-mtls"}


def _sc(rotate: float = 120, at: float = 120) -> Scenario:
    return tiny(
        api={"endpoints": [{"name": "GET /", "share": 1.0, "calls": ["card-network"]}]},
        topology={
            "dependencies": [{"name": "card-network"}],
            "certificates": [
                {
                    "name": "api-mtls",
                    "services": ["api"],
                    "dependency": "card-network",
                    "rotate": rotate,
                }
            ],
        },
        faults=[{"id": "expiry", "kind": "cert_expiry", "certificate": "api-mtls", "at": at}],
    )


def _errors(inputs: list[tuple[float, dict[str, Any]]]) -> list[tuple[float, float]]:
    d = play(_sc(), inputs)
    return [(t, v) for t, v in series(d, "api.err_5xx_pct") if t in (60, 180, 360, 1200)]


def _events(d: Any) -> list[tuple[float, str, str]]:
    return [
        (e.t, e.data["component"], e.data["what"])
        for e in d.log.events
        if e.type in ("state", "effect")
    ]


def test_doing_nothing_leaves_every_call_failing() -> None:
    """An expired client certificate fails every call on its hop until the end."""
    assert _errors([]) == [(60, 0.0), (180, 100.0), (360, 100.0), (1200, 100.0)]


def test_rotating_the_certificate_clears_errors_after_it_propagates() -> None:
    """Rotation starts at page+60s and lands 120 s later; errors are gone from then on."""
    d = play(_sc(), [(60, ROTATE)])
    assert _events(d) == [
        (120.0, "fault", "fault started"),
        (200.0, "api-mtls", "certificate rotation started"),
        (320.0, "fault", "fault ended"),
        (320.0, "api-mtls", "certificate rotated; pods reloaded it"),
    ]
    errs = dict(series(d, "api.err_5xx_pct"))
    assert (errs[310.0], errs[330.0], errs[1200.0]) == (100.0, 0.0, 0.0)


@pytest.mark.parametrize(
    "move",
    [
        {"type": "restart", "target": "api", "mode": "rolling"},
        {"type": "restart", "target": "api", "mode": "all"},
        {"type": "rollback", "service": "api"},
        {"type": "scale", "service": "api", "pods": 8},
    ],
)
def test_restart_rollback_and_scale_out_do_not_renew_a_certificate(move: dict[str, Any]) -> None:
    """Every pod, old, restarted or new, presents the same expired certificate."""
    assert _errors([(60, move)]) == [(60, 0.0), (180, 100.0), (360, 100.0), (1200, 100.0)]


def test_renewing_before_the_expiry_prevents_the_outage() -> None:
    """A rotation that lands before the expiry time leaves nothing to expire."""
    from engine.drill import Drill

    d = Drill(_sc(rotate=30, at=300), seed=0)
    d.advance(60)
    d.submit(ROTATE, actor="alice")
    d.advance(1205)
    assert max(v for _, v in series(d, "api.err_5xx_pct")) == 0.0
    started = [e.data for e in d.log.events if e.data.get("what") == "fault started"]
    assert started == [
        {
            "component": "fault",
            "what": "fault started",
            "fault": "expiry",
            "kind": "cert_expiry",
            "certificate": "api-mtls",
            "prevented": "renewed before it expired",
        }
    ]


def test_rotating_an_unknown_certificate_is_refused_and_changes_nothing() -> None:
    """The error lists the certificates the scenario declares."""
    from engine.drill import Drill

    d = Drill(_sc(), seed=0)
    before = d.log.last_seq
    with pytest.raises(InvalidInput, match=r"unknown certificate 'nope'; valid: api-mtls"):
        d.submit({"type": "rotate_certificate", "certificate": "nope"}, actor="alice")
    assert d.log.last_seq == before


def test_a_certificate_naming_an_unknown_service_is_a_located_error() -> None:
    """Garbage in the certificates block names the field and what is known."""
    doc: dict[str, Any] = {**BASE, "topology": {**BASE["topology"]}}
    doc["topology"]["certificates"] = [{"name": "c", "services": ["ghost"], "dependency": "nope"}]
    doc["faults"] = [{"kind": "cert_expiry", "certificate": "d", "at": 10}]
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(doc)
    assert [str(p) for p in info.value.problems] == [
        "<scenario>: `topology.certificates[0].services[0]` names an unknown service 'ghost' "
        "(known: api)",
        "<scenario>: `topology.certificates[0].dependency` names an unknown dependency 'nope' "
        "(known: none declared)",
        "<scenario>: `faults[0].certificate` names an unknown certificate 'd' (known: c)",
    ]
