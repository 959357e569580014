"""Every fenced block of the docs is what it claims to be, and every command is copy-paste safe.

A block is output only as a sample (``<!-- sample: NAME -->``, made by tests/docs/samples.py)
or a file the page declares (``<!-- file: NAME -->``). Anything else is input the project
parses (a ``json`` block must be an engine input or a client frame), commands (``sh``, or a
``console`` block of ``$`` lines only), source (``yaml``, ``python``, ``nginx``) or says what
it is with a marker: ``<!-- figure -->`` (a drawing, a layout, lines typed into the browser
client), ``<!-- synopsis: COMMAND -->`` (a usage line: every ``--option`` in it is one of
``firedrill COMMAND``'s) or ``<!-- checked: PATH -->`` (the test at PATH reads the page and compares this block).
"""

from __future__ import annotations

import glob
import json
import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [
    "README.md",
    "CONTRIBUTING.md",
    "scenarios/README.md",
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md")),
]
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.S | re.M)
MARKER = re.compile(r"<!-- (sample|file|figure|synopsis|checked)(?:: (\S+))? -->\n$")
SOURCE = ("yaml", "python", "nginx")
OPERATORS = {"|", "||", "&&", ";", ">", ">>", "&", "2>", "2>&1"}  # as docs use them


def fenced(
    page: str, text: str | None = None
) -> list[tuple[int, str, str | None, str | None, str]]:
    """(line, language, marker kind, marker value, body) of every fenced block of ``page``
    (or of ``text``, read as that page)."""
    text = (ROOT / page).read_text(encoding="utf-8") if text is None else text
    out = []
    for m in FENCE.finditer(text):
        before = text[: m.start()]
        mark = MARKER.search(before[-200:])
        out.append(
            (
                before.count("\n") + 1,
                m.group(1),
                mark.group(1) if mark else None,
                mark.group(2) if mark else None,
                m.group(2),
            )
        )
    return out


def command_lines(lang: str, body: str) -> list[str]:
    """The command lines of an ``sh`` or ``console`` block (continuations joined)."""
    lines = body.replace("\\\n", " ").splitlines()
    if lang == "console":
        return [line[2:] for line in lines if line.startswith("$ ")]
    return [line for line in lines if line.strip()]


def unsafe(line: str) -> list[str]:
    """Why ``line`` would not do what it says when pasted into bash (or zsh)."""
    lexer = shlex.shlex(line, posix=False, punctuation_chars=True)
    lexer.whitespace_split = True
    words = list(lexer)
    problems = []
    for n, word in enumerate(words):
        bare = re.sub(r"'[^']*'|\"[^\"]*\"", "", word)
        if word == "<":
            problems.append("`<` reads a file: a placeholder needs a shell variable")
        elif set(word) <= set("<>|&;") and word not in OPERATORS:
            problems.append(f"`{word}` is read by the shell as an operator (quote the word)")
        elif word in (">", ">>") and n + 1 < len(words) and words[n + 1].startswith("="):
            problems.append(f"`{words[n - 1]}>{words[n + 1]}` is a redirect (quote it)")
        elif re.search(r"[*?\[]", bare) and not glob.glob(bare, root_dir=ROOT):
            problems.append(f"`{word}` is a glob that matches nothing (quote it)")
    return problems


