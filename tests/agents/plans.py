"""A scripted agent's plan, and the decision script that makes the same moves."""

from __future__ import annotations

from typing import Any

SCENARIO = "gateway-bad-pod"
AGENT = "claude-ic"
THINK = 10.0
# (seconds after the page, action); "$worst_pod" is read off the last pod breakdown.
PLAN: list[tuple[int, dict[str, Any]]] = [
    (60, {"type": "take_command"}),
    (80, {"type": "declare_incident", "severity": "SEV2", "summary": "gateway 502s"}),
    (90, {"type": "assign_role", "person": "sam", "role": "comms"}),
    (100, {"type": "view_dashboard", "service": "api-gateway", "breakdown": "pod"}),
    (120, {"type": "drain_pod", "service": "api-gateway", "pod": "$worst_pod"}),
    (
        150,
        {
            "type": "status_update",
            "audience": "public",
            "state": "identified",
            "impact": "About 12% of API requests failed.",
            "next_update_min": 15,
        },
    ),
    (
        600,
        {
            "type": "status_update",
            "audience": "public",
            "state": "resolved",
            "impact": "The API works normally again.",
        },
    ),
]


def script_yaml() -> str:
    """The plan as a decision script: same actor, same moments, same inputs."""
    import yaml

    steps = [{"at": f"page+{off}s", "as": AGENT, "do": a["type"], **_params(a)} for off, a in PLAN]
    return yaml.safe_dump({"name": "scripted-agent", "steps": steps}, sort_keys=False)


def _params(action: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in action.items() if k != "type"}


def worst_pod(rows: dict[str, dict[str, Any]]) -> str:
    """The pod with the highest 5xx rate (pods out of rotation rank last), as a person reads it."""
    return max((r.get("err_5xx_pct", -1.0), name) for name, r in rows.items())[1]


def play_plan(player: Any, ctx: Any = None) -> None:
    """The plan through the Player interface (a Python-callable agent for `firedrill eval`)."""
    while player.observe().page_at is None:
        player.wait(30)
    page = player.observe().page_at
    rows: dict[str, Any] = {}
    for offset, action in PLAN:
        player.wait(max(0.0, page + offset - player.now - player.think))
        if action.get("pod") == "$worst_pod":
            action = {**action, "pod": worst_pod(rows)}
        acted = player.act(action)
        if action["type"] == "view_dashboard":
            rows = acted.result["rows"]
