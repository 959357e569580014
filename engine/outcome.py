"""The simulated outcome of a drill, read from its log alone.

Harm is "ongoing" at a metric sample while ``business.users_affected_pct`` is
at or above the scenario's impact threshold, or while a loss that cannot be
taken back is still growing (``business.rows_corrupted``, any
``*.messages_lost``: see :data:`LOSSES`). A drill is *mitigated* at the first
sample after which no harm is ongoing before the end: a rollback that stops
the errors but keeps corrupting rows has not mitigated anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

from .choices import as_played
from .log import Event
from .metrics import region_metric_names
from .scenario import Scenario

USERS = "business.users_affected_pct"
ROWS = "business.rows_corrupted"
# Cumulative losses: growing by more than LOSS_STEP between samples is ongoing harm.
LOSSES: tuple[str, ...] = (ROWS, "business.messages_lost")
LOSS_SUFFIXES: tuple[str, ...] = (".messages_lost",)
LOSS_STEP = 0.5


def loss_metrics(values: dict[str, float]) -> list[str]:
    """The cumulative-loss metrics present in one sample, in a stable order."""
    return list(_losses(tuple(values)))


@lru_cache(maxsize=32)
def _losses(keys: tuple[str, ...]) -> tuple[str, ...]:
    # Every sample of a drill has the same keys: pick the losses out once per key set.
    return tuple(sorted(k for k in keys if k in LOSSES or k.endswith(LOSS_SUFFIXES)))


@lru_cache(maxsize=32)
def _peak_keys(keys: tuple[str, ...], regional: frozenset[str]) -> tuple[tuple[str, ...], ...]:
    """(whole-service error rates, consumer lags) among one sample's keys."""
    errs = tuple(k for k in keys if k.endswith(".err_5xx_pct") and k not in regional)
    return errs, tuple(k for k in keys if k.endswith(".consumer_lag"))


def harms(values: dict[str, float], prev: dict[str, float] | None, threshold: float) -> list[str]:
    """Which harm figures are ongoing at a sample (``prev`` is the sample before it):
    users affected at or above ``threshold``, and every loss still growing."""
    out = []
    if values.get(USERS, 0.0) >= threshold:
        out.append(USERS)
    if prev is not None:
        out += [k for k in _losses(tuple(values)) if values[k] - prev.get(k, 0.0) > LOSS_STEP]
    return out


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
    harm_at_end: list[str]  # harm figures still ongoing at the last sample (see harms)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def outcome(scenario: Scenario, events: Sequence[Event]) -> Outcome:
    """The figures of one drill log (its seed's choices resolved)."""
    scenario = as_played(scenario, events)
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
    samples: list[tuple[float, list[str]]] = []
    prev: dict[str, float] | None = None
    regional = frozenset(region_metric_names(scenario))  # peaks are of whole services
    for e in events:
        if e.type == "metrics":
            v = e.data["values"]
            last = v
            users = v.get(USERS, 0.0)
            ongoing = harms(v, prev, threshold)
            prev = v
            samples.append((e.t, ongoing))
            if ongoing:
                started = e.t if started is None else started
                last_bad = e.t
            peak_users = max(peak_users, users)
            errs, lags = _peak_keys(tuple(v), regional)
            for k in errs:
                peak_5xx = max(peak_5xx, v[k])
            for k in lags:
                max_lag = max(max_lag, v[k])
        elif e.type == "page" and page_at is None:
            page_at = e.t
        elif e.type == "alert.fired":
            alerts.append(e.data["name"])
        elif e.type == "input":
            inputs += 1
    mitigated = None
    if started is not None and samples and not samples[-1][1]:
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
        harm_at_end=list(samples[-1][1]) if samples else [],
    )
