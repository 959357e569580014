"""Every sample output in the docs is what the command shown prints today.

Regenerate after a deliberate change: ``.venv/bin/python -m tests.docs.samples``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .samples import SAMPLES, blocks, pages, scratch

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
    pages_ = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    unknown = [
        f"{p.name}: {n}"
        for p in pages_
        for n in blocks(str(p.relative_to(root)))
        if n not in SAMPLES or SAMPLES[n].page != str(p.relative_to(root))
    ]
    assert unknown == []
