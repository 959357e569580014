"""Built-in baseline agents: nobody, a random player, and a rule-based runbook.

An agent is a callable ``agent(player, ctx)``: it plays through
:class:`~agents.player.Player` (observe, act, wait) until it has nothing more
to do or the drill ends; the benchmark then plays the drill to its end and
grades it. The three baselines show the benchmark's spread: doing nothing
scores what the incident costs untouched, random valid actions score what
noise earns, and the runbook scores what generic on-call habits earn.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .catalogue import catalogue
from .player import Acted, Observation, Player, Refused

POLL_SECONDS = 30.0


@dataclass(frozen=True)
class RunContext:
    """What an agent is told about its run: scenario id, seed, and the run's index (for pass@k)."""

    scenario: str
    seed: int
    run: int = 0


Agent = Callable[[Player, RunContext], None]


def do_nothing(player: Player, ctx: RunContext) -> None:
    """Nobody responds."""


def random_agent(player: Player, ctx: RunContext) -> None:
    """Valid-looking actions at random (seeded by scenario, seed and run), until the end."""
    rng = random.Random(f"random-agent/{ctx.scenario}/{ctx.seed}/{ctx.run}")
    facts = player.scenario
    pods: dict[str, list[str]] = {}
    actions = catalogue(facts, pods)
    while not _ended(player):
        player.wait(rng.choice((30.0, 60.0, 120.0)))
        if _ended(player):
            return
        action = rng.choice(actions)
        try:
            acted = player.act(action)
        except Refused:
            continue
        if action["type"] == "view_dashboard" and action["breakdown"] == "pod" and acted.result:
            pods[action["service"]] = sorted(acted.result["rows"])
            actions = catalogue(facts, pods)


def _ended(player: Player) -> bool:
    return bool(getattr(player, "ended", False)) or player.now >= player.scenario["duration"]


