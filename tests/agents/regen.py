"""Regenerate the leaderboard in docs/agents.md: ``python -m tests.agents.regen``.

Runs ``firedrill eval`` on the three baselines over the whole library with 3
seeds (2 worker processes), replaces the block between the markers with its
Markdown, and the timing line with the wall time it took here.
tests/agents/test_docs.py runs the same evaluation and diffs the block. Run
this after a deliberate change to grading, the world model, the scenarios or
the baselines, and review the diff.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "agents.md"
EVAL_ARGS = ["eval", "--seeds", "3", "--jobs", "2"]
BOARD = re.compile(r"(<!-- leaderboard -->\n)(.*?)(<!-- /leaderboard -->)", re.S)
TOOK = re.compile(r"(<!-- took -->)(.*?)(<!-- /took -->)", re.S)


def board_block(doc: str) -> str:
    """The leaderboard Markdown stored in the doc."""
    m = BOARD.search(doc)
    if m is None:
        raise SystemExit(f"{DOC}: no <!-- leaderboard --> block")
    return m.group(2)


def main() -> None:
    exe = Path(sys.executable).parent / "firedrill"
    with tempfile.TemporaryDirectory() as tmp:
        md = Path(tmp) / "board.md"
        started = time.monotonic()
        subprocess.run([str(exe), *EVAL_ARGS, "--md", str(md)], check=True, cwd=ROOT)
        took = time.monotonic() - started
        board = md.read_text(encoding="utf-8")
    doc = DOC.read_text(encoding="utf-8")
    board_block(doc)
    doc = BOARD.sub(lambda m: m.group(1) + board + m.group(3), doc)
    line = f"`firedrill {' '.join(EVAL_ARGS)}` took {took:.0f} s of wall time"
    doc = TOOK.sub(lambda m: m.group(1) + line + m.group(3), doc)
    DOC.write_text(doc, encoding="utf-8")
    print(f"{DOC.relative_to(ROOT)}: leaderboard regenerated ({took:.1f} s)")


if __name__ == "__main__":
    main()
