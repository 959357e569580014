"""`firedrill eval`: parallel runs to a leaderboard, byte for byte reproducible; bad flags refused."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from server.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _eval(tmp: Path, name: str, *args: str) -> tuple[bytes, bytes, str]:
    j, m = tmp / f"{name}.json", tmp / f"{name}.md"
    r = CliRunner().invoke(main, ["eval", *args, "--json", str(j), "--md", str(m)])
    assert r.exit_code == 0, r.output
    return j.read_bytes(), m.read_bytes(), r.output


def test_same_inputs_same_leaderboard_bytes(tmp_path: Path) -> None:
    """Two parallel evals of the same agents, scenarios, seeds and runs write identical files."""
    args = (
        "--agent",
        "random",
        "--agent",
        "runbook",
        "--scenario",
        "gateway-bad-pod",
        "--scenario",
        "new-checkout-flag",
        "--seeds",
        "2",
        "--runs",
        "2",
        "--jobs",
        "2",
    )
    first = _eval(tmp_path, "a", *args)
    second = _eval(tmp_path, "b", *args)
    assert first[:2] == second[:2]
    board = json.loads(first[0])
    assert [a["agent"] for a in board["agents"]] == ["runbook", "random"]
    assert len(board["runs"]) == 2 * 2 * 2 * 2
    assert board["benchmark"]["seeds"] == [0, 1] and board["benchmark"]["runs_per_seed"] == 2
    assert set(board["scenarios"]) == {"gateway-bad-pod", "new-checkout-flag"}
    # the random agent's two runs of a seed are different plays; the runbook's are the same
    digests = {}
    for r in board["runs"]:
        digests.setdefault((r["agent"], r["scenario"], r["seed"]), set()).add(r["log_sha256"])
    assert all(len(d) == 2 for (a, _, _), d in digests.items() if a == "random")
    assert all(len(d) == 1 for (a, _, _), d in digests.items() if a == "runbook")
    runbook = board["agents"][0]["overall"]
    assert runbook["pass_at_k"] == runbook["pass_all_k"]
    assert "| agent | overall | command |" in first[1].decode()
    assert "pass@2 | pass^2 |" in first[1].decode()
    assert "16 runs in " in first[2]


def test_python_callable_and_mcp_command_agents_play_alike(tmp_path: Path) -> None:
    """The same plan as a module:attr agent and as an MCP client command: the same grade."""
    cmd = f"mcp:{sys.executable} {ROOT / 'tests' / 'agents' / 'mcp_agent.py'}"
    board = json.loads(
        _eval(
            tmp_path,
            "x",
            "--agent",
            "callable=tests.agents.plans:play_plan",
            "--agent",
            f"client={cmd}",
            "--scenario",
            "gateway-bad-pod",
            "--seeds",
            "1",
        )[0]
    )
    runs = {r["agent"]: r for r in board["runs"]}
    assert runs["client"]["error"] is None and runs["callable"]["error"] is None
    assert runs["client"]["actions"] == runs["callable"]["actions"] == 7
    assert runs["client"]["scores"] == runs["callable"]["scores"]


def crash(player: object, ctx: object) -> None:
    """An agent that fails at once."""
    raise RuntimeError("model quota exceeded")


def test_an_agent_that_raises_is_graded_as_it_left_the_drill(tmp_path: Path) -> None:
    """The error is recorded with the run, counted on the board, and the run still has a grade."""
    board = json.loads(
        _eval(
            tmp_path,
            "c",
            "--agent",
            "tests.agents.test_eval:crash",
            "--scenario",
            "gateway-bad-pod",
            "--seeds",
            "1",
            "--jobs",
            "1",
        )[0]
    )
    (run,) = board["runs"]
    assert run["error"] == "RuntimeError: model quota exceeded"
    assert run["actions"] == 0 and "overall" in run["scores"]
    assert board["agents"][0]["overall"]["errors"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--agent", "gpt"],
            "unknown agent 'gpt': give a baseline (do-nothing, random, runbook), a Python callable as module:attr, or mcp:<command>",
        ),
        (
            ["--agent", "no_such_mod:play"],
            "agent 'no_such_mod:play': cannot import 'no_such_mod': No module named 'no_such_mod'",
        ),
        (
            ["--agent", "agents.baselines:nope"],
            "agent 'agents.baselines:nope': 'agents.baselines' has no attribute 'nope'",
        ),
        (
            ["--agent", "agents.baselines:POLL_SECONDS"],
            "agent 'agents.baselines:POLL_SECONDS' is not callable",
        ),
        (["--agent", "mcp:"], "'mcp:': `mcp:` needs a command to run"),
        (
            ["--agent", "mcp:'unclosed"],
            '"mcp:\'unclosed": cannot split the command: No closing quotation',
        ),
        (["--agent", ""], "an agent spec is empty"),
        (
            ["--agent", "random", "--agent", "random"],
            "two agents are labelled 'random'; name them with label=spec",
        ),
        (["--scenario", "nope"], "unknown scenario 'nope'; available: card-network-timeouts, "),
        (["--seeds", "0"], "0 is not in the range 1<=x<=100"),
        (["--runs", "x"], "'x' is not a valid integer"),
        (["--think", "-1"], "-1.0 is not in the range x>=0"),
    ],
)
def test_bad_flags_are_refused_with_a_clear_error(args: list[str], message: str) -> None:
    """Each bad flag exits 2 naming what is wrong; nothing runs."""
    r = CliRunner().invoke(main, ["eval", *args])
    assert r.exit_code == 2
    assert message in " ".join(r.output.split()), r.output


def test_mcp_command_that_does_not_start_the_drill_is_an_error(tmp_path: Path) -> None:
    """A command that exits without start_drill stops the eval with exit 2 and says so."""
    r = CliRunner().invoke(
        main,
        [
            "eval",
            "--agent",
            f"mcp:{sys.executable} -c pass",
            "--scenario",
            "gateway-bad-pod",
            "--seeds",
            "1",
            "--jobs",
            "1",
        ],
    )
    assert r.exit_code == 2
    assert f"error: agent command {sys.executable!r} never called start_drill" in r.output
    missing = CliRunner().invoke(
        main,
        [
            "eval",
            "--agent",
            "mcp:/nonexistent/agent",
            "--scenario",
            "gateway-bad-pod",
            "--seeds",
            "1",
            "--jobs",
            "1",
        ],
    )
    assert "error: agent command not found: '/nonexistent/agent'" in missing.output
