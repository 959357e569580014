"""The causal mechanics: doing nothing vs the right move vs the harmful move."""

from __future__ import annotations

from engine.loader import load_scenario

from .conftest import at, load, play, series, window_mean

MIN = 60.0


def _end(d, metric):  # type: ignore[no-untyped-def]
    return series(d, metric)[-1][1]


# ------------------------------------------------------------ bad deploy
def test_rollback_of_a_bad_deploy_takes_minutes_then_clears_errors() -> None:
    """Errors persist with no response; a safe rollback clears them after a few minutes."""
    sc = load("checkout-deploy-500s")
    nothing = play(sc, [])
    assert _end(nothing, "checkout-api.err_5xx_pct") > 10
    d = play(sc, [(2 * MIN, {"type": "rollback", "service": "checkout-api"})])
    sent = next(e.t for e in d.log.events if e.type == "input")
    assert at(d, "checkout-api.err_5xx_pct", sent + MIN) > 5  # not instant
    assert at(d, "checkout-api.err_5xx_pct", sent + sc.service("checkout-api").rollback + MIN) < 1
    done = [e for e in d.log.events if e.type == "state" and e.data["what"] == "rollback complete"]
    assert len(done) == 1 and done[0].data["version"] == "v142"


def test_restarting_pods_on_a_bad_build_changes_nothing() -> None:
    """A restart brings the same bad build back; errors are as high at the end."""
    sc = load("checkout-deploy-500s")
    d = play(sc, [(2 * MIN, {"type": "restart", "target": "checkout-api", "mode": "rolling"})])
    assert _end(d, "checkout-api.err_5xx_pct") > 10


# -------------------------------------------------- irreversible migration
def test_rollback_past_an_irreversible_migration_corrupts_data() -> None:
    """Rolling back below the migration stops the 5xx but corrupts rows, visible in the log."""
    sc = load("loyalty-irreversible-migration")
    d = play(sc, [(2 * MIN, {"type": "rollback", "service": "loyalty-api"})])
    corrupted = series(d, "business.rows_corrupted")
    assert corrupted[-1][1] > 10_000
    assert corrupted[-1][1] > at(d, "business.rows_corrupted", d.log.events[-1].t - 10 * MIN)
    applied = [
        e for e in d.log.events if e.type == "state" and e.data["what"] == "migration applied"
    ]
    assert applied and applied[0].data["migration"] == "0142_split_points_balance"


def test_flag_off_stops_errors_without_corrupting_data() -> None:
    """Turning the guarding flag off fixes the errors and leaves data intact."""
    sc = load("loyalty-irreversible-migration")
    d = play(sc, [(2 * MIN, {"type": "set_flag", "flag": "loyalty-v2", "enabled": False})])
    assert _end(d, "loyalty-api.err_5xx_pct") < 0.5
    assert _end(d, "business.rows_corrupted") == 0


def test_check_migration_reveals_the_rollback_is_unsafe() -> None:
    """Asking for migration status returns the irreversible migration and a verdict."""
    sc = load("loyalty-irreversible-migration")
    d = play(sc, [(MIN, {"type": "check_migration", "service": "loyalty-api"})])
    obs = next(e for e in d.log.events if e.type == "observation")
    result = obs.data["result"]
    assert result["migrations"][0]["reversible"] is False
    assert result["verdict"].startswith("rolling back code below v88 is unsafe")


# ------------------------------------------------------------ kafka lag
def test_consumer_lag_backpressure_reaches_users_when_nobody_acts() -> None:
    """Stuck partitions and rebalances fill the producer buffer; POST /orders starts failing."""
    sc = load("orders-consumer-lag")
    d = play(sc, [])
    assert _end(d, "orders.buffer_fill_pct") > 95
    assert _end(d, "orders-api.err_5xx_pct") > 5


