"""Every sample output in the docs is what the command shown prints today.

Regenerate after a deliberate change: ``.venv/bin/python -m tests.docs.samples``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .samples import SAMPLES, blocks, documented_commands, pages, scratch

REGEN = "regenerate with: .venv/bin/python -m tests.docs.samples"


@pytest.mark.parametrize("page", pages())
def test_sample_outputs_are_current(page: str, tmp_path: Path) -> None:
    """Each marked block equals fresh output of its sample."""
    written = blocks(page)
    cwd = scratch(page, tmp_path)
    for name, sample in SAMPLES.items():
        if sample.page == page:
            assert name in written, f"{page} has no <!-- sample: {name} --> block"
            assert written[name] == sample.make(cwd), f"{page}: sample {name} is stale; {REGEN}"


def test_every_marked_block_is_a_known_sample() -> None:
    """A marker naming no sample would never be checked."""
    root = Path(__file__).resolve().parents[2]
    pages_ = [
        root / "README.md",
        root / "scenarios" / "README.md",
        *sorted((root / "docs").glob("*.md")),
    ]
    unknown = [
        f"{p.name}: {n}"
        for p in pages_
        for n in blocks(str(p.relative_to(root)))
        if n not in SAMPLES or SAMPLES[n].page != str(p.relative_to(root))
    ]
    assert unknown == []


ROOT = Path(__file__).resolve().parents[2]
COMMAND_PAGES = [
    "README.md",
    "scenarios/README.md",
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md")),
]


@pytest.mark.parametrize("page", COMMAND_PAGES)
def test_documented_firedrill_commands_parse(
    page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every `firedrill` line of the page's sh blocks is accepted by the CLI as written
    (run where the runbook the examples name exists)."""
    from server.cli import main

    monkeypatch.chdir(scratch(page, tmp_path))
    (tmp_path / "runbooks").mkdir()
    (tmp_path / "runbooks" / "kafka-lag.yaml").write_text("steps: []\n")

    commands = documented_commands(page)
    assert commands or page not in ("README.md", "docs/ci.md", "docs/server.md", "docs/tabletop.md")
    for argv in commands:
        cmd = main.commands[argv[0]]
        cmd.make_context(argv[0], argv[1:])  # raises a UsageError on a bad flag or value
