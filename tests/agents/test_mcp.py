"""The MCP server: a real SDK client over stdio plays a library scenario to its grade."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from mcp import Client, StdioServerParameters

from agents.mcpserver import Desk, build_server
from server.cli import main

from .plans import AGENT, PLAN, SCENARIO, THINK, script_yaml, worst_pod

FIREDRILL = str(Path(sys.executable).parent / "firedrill")


def _json(result: Any) -> Any:
    assert not result.is_error, result.content[0].text
    return json.loads(result.content[0].text)


async def _play(client: Client) -> dict[str, Any]:
    started = _json(
        await client.call_tool(
            "start_drill", {"scenario": SCENARIO, "seed": 0, "agent": AGENT, "think_seconds": THINK}
        )
    )
    assert started["observation"]["t"] == 0.0
    obs = started["observation"]
    while obs["page_at"] is None:
        obs = _json(await client.call_tool("wait", {"seconds": 30}))
    page = obs["page_at"]
    rows: dict[str, Any] = {}
    for offset, action in PLAN:
        wait = page + offset - obs["t"] - THINK
        obs = _json(await client.call_tool("wait", {"seconds": wait}))
        args = {k: v for k, v in action.items() if k != "type"}
        if args.get("pod") == "$worst_pod":
            args["pod"] = worst_pod(rows)
        acted = _json(await client.call_tool(action["type"], args))
        assert acted["t"] == pytest.approx(page + offset)
        if action["type"] == "view_dashboard":
            rows = acted["result"]["rows"]
        obs = {"t": acted["t"]}
    return _json(await client.call_tool("finish", {}))


async def test_stdio_client_plays_to_the_same_grade_as_the_decision_script(
    tmp_path: Path,
) -> None:
    """`firedrill mcp` over stdio, driven by the SDK client, grades like `firedrill run --script`."""
    params = StdioServerParameters(command=FIREDRILL, args=["mcp"])
    async with Client(params) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert {"start_drill", "observe", "wait", "finish", "drain_pod", "rollback"} <= names
        finished = await _play(client)

    script = tmp_path / "plan.yaml"
    script.write_text(script_yaml())
    out = tmp_path / "run.json"
    r = CliRunner().invoke(main, ["run", SCENARIO, "--script", str(script), "--json", str(out)])
    assert r.exit_code in (0, 1), r.output
    ran = json.loads(out.read_text())
    assert finished["grade"] == ran["grade"]
    assert finished["log_sha256"] == ran["log"]["digest"]
    assert finished["actions"] == len(PLAN) and finished["refused"] == []
    assert finished["postmortem"].startswith("# ")


async def test_refused_action_is_a_tool_error_with_the_engine_message() -> None:
    """A bad target or a missing argument comes back as a tool error saying what is valid."""
    async with Client(build_server(Desk())) as client:
        before = await client.call_tool("observe", {})
        assert before.is_error and before.content[0].text == "no drill yet: call start_drill first"
        _json(await client.call_tool("start_drill", {"scenario": SCENARIO}))
        bad = await client.call_tool("rollback", {"service": "api-gw"})
        assert bad.is_error
        assert bad.content[0].text == "unknown service 'api-gw'; valid: api-gateway"
        missing = await client.call_tool("drain_pod", {"service": "api-gateway"})
        assert (
            missing.content[0].text == "drain_pod: `pod` is required; drain_pod takes: service, pod"
        )
        typed = await client.call_tool("chat", {"type": "inject", "id": "x"})
        assert typed.content[0].text == "chat: `type` is not a parameter of chat"
        nope = await client.call_tool("inject", {"id": "x"})
        assert nope.is_error and nope.content[0].text.startswith("unknown tool 'inject'")
        unknown = await client.call_tool("start_drill", {"scenario": "nope"})
        assert unknown.content[0].text.startswith("unknown scenario 'nope'; available: ")
        extra = await client.call_tool("wait", {"seconds": 1, "until": "page"})
        assert extra.content[0].text == "wait: unknown argument(s) until; wait takes: seconds"
        too_long = await client.call_tool("wait", {"seconds": 99999})
        assert too_long.content[0].text == "wait takes 0 to 3600 seconds (got 99999.0)"
        finished = _json(await client.call_tool("finish", {}))
        assert finished["refused"][0] == "unknown service 'api-gw'; valid: api-gateway"
        late = await client.call_tool("chat", {"text": "hello"})
        assert late.content[0].text == "the drill has ended; no more inputs are accepted"


async def test_streamable_http_on_loopback() -> None:
    """`firedrill mcp --transport http` serves the same tools to an SDK client over HTTP."""
    import asyncio
    import socket
    import subprocess

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [FIREDRILL, "mcp", "--transport", "http", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stderr is not None
        banner = await asyncio.to_thread(proc.stderr.readline)
        assert banner.decode() == f"firedrill MCP server on http://127.0.0.1:{port}/mcp\n"
        for _ in range(200):  # the banner comes before the port is bound
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            await asyncio.sleep(0.05)
        async with Client(f"http://127.0.0.1:{port}/mcp") as client:
            started = _json(await client.call_tool("start_drill", {"scenario": SCENARIO}))
            assert started["think_seconds"] == 10.0
            obs = _json(await client.call_tool("observe", {}))
            assert obs["t"] == 10.0
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stderr:
            proc.stderr.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--transport", "http", "--host", "0.0.0.0"],
            "Invalid value for --host: '0.0.0.0' is not a loopback address; the MCP server has no authentication (pass --allow-remote to serve it anyway)",
        ),
        (["--transport", "pigeon"], "'pigeon' is not one of 'stdio', 'http'"),
        (["--think", "-5"], "-5.0 is not in the range x>=0"),
        (["--port", "70000"], "70000 is not in the range 0<=x<=65535"),
    ],
)
def test_bad_mcp_flags_are_refused(args: list[str], message: str) -> None:
    """Each bad flag exits 2 and names the problem."""
    r = CliRunner().invoke(main, ["mcp", *args])
    assert r.exit_code == 2
    assert message in " ".join(r.output.split()), r.output
