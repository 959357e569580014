"""Every relative link in the Markdown docs points at a file (and heading) that exists, and
every file the prose names is one a reader of the repository has."""

from __future__ import annotations

import functools
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [
    ROOT / "README.md",
    ROOT / "CONTRIBUTING.md",
    ROOT / "scenarios" / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    return {slug(m) for m in re.findall(r"^#+ (.+)$", text, flags=re.M)}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(page: Path) -> None:
    broken = []
    for target in LINK.findall(re.sub(r"```.*?```", "", page.read_text(), flags=re.S)):
        if re.match(r"[a-z]+:", target):
            continue  # http(s), mailto: not checked offline
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists():
            broken.append(f"{target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            broken.append(f"{target}: no heading #{anchor}")
    assert broken == []


FILE_REF = re.compile(
    r"(?<![\w/.$<-])((?:[\w-]+/)*[\w-][\w.-]*\.(?:md|py|yaml|yml|json|jsonl|js|toml|txt|sh|css|html))\b"
)
# Product background notes kept beside the repository, not in it: a reader cannot open them.
OUTSIDE = re.compile(r"\b(?:DOMAIN|INCIDENTS|DESIGN|STYLE|PERFORMANCE)(?:\.md)?\b")


@functools.cache
def repository_files() -> frozenset[str]:
    """Every file of the repository (tracked, or new and not ignored), by relative path."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return frozenset(listed.splitlines())


def in_repository(page: Path, ref: str) -> bool:
    """``ref`` is a path from the root, the page or docs/, or the end of a path (a page
    may name ``test_resume.py`` in a sentence about tests/server/)."""
    places = (ROOT / ref, page.parent / ref, ROOT / "docs" / ref)
    return any(p.exists() for p in places) or any(f.endswith("/" + ref) for f in repository_files())


def missing_files(page: Path, text: str) -> list[str]:
    """Files ``text`` (the page ``page``) names in its prose that no reader could open: not
    in the repository, not declared on the page (``<!-- file: X -->``), not a file the
    reader names in a command (after a ``--flag``, in a backticked ``firedrill`` command, or
    in a command block of the page)."""
    declared = set(re.findall(r"<!-- file: (\S+) -->", text))
    commands = " ".join(re.findall(r"^```(?:sh|console)\n(.*?)^```", text, re.S | re.M))
    prose = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    out = [f"{m.group(0)}: kept outside the repository" for m in OUTSIDE.finditer(prose)]
    for m in FILE_REF.finditer(prose):
        ref = m.group(1)
        before = prose[: m.start()]
        after_flag = re.search(r"--[\w-]+[ =]$", before) or re.search(r"`firedrill [^`]*$", before)
        if in_repository(page, ref) or ref in declared or after_flag or ref in commands:
            continue
        out.append(f"{ref}: no such file")
    return out


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_prose_names_only_files_in_the_repository(page: Path) -> None:
    """A file named in the text (not only in links) is one a reader of the repository has."""
    assert missing_files(page, page.read_text(encoding="utf-8")) == []


def test_a_file_outside_the_repository_is_caught() -> None:
    """The check is not a yes-machine: an outside note, a missing file and a typo fail."""
    page = ROOT / "docs" / "x.md"
    text = "See DOMAIN.md, docs/nowhere.md and engine/scenari.py; `--log out.jsonl` is yours.\n"
    assert missing_files(page, text) == [
        "DOMAIN.md: kept outside the repository",
        "DOMAIN.md: no such file",
        "docs/nowhere.md: no such file",
        "engine/scenari.py: no such file",
    ]
