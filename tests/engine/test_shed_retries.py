"""Clients retry shed requests: lifting a shed all at once meets the backlog it built."""

from __future__ import annotations

from typing import Any

import pytest

from engine.drill import Drill
from engine.errors import ScenarioError

from .conftest import series
from .inline import tiny

SHED = {"type": "shed_load", "service": "api"}


def _drill(retries: dict[str, Any] | None, lift: list[tuple[float, int]]) -> Drill:
    """400 rps on a fleet that serves 800; 90% is shed at T+01:00, then ``lift`` steps."""
    d = Drill(tiny(api={"shed_retries": retries} if retries else {}), seed=0)
    d.advance(60)
    d.submit({**SHED, "pct": 90}, actor="alice")
    for t, pct in lift:
        d.advance(t)
        d.submit({**SHED, "pct": pct}, actor="alice")
    d.advance(900)
    return d


def _peak(d: Drill, metric: str, after: float = 360) -> float:
    return max(v for t, v in series(d, f"api.{metric}") if t > after)


def test_without_client_retries_a_lifted_shed_meets_only_new_traffic() -> None:
    """Shed requests are simply refused: after lifting, the fleet serves what users send."""
    d = _drill(None, [(360, 0)])
    assert _peak(d, "rps", 370) == 400.0
    assert _peak(d, "err_5xx_pct") == 0.0


def test_retries_of_shed_requests_are_offered_again_while_shedding() -> None:
    """Clients that retry until served are shed again and come back again: with 90% shed
    the service is offered far more than the 400 rps users send."""
    d = _drill({"pct": 100, "backoff": 30}, [(360, 0)])
    assert min(v for t, v in series(d, "api.rps") if 180 < t <= 360) > 2 * 400.0


def test_lifting_at_once_lets_the_backlog_overload_the_fleet() -> None:
    """Lifting the shed at once admits the whole backlog on top of new traffic: the fleet
    (800 rps) overloads and most requests fail; without the backlog nothing would."""
    d = _drill({"pct": 100, "backoff": 30}, [(360, 0)])
    assert _peak(d, "err_5xx_pct") > 50.0


def test_lifting_step_by_step_drains_the_backlog_with_fewer_failures() -> None:
    """The same backlog let in by easing the shed every minute fails far fewer requests."""
    at_once = _drill({"pct": 100, "backoff": 30}, [(360, 0)])
    steps = _drill({"pct": 100, "backoff": 30}, [(360, 45), (420, 20), (480, 0)])
    assert _peak(steps, "err_5xx_pct") < _peak(at_once, "err_5xx_pct") / 2


def test_shed_retries_are_deterministic_and_validated() -> None:
    """Same inputs, same bytes; a share above 100% is a located error."""
    a = _drill({"pct": 60}, [(360, 0)]).log.digest()
    b = _drill({"pct": 60}, [(360, 0)]).log.digest()
    assert a == b
    with pytest.raises(ScenarioError) as err:
        tiny(api={"shed_retries": {"pct": 140}})
    assert "topology.services[0].shed_retries.pct" in str(err.value)
