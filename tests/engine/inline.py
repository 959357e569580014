"""Tiny inline scenarios for mechanic tests: one service, no noise, exact numbers."""

from __future__ import annotations

import copy
from typing import Any

from engine.loader import scenario_from_dict
from engine.scenario import Scenario

BASE: dict[str, Any] = {
    "id": "tiny",
    "title": "tiny",
    "summary": "tiny",
    "class": "real-incident",
    "duration": 1200,
    "traffic": {"base_rps": 400, "noise_pct": 0},
    "topology": {
        "services": [
            {
                "name": "api",
                "pods": 4,
                "capacity_rps_per_pod": 200,
                "version": "v2",
                "versions": [{"name": "v1"}, {"name": "v2"}],
                "restart": 20,
                "rollback": 60,
                "scale_up": 30,
                "endpoints": [{"name": "GET /", "share": 1.0}],
            }
        ]
    },
    "alerts": [{"name": "Errors", "metric": "api.err_5xx_pct", "threshold": 5, "for": 20}],
    "truth": {"trigger": "t", "root_cause": "r", "causal_chain": ["c"]},
}


def tiny(**changes: Any) -> Scenario:
    """BASE with top-level keys replaced, ``api`` keys merged from ``api=...``."""
    doc = copy.deepcopy(BASE)
    api = changes.pop("api", None)
    if api is not None:
        doc["topology"]["services"][0].update(api)
    topo = changes.pop("topology", None)
    if topo is not None:
        doc["topology"].update(topo)
    doc.update(changes)
    return scenario_from_dict(doc)
