"""docs/agents.md's leaderboard is what `firedrill eval` prints today."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from agents.actions import PLAYER_ACTIONS
from server.cli import main

from .regen import DOC, EVAL_ARGS, board_block


def test_docs_leaderboard_is_todays(tmp_path: Path) -> None:
    """The stored block equals a fresh evaluation (regenerate: python -m tests.agents.regen)."""
    md = tmp_path / "board.md"
    r = CliRunner().invoke(main, [*EVAL_ARGS, "--md", str(md)])
    assert r.exit_code == 0, r.output
    fresh = md.read_text(encoding="utf-8")
    assert board_block(DOC.read_text(encoding="utf-8")) == fresh, (
        "docs/agents.md's leaderboard is stale: run python -m tests.agents.regen"
    )


def test_docs_count_the_action_tools() -> None:
    """The tool table's count of action tools is the number the MCP server registers."""
    assert f"({len(PLAYER_ACTIONS)} tools, one per player row" in DOC.read_text(encoding="utf-8")