def test_scaling_consumers_at_once_halts_consumption_and_worsens_lag_first() -> None:
    """Adding six consumers at once triggers back-to-back rebalances: lag grows faster for minutes."""
    sc = load("orders-consumer-lag")
    nothing = play(sc, [])
    scaled = play(sc, [(0.0, {"type": "scale_consumers", "topic": "orders", "consumers": 12})])
    page = scaled.page_at or 0.0
    assert window_mean(scaled, "orders.consume_rate", page + 30, page + 150) < 0.5 * window_mean(
        nothing, "orders.consume_rate", page + 30, page + 150
    )
    assert at(scaled, "orders.consumer_lag", page + 150) > at(
        nothing, "orders.consumer_lag", page + 150
    )
    rebalances = [
        e for e in scaled.log.events if e.type == "effect" and "rebalancing" in e.data["what"]
    ]
    assert len(rebalances) == 6


def test_throttle_skip_poison_and_stepwise_consumers_recover_the_group() -> None:
    """The runbook from the public account: throttle, drain poison, add consumers one at a time."""
    sc = load("orders-consumer-lag")
    steps = [
        (60.0, {"type": "throttle_producer", "topic": "orders", "allow_pct": 60}),
        (90.0, {"type": "skip_poison", "topic": "orders"}),
        *[
            (240.0 + 90 * i, {"type": "scale_consumers", "topic": "orders", "consumers": 7 + i})
            for i in range(6)
        ],
        (1200.0, {"type": "throttle_producer", "topic": "orders", "allow_pct": 100}),
    ]
    d = play(sc, steps)
    assert _end(d, "orders.consumer_lag") < 5_000
    page = d.page_at or 0.0
    assert max(v for t, v in series(d, "orders-api.err_5xx_pct") if t > page + 10 * MIN) < 1
    moved = [e for e in d.log.events if e.type == "effect" and e.data["what"].startswith("offsets")]
    assert moved[0].data["moved_to_dlq"] == 6  # 3 poison messages on each of 2 partitions


# -------------------------------------------------------------- bad pod
def test_one_bad_pod_fails_only_its_share_and_draining_it_fixes_it() -> None:
    """Errors come from one pod of eight; draining that pod clears them in under a minute."""
    sc = load("gateway-bad-pod")
    look = {"type": "view_dashboard", "service": "api-gateway", "breakdown": "pod"}
    d = play(sc, [(MIN, look)])
    rows = next(e for e in d.log.events if e.type == "observation").data["result"]["rows"]
    bad = [name for name, r in rows.items() if r["err_5xx_pct"] > 50]
    assert len(bad) == 1
    assert sorted(r["err_5xx_pct"] for r in rows.values())[:-1] == [0.0] * 7
    d2 = play(
        sc, [(MIN, look), (2 * MIN, {"type": "drain_pod", "service": "api-gateway", "pod": bad[0]})]
    )
    drained = next(
        e.t for e in d2.log.events if e.type == "effect" and e.data["what"] == "pod drained"
    )
    assert at(d2, "api-gateway.err_5xx_pct", drained + 20) < 0.5
    assert (
        8 < window_mean(d, "api-gateway.err_5xx_pct", d.page_at or 0, (d.page_at or 0) + 300) < 16
    )


def test_fleet_rollback_leaves_the_bad_pod_in_place() -> None:
    """Rolling back the fleet restarts every pod but the bad host keeps failing."""
    sc = load("gateway-bad-pod")
    d = play(sc, [(MIN, {"type": "rollback", "service": "api-gateway"})])
    assert _end(d, "api-gateway.err_5xx_pct") > 8


# -------------------------------------------------- dependency / pool
def test_slow_dependency_starves_the_shared_worker_pool() -> None:
    """One slow network saturates workers: every network's payments fail, not just its own."""
    sc = load("card-network-timeouts")
    d = play(sc, [])
    page = d.page_at or 0.0
    assert window_mean(d, "payments-api.worker_busy_pct", page, page + 300) > 95
    assert window_mean(d, "business.payments_success_pct", page, page + 300) < 60


