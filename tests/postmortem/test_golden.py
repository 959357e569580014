"""Stored postmortems stay byte-stable; regenerate deliberately with one command."""

from __future__ import annotations

import pytest

from engine.postmortem import postmortem, postmortem_markdown

from .runs import (
    EXAMPLE,
    REGEN,
    TEMPLATE_RUN,
    draft,
    events,
    expected_files,
    golden_path,
    grade,
    runs,
    scenario,
)


def _compare(path, text: str) -> None:
    assert path.exists(), f"missing golden {path.name}; run `{REGEN}`"
    stored = path.read_text(encoding="utf-8")
    if stored != text:
        old, new = stored.splitlines(), text.splitlines()
        first = next(
            (i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b),
            min(len(old), len(new)),
        )
        got = new[first] if first < len(new) else "<end of file>"
        want = old[first] if first < len(old) else "<end of file>"
        pytest.fail(
            f"{path.name} differs at line {first + 1}:\n  stored: {want}\n"
            f"  now:    {got}\nIf the change is deliberate, run `{REGEN}`."
        )


@pytest.mark.parametrize(("scenario_id", "script"), runs())
def test_markdown_matches_golden(scenario_id: str, script: str) -> None:
    """Each library run's postmortem equals its stored Markdown."""
    _compare(golden_path(scenario_id, script), postmortem_markdown(draft(scenario_id, script)))


def test_every_stored_file_is_current() -> None:
    """Template, JSON and docs example goldens are current; no orphan golden files."""
    files = expected_files()
    for path, text in files.items():
        _compare(path, text)
    orphans = [
        p
        for p in golden_path(*TEMPLATE_RUN).parents[1].rglob("*")
        if p.is_file() and p not in files
    ]
    assert orphans == [], f"stale golden files; run `{REGEN}`"


def test_docs_example_is_a_strong_run() -> None:
    """The committed example documents a strong run with a dated draft."""
    text = EXAMPLE.read_text(encoding="utf-8")
    assert text.startswith("# Postmortem: ")
    assert "| Date | 2026-03-02 |" in text
    assert "| Status | draft |" in text
    assert "checkout-deploy-500s (seed 0" in text


def test_same_inputs_same_document() -> None:
    """A postmortem is a pure function: drafting twice gives equal bytes and dicts."""
    sid, script = TEMPLATE_RUN
    a = postmortem(scenario(sid), events(sid, script), grade(sid, script))
    b = postmortem(scenario(sid), list(events(sid, script)), grade(sid, script).to_dict())
    assert postmortem_markdown(a) == postmortem_markdown(b)
    assert a.to_dict() == b.to_dict()