def misfiled(page: str, text: str | None = None) -> list[str]:
    """Blocks of ``page`` that are typed output or do not say what they are."""
    from engine.errors import FiredrillError
    from engine.inputs import parse_input
    from server.cli import main
    from server.errors import BadFrame
    from server.protocol import parse_frame

    wrong = []
    for line, lang, kind, value, body in fenced(page, text):
        where = f"{page}:{line}"
        if kind in ("sample", "file", "figure"):
            continue
        if kind == "checked":
            test = ROOT / str(value)
            if not test.is_file() or Path(page).name not in test.read_text(encoding="utf-8"):
                wrong.append(f"{where}: {value} is not a test that reads {page}")
        elif kind == "synopsis":
            known = {o for p in main.commands[str(value)].params for o in p.opts}
            unknown = set(re.findall(r"--[\w-]+", body)) - known
            if unknown:
                wrong.append(f"{where}: `firedrill {value}` has no {sorted(unknown)}")
        elif lang == "json":
            try:
                parse_input(json.loads(body))
            except (FiredrillError, ValueError):
                try:
                    parse_frame(body)
                except BadFrame:
                    wrong.append(f"{where}: JSON that is no input or client frame: a sample?")
        elif lang == "console":
            output = [ln for ln in body.splitlines() if ln.strip() and not ln.startswith("$ ")]
            if output:
                wrong.append(f"{where}: output typed by hand ({output[0][:40]!r}): a sample?")
        elif lang not in ("sh", *SOURCE):
            wrong.append(f"{where}: a ```{lang} block with no marker saying what it is")
    return wrong


@pytest.mark.parametrize("page", PAGES)
def test_every_block_is_a_sample_input_or_says_what_it_is(page: str) -> None:
    """A typed block that looks like output (and is not made by a sample) fails here."""
    assert misfiled(page) == []


def test_typed_output_is_caught() -> None:
    """A hand-typed result, console output, an unmarked drawing or a wrong flag is named."""
    page = (
        '```json\n{"overall": 98}\n```\n'
        '```json\n{"type": "take_command"}\n```\n'
        "```console\n$ firedrill check\nok\n```\n"
        "```\na --> b\n```\n"
        "<!-- synopsis: run -->\n```text\nfiredrill run X [--no-such-flag]\n```\n"
        "<!-- figure -->\n```text\na --> b\n```\n"
    )
    assert [w.split(": ", 1)[0] for w in misfiled("docs/x.md", page)] == [
        "docs/x.md:1",
        "docs/x.md:7",
        "docs/x.md:11",
        "docs/x.md:15",
    ]


@pytest.mark.parametrize("page", PAGES)
def test_every_command_pastes_safely(page: str) -> None:
    """No unquoted `>=`, `<placeholder>` or unmatched glob in a command line."""
    wrong = [
        f"{page}:{line}: {problem}"
        for line, lang, _, _, body in fenced(page)
        if lang in ("sh", "console")
        for command in command_lines(lang, body)
        for problem in unsafe(command)
    ]
    assert wrong == []


def test_the_safety_check_catches_each_mistake() -> None:
    """The checker is not a yes-machine: each class of paste mistake is named."""
    assert unsafe("firedrill run x --expect mitigation>=70")
    assert unsafe("firedrill serve --public-url http://<lan-address>:8000")
    assert unsafe("pip install firedrill[gym]")
    assert unsafe("firedrill validate nothing/*.yaml")
    assert not unsafe("pip install 'firedrill[gym]'")
    assert not unsafe("firedrill run x --expect 'mitigation>=70' > out.txt")
    assert not unsafe("firedrill validate tests/malformed/*.yaml")
    inline = INLINE_OPTION.search("pass `--expect mitigation>=70` to fail below 70")
    assert inline and unsafe(inline.group(1))


INLINE_OPTION = re.compile(r"`((?:\.venv/bin/)?firedrill [^`\n]*|--[\w-]+ [^`\n]*)`")


@pytest.mark.parametrize("page", PAGES)
def test_inline_comparisons_are_quoted(page: str) -> None:
    """An option shown in the prose (`--expect 'mitigation>=70'`) is pasted too: a bare
    `>=` in it would be a redirect. (Inline synopses may keep their `<id>` placeholders.)"""
    prose = re.sub(r"^```.*?^```", "", (ROOT / page).read_text(encoding="utf-8"), flags=re.S | re.M)
    wrong = [
        f"{page}: `{m.group(1)}`: {p}"
        for m in INLINE_OPTION.finditer(prose)
        for p in unsafe(m.group(1))
        if "redirect" in p
    ]
    assert wrong == []