def test_opening_the_breaker_fails_fast_and_saves_the_rest() -> None:
    """An open breaker declines one network quickly, freeing workers for the others."""
    sc = load("card-network-timeouts")
    d = play(sc, [(MIN, {"type": "set_breaker", "dependency": "discover-net", "state": "open"})])
    page = d.page_at or 0.0
    assert window_mean(d, "payments-api.worker_busy_pct", page + 3 * MIN, page + 8 * MIN) < 50
    success = window_mean(d, "business.payments_success_pct", page + 3 * MIN, page + 8 * MIN)
    assert 85 < success < 92  # everything but the declined network's share


# ------------------------------------------------------------- flags
def test_feature_flag_off_takes_seconds() -> None:
    """The flag flip reaches every pod within its propagation time and checkout recovers."""
    sc = load("new-checkout-flag")
    d = play(sc, [(MIN, {"type": "set_flag", "flag": "one-page-checkout", "enabled": False})])
    sent = next(e.t for e in d.log.events if e.type == "input")
    assert at(d, "business.checkout_success_pct", sent) < 70
    assert at(d, "business.checkout_success_pct", sent + 40) > 99


# ------------------------------------------------------ restart refills
BLOCKER = """
id: blocker-mini
title: Blocked pool
summary: A long transaction holds locks; the pool fills.
class: real-incident
duration: 30m
traffic: {base_rps: 400}
topology:
  services:
    - name: api
      pods: 4
      capacity_rps_per_pod: 200
      version: v1
      versions: [{name: v1}]
      endpoints:
        - {name: "POST /events", share: 1.0, database: main-db, writes: true}
  databases:
    - {name: main-db, pool_size: 50, query_ms: 5, restart: 45s}
  flags:
    - {name: deletions-enabled, enabled: true, propagation: 6m, kill_switch: true}
faults:
  - {kind: db_blocker, at: 2m, database: main-db, hold_factor: 400, recurs_after: 5m, stopped_by_flag: deletions-enabled}
alerts:
  - {name: ApiErrors, metric: api.err_5xx_pct, threshold: 5, for: 30s}
truth:
  trigger: a cascading delete
  root_cause: an unbounded transaction
  causal_chain: [the pool filled because a transaction held locks]
"""


def test_restarting_the_pool_while_the_blocker_remains_refills_it() -> None:
    """A pool restart causes a full outage, then the pool saturates again."""
    sc = load_scenario(BLOCKER, "blocker.yaml")
    d = play(sc, [(MIN, {"type": "restart", "target": "main-db"})])
    sent = next(e.t for e in d.log.events if e.type == "input")
    assert at(d, "api.err_5xx_pct", sent + 30) > 95  # down while restarting
    assert at(d, "main-db.pool_util_pct", sent + 25) < 10  # emptied
    assert at(d, "main-db.pool_util_pct", sent + 3 * MIN) > 99  # refilled
    assert at(d, "api.err_5xx_pct", sent + 3 * MIN) > 50


def test_cancelling_the_blocker_recovers_until_the_retry_returns() -> None:
    """kill_query clears the pool; without the kill switch the retried transaction returns."""
    sc = load_scenario(BLOCKER, "blocker.yaml")
    d = play(sc, [(MIN, {"type": "kill_query", "database": "main-db"})])
    sent = next(e.t for e in d.log.events if e.type == "input")
    assert at(d, "api.err_5xx_pct", sent + 2 * MIN) < 1
    assert at(d, "api.err_5xx_pct", sent + 8 * MIN) > 50  # recurred
    fixed = play(
        sc,
        [
            (MIN, {"type": "kill_query", "database": "main-db"}),
            (MIN + 1, {"type": "set_flag", "flag": "deletions-enabled", "enabled": False}),
            (8 * MIN, {"type": "kill_query", "database": "main-db"}),  # after the switch propagated
        ],
    )
    assert _end(fixed, "api.err_5xx_pct") < 1
