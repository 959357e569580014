"""Links handed out in the browser carry the server's --public-url, not the address the
facilitator happened to open the lobby at (a LAN tabletop: docs/tabletop.md)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import NO_BROWSER, Pages, _free_port

if NO_BROWSER:
    pytest.skip(NO_BROWSER, allow_module_level=True)
expect = pytest.importorskip(
    "playwright.sync_api", reason="Playwright for Python is not installed (pip install -e '.[dev]')"
).expect


@pytest.fixture
def public_server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """`serve` on 127.0.0.1 whose public URL names it as localhost; yields both bases."""
    port = _free_port()
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "firedrill"), "serve", "--port", str(port),
         "--db", str(tmp_path / "d.db"), "--log-level", "warning",
         "--public-url", f"http://localhost:{port}"],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    try:
        assert proc.stdout.readline().startswith("firedrill is serving")
        yield f"http://127.0.0.1:{port}", f"http://localhost:{port}"
    finally:
        proc.terminate()
        proc.wait(30)
        proc.stdout.close()


def test_lobby_links_use_the_public_url_and_work(
    public_server: tuple[str, str], pages: Pages
) -> None:
    """Opened at 127.0.0.1, the lobby hands out localhost links; a player joins through one."""
    opened_at, public = public_server
    fac = pages("facilitator")
    fac.goto(opened_at + "/")
    fac.locator('[data-scenario="gateway-bad-pod"]').click()
    fac.click("#create")
    created = fac.locator(".created")
    expect(created).to_contain_text("Share the links")
    links = [created.locator(".link-row input").nth(i).input_value() for i in range(3)]
    assert [link.split("/drills/")[0] for link in links] == [public] * 3
    player = pages("alice")
    player.goto(links[0])
    player.fill("#join-name", "alice")
    player.click("#join")
    expect(player.locator(".room.role-player")).to_be_visible()
    expect(player.locator(".conn")).to_have_text("live")
