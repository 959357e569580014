"""Load test of the live server: many drills and clients at once, nothing lost, memory flat.

    .venv/bin/python bench/load.py [--drills 50] [--clients 10] [--seconds 60] [--speed 10]
                                   [--rounds 3] [--seed 1]
                                   [--store postgresql://... [--bus redis://...] [--workers N]]

Starts ``firedrill serve`` on a free loopback port with a temporary database,
then plays rounds of D drills x C WebSocket clients (1 facilitator, C // 2
players, the rest observers) for T wall seconds at speed X: players send
jittered chat and actions, observers ping, the facilitator notes; some
clients drop their connection and resume with ``last_seq``; then every drill
ends and every client's events are compared with the log export for its
token. With ``--store postgresql://...`` the server runs on a fresh schema of
that database (dropped at the end), with ``--bus`` and ``--workers`` passed to
``firedrill serve``; CPU and RSS are then those of every worker together, and
tick lateness is the worst worker's. Round 1 is the warm-up: a wave of
ended_cache (32) drills fills the ended-drill cache, then a normal wave of D
drills; its end is the RSS baseline every later round must return to. Exits 1 on any error,
lost or duplicate event, or memory not back to the baseline.

Columns: inputs sent/acked (inputs and controls meant to apply), prov (deliberate
mistakes refused with the expected code), frames/s and events/s received by all
clients during the load phase, errors (any other fault: error reply, missing
or stray reply, bad frame, unexpected close, HTTP error, event leaked to the
wrong view, differing or extra event), lost and dup(licate) events against
the log exports, reconn (resumed/planned drops), server RSS, server CPU and
this driver's CPU over the load phase (a share of one core), the server's
tick lateness in ms (/api/health at the end of the load phase: its window of
recent ticks) and request -> reply ms.
Figures are noisy on a shared 2-core machine; the verdict is not timing-based.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.loadkit import LoadConfig, LoadReport, MiB, RoundResult, run_with_server  # noqa: E402

HEAD = (
    f"{'round':>5} {'drills':>6} {'clients':>7} {'secs':>5} {'inputs sent/acked':>17} "
    f"{'prov':>4} {'frames/s':>8} {'events/s':>8} {'errors':>6} {'lost':>4} {'dup':>3} "
    f"{'reconn':>7} {'RSS before/peak/after MiB':>25} {'CPU%':>5} {'drvCPU%':>7} "
    f"{'tick p50/p99':>12} {'reply p50/p99':>13}"
)


def ms(v: float | None) -> str:
    return "-" if v is None else f"{v:.1f}"


def pair(p50: float | None, p99: float | None) -> str:
    return f"{ms(p50)}/{ms(p99)}"


def row(r: RoundResult) -> str:
    t = r.tally
    rss = f"{r.rss_before / MiB:.1f}/{r.rss_peak / MiB:.1f}/{r.rss_after / MiB:.1f}"
    secs = r.seconds or 1.0
    label = f"{r.index}{'w' if r.index == 1 else ''}"
    return (
        f"{label:>5} {r.drills:>6} {r.clients:>7} {r.seconds:>5.1f} "
        f"{f'{t.inputs}/{t.acked}':>17} {t.provoked:>4} {r.frames / secs:>8.0f} "
        f"{r.events / secs:>8.0f} {t.errors:>6} {t.faults['lost']:>4} "
        f"{t.faults['duplicate']:>3} {f'{t.reconnects}/{t.drops}':>7} {rss:>25} "
        f"{r.cpu_pct:>5.1f} {r.driver_cpu_pct:>7.1f} {pair(r.tick_p50, r.tick_p99):>12} "
        f"{pair(r.reply_ms(0.5), r.reply_ms(0.99)):>13}"
    )


def summary(report: LoadReport) -> list[str]:
    cfg = report.config
    lines = [
        f"RSS baseline (after warm-up round 1) {report.baseline / MiB:.1f} MiB; limit "
        f"{report.rss_limit / MiB:.1f} MiB (+{cfg.rss_tolerance:.0%} + "
        f"{cfg.rss_slack_mib:g} MiB)"
    ]
    later = report.rounds[1:]
    if later:
        drift = [(r.rss_after - report.baseline) / MiB for r in later]
        lines.append(
            "RSS after each later round vs baseline: " + ", ".join(f"{d:+.1f} MiB" for d in drift)
        )
    return lines


def server_kind(cfg: LoadConfig) -> str:
    """How the server under load is run, in words."""
    if cfg.store is None:
        return "1 process, SQLite"
    bus = ", Redis bus" if cfg.bus else ""
    return f"{cfg.workers} worker(s), PostgreSQL{bus}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--drills", type=int, default=50)
    parser.add_argument("--clients", type=int, default=10, help="per drill (at least 2)")
    parser.add_argument("--seconds", type=float, default=60.0, help="wall seconds per round")
    parser.add_argument("--speed", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3, help="round 1 is the warm-up")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--per-minute", type=float, default=3.0, help="inputs per player per simulated minute"
    )
    parser.add_argument(
        "--reconnect-share",
        type=float,
        default=0.2,
        help="share of each drill's clients that drop once and resume",
    )
    parser.add_argument(
        "--rss-tolerance",
        type=float,
        default=LoadConfig.rss_tolerance,
        help="share over the baseline RSS allowed after a round (plus 8 MiB)",
    )
    parser.add_argument(
        "--store", metavar="URL", help="postgresql://...: run on a fresh schema of it"
    )
    parser.add_argument("--bus", metavar="URL", help="redis://...: the workers' bus")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    args = parser.parse_args()
    if args.clients < 2 or args.drills < 1 or args.rounds < 2:
        parser.error("need --clients >= 2, --drills >= 1 and --rounds >= 2")
    if args.store is not None and not args.store.startswith(("postgresql://", "postgres://")):
        parser.error(f"--store must be a postgresql:// URL, got {args.store!r}")
    if args.bus is not None and (args.store is None or not args.bus.startswith("redis://")):
        parser.error("--bus needs --store postgresql://... and must be a redis:// URL")
    if args.workers < 1 or (args.workers > 1 and args.bus is None):
        parser.error("--workers must be >= 1; more than 1 needs --store and --bus")
    cfg = LoadConfig(
        drills=args.drills,
        clients=args.clients,
        seconds=args.seconds,
        speed=args.speed,
        rounds=args.rounds,
        seed=args.seed,
        per_minute=args.per_minute,
        reconnect_share=args.reconnect_share,
        rss_tolerance=args.rss_tolerance,
        workers=args.workers,
        store=args.store,
        bus=args.bus,
    )
    print(
        f"firedrill load test ({os.cpu_count()} cpus, python {sys.version.split()[0]}): "
        f"{cfg.drills} drills x {cfg.clients} clients (1 facilitator, {cfg.players} players, "
        f"{cfg.observers} observers) for {cfg.seconds:g} s at {cfg.speed:g}x, {cfg.rounds} "
        f"rounds (round 1w: warm-up, {cfg.cache_fill} drills to fill the ended-drill cache, "
        f"then {cfg.drills}), seed {cfg.seed}; server: {server_kind(cfg)}; "
        f"load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print(HEAD, flush=True)
    started = time.monotonic()
    report = run_with_server(cfg, lambda r: print(row(r), flush=True))
    for line in summary(report):
        print(line)
    problems = report.problems()
    for p in problems:
        print(f"FAIL {p}")
    verdict = (
        "FAIL"
        if problems
        else "OK: every request answered once, nothing lost or duplicated, memory back to baseline"
    )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{verdict} (total {time.monotonic() - started:.0f} s; load average {load})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
