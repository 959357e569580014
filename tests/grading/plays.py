"""Plays derived from a strong reference play, for calibration and property tests.

Each function takes the strong play's steps (``helpers.steps_of``) and returns
another play: the same moves without their looks (blind), with every claim
made false, with every text replaced by an empty word, without any
mitigation, or laid out on the interview model answer's timeline (command
0-5 min, blast radius 5-15, mitigate 15-25, communicate 25-30) with claims
read off the simulation so that they are true.
"""

from __future__ import annotations

from typing import Any

from engine.grading import rubric as R
from engine.grading.timeline import Timeline
from engine.inputs import CATEGORY
from engine.script import at_seconds
from tests.grading.helpers import run, scenario

Steps = list[dict[str, Any]]
TEXT_FIELDS = ("impact", "action", "text", "scope", "summary", "question")
COMMAND = ("take_command", "declare_incident", "assign_role", "page_team", "chat", "decide")
# How a status update names a mitigation under way (read by engine/grading/claims.py).
SAYS: dict[str, str] = {
    "rollback": "we rolled back the release",
    "forward_fix": "we are deploying a fix",
    "set_flag": "we turned the feature flag off",
    "set_breaker": "we opened the circuit breaker",
    "drain_pod": "we drained the failing pod",
    "undrain_pod": "we drained the failing pod",
    "scale": "we added pods",
    "scale_consumers": "we are adding consumers",
    "throttle_producer": "we are throttling the producer",
    "skip_poison": "we moved the poison messages to the dead-letter topic",
    "restart": "we restarted the service",
    "failover": "we failed over the database",
    "kill_query": "we killed the blocking query",
    "shed_load": "we are shedding load",
    "rotate_certificate": "we rotated the expired certificate",
    "restore_record": "we republished the missing DNS record",
    "set_retries": "we turned retries down",
    "evacuate_region": "we evacuated the failing region",
    "reroute": "we rerouted the calls to the other region",
    "rollback_config": "we rolled back the config",
    "halt_config_push": "we halted the config push",
    "pause_autoscaler": "we paused the autoscaler",
    "cap_autoscaler": "we capped the autoscaler",
    "request_quota_raise": "we asked the provider to raise our quota",
    "warm_cache": "we warmed the cache",
    "set_coalescing": "we turned on request coalescing",
    "free_resource": "we freed disk space",
    "raise_limit": "we raised the memory limit",
    "set_timeout": "we lowered the timeout",
    "rate_limit": "we rate limited the mobile client",
}


def when(step: dict[str, Any]) -> float:
    return at_seconds(step["at"])[1]


def _at(step: dict[str, Any], seconds: float) -> dict[str, Any]:
    return {**step, "at": f"page+{seconds:g}s"}


def blind(scenario_id: str, steps: Steps) -> Steps:
    """The same play without a single detail look (a pod found by a look is named)."""
    found = iter(
        e.data["pod"]
        for e in run(scenario_id, steps)
        if e.type == "input" and e.data.get("type") in ("drain_pod", "undrain_pod")
    )
    out = []
    for s in steps:
        if s["do"] in R.DETAILS:
            continue
        out.append({**s, "pod": next(found)} if s.get("pod") == "$worst_pod" else s)
    return out


def silent_mitigation(steps: Steps) -> Steps:
    """The same play, every word of it, but no mitigation at all."""
    return [s for s in steps if CATEGORY[s["do"]] != "mitigate"]


def empty_texts(steps: Steps) -> Steps:
    """Every free text replaced by "ok"; structured fields stay."""
    return [{k: ("ok" if k in TEXT_FIELDS and v else v) for k, v in s.items()} for s in steps]


def false_claims(steps: Steps) -> Steps:
    """Every statement made false: shares far off, trends and data states flipped,
    updates claiming actions nobody took and shares nobody saw."""
    out = []
    for s in steps:
        if s["do"] == "state_impact":
            said = float(s["users_pct"])
            s = {
                **s,
                "users_pct": 95 if said < 45 else 2,
                "trend": "falling" if s["trend"] == "rising" else "rising",
                "data": "corrupted" if s["data"] != "corrupted" else "intact",
                "scope": "",
            }
        elif s["do"] == "status_update":
            s = {
                **s,
                "impact": "About 95% of users are affected and their data is corrupted.",
                "action": "We failed over the database and rolled back every service.",
                "text": "",
            }
        out.append(s)
    return out


def textbook(scenario_id: str, steps: Steps) -> Steps:
    """The strong play's moves on the model answer's timeline, its claims re-read from
    the simulation at the moment they are made (so that they are true)."""
    command = [s for s in steps if s["do"] in COMMAND]
    looks = [s for s in steps if CATEGORY[s["do"]] == "investigate"]
    mits = [s for s in steps if CATEGORY[s["do"]] == "mitigate"]
    plan: Steps = []
    plan += [_at(s, 15 + i * 255 / max(1, len(command))) for i, s in enumerate(command)]
    plan += [_at(s, 300 + i * 480 / max(1, len(looks))) for i, s in enumerate(looks)]
    if mits:
        first = when(mits[0])
        span = max(1.0, when(mits[-1]) - first)
        squeeze = min(1.0, 540.0 / span)
        plan += [_at(s, 915 + (when(s) - first) * squeeze) for s in mits]
    plan.sort(key=when)
    tl = Timeline(scenario(scenario_id), list(run(scenario_id, plan)))
    page = tl.anchor.t
    rb = R.resolve(tl.scenario.grading)
    t_state = page + 840
    users = tl.users(t_state)
    trend = tl.trends(t_state, rb.w("trend"))[0]
    plan.append(
        {
            "at": "page+840s",
            "as": "alex",
            "do": "state_impact",
            "users_pct": round(users),
            "trend": trend,
            "data": tl.data_state(t_state),
        }
    )
    done = list(dict.fromkeys(s["do"] for s in mits))
    action = "; ".join(SAYS[d] for d in done) or "we are investigating"
    # Updates at page+26m and 27m, or in the drill's last minutes if it ends before.
    last = tl.end_t - page - 240.0
    for offset, audience in ((min(1560.0, last), "public"), (min(1620.0, last + 60), "executive")):
        t = page + offset
        now = tl.users(t)
        peak = max((s.values.get(R_USERS, 0.0) for s in tl.samples if s.t <= t), default=0.0)
        over = not tl.harm_at(t, rb.threshold)
        impact = (
            f"About {round(peak)}% of users were affected at the peak in the last few minutes"
            if over
            else f"About {round(now)}% of users are affected"
        )
        plan.append(
            {
                "at": f"page+{offset}s",
                "as": "sam",
                "do": "status_update",
                "audience": audience,
                "state": "monitoring" if over else "identified",
                "impact": impact + ".",
                "action": action[:1].upper() + action[1:] + ".",
                "next_update_min": 15,
            }
        )
    return sorted(plan, key=when)


R_USERS = "business.users_affected_pct"
