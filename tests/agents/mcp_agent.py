"""An MCP client agent for `firedrill eval --agent mcp:...`: plays plans.PLAN over HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from mcp import Client

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.agents.plans import AGENT, PLAN, THINK, worst_pod


async def call(client: Client, name: str, args: dict[str, Any]) -> Any:
    result = await client.call_tool(name, args)
    if result.is_error:
        raise SystemExit(f"{name}: {result.content[0].text}")
    return json.loads(result.content[0].text)


async def main() -> None:
    async with Client(os.environ["FIREDRILL_MCP_URL"]) as client:
        start = {
            "scenario": os.environ["FIREDRILL_SCENARIO"],
            "seed": int(os.environ["FIREDRILL_SEED"]),
            "agent": AGENT,
            "think_seconds": THINK,
        }
        obs = (await call(client, "start_drill", start))["observation"]
        while obs["page_at"] is None:
            obs = await call(client, "wait", {"seconds": 30})
        page, now, rows = obs["page_at"], obs["t"], {}
        for offset, action in PLAN:
            await call(client, "wait", {"seconds": max(0.0, page + offset - now - THINK)})
            args = {k: v for k, v in action.items() if k != "type"}
            if args.get("pod") == "$worst_pod":
                args["pod"] = worst_pod(rows)
            acted = await call(client, action["type"], args)
            now = acted["t"]
            if action["type"] == "view_dashboard":
                rows = acted["result"]["rows"]


if __name__ == "__main__":
    asyncio.run(main())
