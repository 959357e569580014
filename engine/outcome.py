"""The simulated outcome of a drill, read from its log alone.

Impact is "ongoing" while ``business.users_affected_pct`` is at or above the
scenario's impact threshold. A drill is *mitigated* at the first metric sample
after which impact never returns above the threshold before the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from .log import Event
from .metrics import region_metric_names
from .scenario import Scenario


@dataclass(frozen=True, slots=True)
class Outcome:
    page_at: float | None
    impact_started_at: float | None
    mitigated_at: float | None
    time_to_mitigate: float | None  # from the page
    peak_users_affected_pct: float
    peak_err_5xx_pct: float
    final_users_affected_pct: float
    failed_requests: float
    shed_requests: float  # refused by load shedding (429), counted apart from failures
    impact_minutes: float
    money_lost: float
    rows_corrupted: float
    error_budget_used_pct: float
    alerts_fired: list[str]
    inputs: int
    ended_at: float
    max_consumer_lag: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def outcome(scenario: Scenario, events: Sequence[Event]) -> Outcome:
    threshold = scenario.grading.impact_threshold_pct
    page_at = None
    started = None
    last_bad = None
    peak_users = 0.0
    peak_5xx = 0.0
    max_lag = 0.0
    last: dict[str, float] = {}
    alerts: list[str] = []
    inputs = 0
    samples: list[tuple[float, float]] = []
    regional = set(region_metric_names(scenario))  # peaks are of whole services
    for e in events:
        if e.type == "metrics":
            v = e.data["values"]
            last = v
            users = v.get("business.users_affected_pct", 0.0)
            samples.append((e.t, users))
            if users >= threshold:
                started = e.t if started is None else started
                last_bad = e.t
            peak_users = max(peak_users, users)
            for k, x in v.items():
                if k.endswith(".err_5xx_pct") and k not in regional:
                    peak_5xx = max(peak_5xx, x)
                elif k.endswith(".consumer_lag"):
                    max_lag = max(max_lag, x)
        elif e.type == "page" and page_at is None:
            page_at = e.t
        elif e.type == "alert.fired":
            alerts.append(e.data["name"])
        elif e.type == "input":
            inputs += 1
    mitigated = None
    if started is not None and samples and samples[-1][1] < threshold:
        mitigated = next(t for t, _ in samples if t > (last_bad or 0.0))
    ttm = None
    if mitigated is not None and page_at is not None:
        ttm = max(0.0, mitigated - page_at)
    return Outcome(
        page_at=page_at,
        impact_started_at=started,
        mitigated_at=mitigated,
        time_to_mitigate=ttm,
        peak_users_affected_pct=peak_users,
        peak_err_5xx_pct=peak_5xx,
        final_users_affected_pct=last.get("business.users_affected_pct", 0.0),
        failed_requests=last.get("business.failed_requests", 0.0),
        shed_requests=last.get("business.shed_requests", 0.0),
        impact_minutes=last.get("business.impact_minutes", 0.0),
        money_lost=last.get("business.money_lost", 0.0),
        rows_corrupted=last.get("business.rows_corrupted", 0.0),
        error_budget_used_pct=last.get("business.error_budget_used_pct", 0.0),
        alerts_fired=alerts,
        inputs=inputs,
        ended_at=events[-1].t if events else 0.0,
        max_consumer_lag=max_lag,
    )
