"""Hostile player text in a postmortem or grade renders as text, never as HTML or a live link.

The Markdown goes through markdown-it with raw HTML allowed (as permissive
viewers render it) into a page real Chromium opens; and through the web
client's own renderer (web/js/markdown.js) in the same browser. A control
run without the escaping shows the page would otherwise run the script.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from markdown_it import MarkdownIt

import engine.mdtext
from engine.drill import Drill
from engine.grading import grade, grade_markdown
from engine.postmortem import postmortem, postmortem_markdown

from ..postmortem.runs import scenario
from .drillkit import Live

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium")
HOSTILE = [
    '<img src=x onerror="window.pwned.push(1)">',
    "<script>window.pwned.push(2)</script>",
    "[click me](javascript:window.pwned.push(3))",
    "[docs](https://evil.example/phish)",
    "<https://evil.example/auto>",
    "![pixel](https://evil.example/p.png)",
    "\\[escaped](https://evil.example/esc)",
    '<a href="https://evil.example/a">a</a>',
]
NAME = "eve<img src=y onerror=window.pwned.push(9)>"


def _played(scenario_id: str = "checkout-deploy-500s") -> tuple[Any, list[Any], Any]:
    """A drill whose player says every hostile thing: its scenario, log and grade."""
    sc = scenario(scenario_id)
    drill = Drill(sc, seed=1)
    drill.advance(30)
    for n, text in enumerate(HOSTILE):
        drill.advance(40 + 10 * n)
        drill.submit({"type": "chat", "text": text}, NAME)
    drill.submit({"type": "end"}, "facilitator", "facilitator")
    events = list(drill.log.events)
    return sc, events, grade(sc, events)


def _reports() -> tuple[str, str]:
    """The postmortem and grade Markdown of that drill."""
    sc, events, g = _played()
    return postmortem_markdown(postmortem(sc, events, g)), grade_markdown(g)


def _page(md: str) -> str:
    body = MarkdownIt("commonmark", {"html": True}).enable("table").render(md)
    return f"<!doctype html><meta charset=utf-8><script>window.pwned = []</script>{body}"


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield browser
        browser.close()


def _open(chromium: Any, html: str, tmp_path: Path, name: str) -> dict[str, Any]:
    path = tmp_path / f"{name}.html"
    path.write_text(html, encoding="utf-8")
    page = chromium.new_page()
    try:
        page.route(
            "**/*",
            lambda route: route.abort() if "evil" in route.request.url else route.continue_(),
        )
        page.goto(path.as_uri())
        page.wait_for_timeout(300)  # an image's onerror would have fired by now
        return page.evaluate(
            """() => ({
                pwned: window.pwned,
                links: [...document.querySelectorAll('a')].map(a => a.getAttribute('href')),
                images: document.querySelectorAll('img').length,
                scripts: document.querySelectorAll('script').length,
                text: document.body.innerText,
            })"""
        )
    finally:
        page.close()


def _assert_inert(seen: dict[str, Any], quoted: list[str]) -> None:
    assert seen["pwned"] == [] and seen["images"] == 0 and seen["scripts"] == 1, seen
    assert not [h for h in seen["links"] if "evil" in h or h.startswith("javascript")], seen
    for text in quoted:
        assert text in seen["text"], text  # shown as the player typed it


def test_hostile_player_text_is_inert_in_exported_markdown(chromium: Any, tmp_path: Path) -> None:
    """Postmortem and grade Markdown, rendered with HTML allowed: no script, image or link."""
    pm, g = _reports()
    _assert_inert(_open(chromium, _page(pm), tmp_path, "postmortem"), [*HOSTILE, NAME])
    _assert_inert(_open(chromium, _page(g), tmp_path, "grade"), [NAME])  # it quotes no chat


def test_without_the_escaping_the_same_page_runs_the_script(
    chromium: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control: unescaped, the renderer passes the HTML through and Chromium runs it."""
    monkeypatch.setattr(engine.mdtext, "inert", lambda text: text)
    pm, _ = _reports()
    seen = _open(chromium, _page(pm), tmp_path, "raw")
    assert 1 in seen["pwned"] and 9 in seen["pwned"], seen
    assert "https://evil.example/phish" in seen["links"]


def test_the_in_app_postmortem_shows_player_links_as_text(chromium: Any, live: Live) -> None:
    """web/js/markdown.js renders the served Markdown: escapes shown as text, no player link."""
    pm, _ = _reports()
    page = chromium.new_page()
    try:
        page.goto(f"{live.http}/api/health")
        seen = page.evaluate(
            """async (md) => {
                const m = await import('/static/js/markdown.js');
                const el = m.renderMarkdown(md);
                document.body.append(el);
                return {
                    links: [...el.querySelectorAll('a')].map(a => a.getAttribute('href')),
                    images: el.querySelectorAll('img').length,
                    text: el.innerText,
                };
            }""",
            pm,
        )
    finally:
        page.close()
    assert seen["images"] == 0
    assert not [h for h in seen["links"] if "evil" in h or h.startswith("javascript")], seen
    for text in HOSTILE:
        assert text in seen["text"], text


def test_the_in_app_fallback_and_its_pdf_keep_player_text_inert(chromium: Any, live: Live) -> None:
    """A postmortem served as JSON only (no `markdown`): the client builds the Markdown from raw
    player text, renders it, and prints it to PDF; no player link, image or script anywhere,
    while the scenario's own source link stays a link (in the page and in the PDF)."""
    sc, events, g = _played("cloudflare-waf-regex")
    assert sc.source is not None
    report = orjson.loads(orjson.dumps(postmortem(sc, events, g).to_dict()))
    assert HOSTILE[3] in orjson.dumps(report).decode()  # the JSON carries the text as typed
    page = chromium.new_page()
    try:
        page.route("**/*", lambda r: r.abort() if "evil" in r.request.url else r.continue_())
        page.goto(f"{live.http}/api/health")
        seen = page.evaluate(
            """async (report) => {
                window.pwned = [];
                const m = await import('/static/js/markdown.js');
                const el = m.renderMarkdown(m.postmortemMarkdown(report));
                document.body.replaceChildren(el);
                await new Promise((done) => setTimeout(done, 300));  // an onerror would fire
                return {
                    pwned: window.pwned,
                    links: [...el.querySelectorAll('a')].map(a => a.getAttribute('href')),
                    images: el.querySelectorAll('img').length,
                    scripts: el.querySelectorAll('script').length,
                    text: el.innerText,
                };
            }""",
            report,
        )
        pdf = page.pdf()
    finally:
        page.close()
    assert seen["pwned"] == [] and seen["images"] == 0 and seen["scripts"] == 0, seen
    assert seen["links"] == [sc.source.url], seen
    for text in HOSTILE:
        assert text in seen["text"], text
    assert sc.source.url.encode() in pdf  # a link in the PDF is kept as its address
    assert b"evil.example" not in pdf