class _Runbook:
    """Generic on-call habits, read off what the player sees (no scenario knowledge)."""

    def __init__(self, player: Player) -> None:
        self.p = player
        self.facts = player.scenario

    def act(self, action: Mapping[str, Any]) -> Acted | None:
        try:
            return self.p.act(action)
        except Refused:
            return None

    def result(self, action: Mapping[str, Any]) -> dict[str, Any]:
        acted = self.act(action)
        return (acted.result or {}) if acted else {}

    def wait_for(self, done: Callable[[Observation], bool], limit: float) -> Observation:
        obs = self.p.observe()
        while not done(obs) and not obs.ended and obs.t < limit:
            self.p.wait(POLL_SECONDS)
            obs = self.p.observe()
        return obs

    def play(self) -> None:
        duration = float(self.facts["duration"])
        obs = self.wait_for(lambda o: o.page_at is not None or bool(o.alerts), duration)
        if obs.ended or not obs.alerts:
            return
        self.act({"type": "take_command"})
        self.act(
            {
                "type": "declare_incident",
                "severity": "SEV2",
                "summary": "alerts firing: " + ", ".join(obs.alerts),
            }
        )
        self.act({"type": "assign_role", "person": "sam", "role": "comms"})
        self.act({"type": "assign_role", "person": "priya", "role": "ops"})
        self.act({"type": "chat", "text": "Incident open. I am IC; Sam on comms, Priya on ops."})
        suspects = self.suspects(obs)
        worst = self.investigate(suspects)
        share = max((obs.dashboards.get(f"{s}.err_5xx_pct", 0.0) for s in suspects), default=0.0)
        self.act(
            {
                "type": "state_impact",
                "users_pct": round(min(100.0, max(1.0, share)), 1),
                "trend": "stable",
                "data": "intact",
                "scope": "errors on " + ", ".join(suspects),
            }
        )
        self.mitigate(suspects, worst)
        self.act(
            {
                "type": "status_update",
                "audience": "public",
                "state": "identified",
                "impact": "Some requests are failing; we are working on it.",
                "action": "We found a likely cause and are mitigating.",
                "next_update_min": 15,
            }
        )
        calm = self.wait_for(lambda o: not o.alerts, duration)
        if calm.ended:
            return
        self.act(
            {
                "type": "status_update",
                "audience": "public",
                "state": "monitoring",
                "impact": "Requests succeed again.",
                "action": "We are monitoring.",
                "next_update_min": 15,
            }
        )
        self.p.wait(min(600.0, max(0.0, duration - self.p.now - 120.0)))
        self.act(
            {
                "type": "status_update",
                "audience": "public",
                "state": "resolved",
                "impact": "Service has been normal for several minutes.",
                "action": "Resolved; a postmortem will follow.",
            }
        )

    def suspects(self, obs: Observation) -> list[str]:
        """Services named by the firing alerts' metrics, else every service."""
        names = [s["name"] for s in self.facts["services"]]
        metric = {a["name"]: a["metric"] for a in self.facts["alerts"]}
        hit = [n for n in names if any(metric.get(a, "").startswith(n + ".") for a in obs.alerts)]
        return hit or names

    def investigate(self, suspects: list[str]) -> dict[str, str]:
        """Look at each suspect's pods and logs; return outlier pods by service."""
        outliers: dict[str, str] = {}
        for svc in suspects:
            rows = self.result({"type": "view_dashboard", "service": svc, "breakdown": "pod"})
            errs = sorted(
                ((r.get("err_5xx_pct", 0.0), n) for n, r in rows.get("rows", {}).items()),
                reverse=True,
            )
            if len(errs) > 2 and errs[0][0] >= 20 and errs[0][0] > 3 * max(errs[1][0], 1.0):
                outliers[svc] = errs[0][1]
            self.act({"type": "read_logs", "service": svc})
        return outliers

    def mitigate(self, suspects: list[str], outliers: dict[str, str]) -> None:
        """The first matching rule: recent flag, recent deploy, outlier pod, the data tier."""
        changes = self.result({"type": "list_changes"}).get("changes", [])
        recent = [c for c in changes if c.get("at", -1) >= 0]
        for c in reversed(recent):
            m = re.match(r"flag (\S+) set to (True|False)", c.get("summary", ""))
            if c["kind"] == "flag" and m:
                self.act({"type": "set_flag", "flag": m.group(1), "enabled": m.group(2) != "True"})
                return
        for c in reversed(recent):
            svc = c.get("service")
            if c["kind"] in ("deploy", "config") and svc:
                verdict = self.result({"type": "check_migration", "service": svc}).get(
                    "verdict", ""
                )
                if "unsafe" in verdict:
                    self.act({"type": "forward_fix", "service": svc, "summary": "fix forward"})
                else:
                    self.act({"type": "rollback", "service": svc})
                return
        for svc, pod in outliers.items():
            self.act({"type": "drain_pod", "service": svc, "pod": pod})
            return
        for db in self.facts["databases"]:
            info = self.result({"type": "inspect_database", "database": db})
            if info.get("long_running_transactions"):
                self.act({"type": "kill_query", "database": db})
                return
        for topic in self.facts["topics"]:
            q = self.result({"type": "inspect_queue", "topic": topic})
            if q.get("stuck_partitions"):
                self.act({"type": "skip_poison", "topic": topic})
                return
            if q.get("consumer_lag", 0) > 0 and q.get("consumers", 0) < q.get("partitions", 0):
                self.act({"type": "scale_consumers", "topic": topic, "consumers": q["partitions"]})
                return
        for dep in self.facts["dependencies"]:
            d = self.result({"type": "inspect_dependency", "dependency": dep})
            slow = d.get("latency_ms", 0) >= d.get("timeout_ms", float("inf"))
            if d.get("breaker") == "closed" and (d.get("error_pct", 0) >= 20 or slow):
                self.act({"type": "set_breaker", "dependency": dep, "state": "open"})
                return


def runbook(player: Player, ctx: RunContext) -> None:
    """A rule-based runbook: command, look, mitigate by the first matching rule, tell customers."""
    _Runbook(player).play()


BASELINES: dict[str, Agent] = {
    "do-nothing": do_nothing,
    "random": random_agent,
    "runbook": runbook,
}
