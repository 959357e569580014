"""Fixtures: a real `firedrill serve` on a free loopback port and a real headless Chromium.

Chromium comes from Debian (`apt-get install chromium`), not from `playwright install`;
without /usr/bin/chromium (or $FIREDRILL_CHROMIUM) the test modules skip themselves
(see NO_BROWSER).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

CHROMIUM = Path(os.environ.get("FIREDRILL_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-results" / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}

NO_BROWSER = (
    None
    if CHROMIUM.exists()
    else f"no Chromium at {CHROMIUM}: install it with `apt-get install chromium` "
    "(or set FIREDRILL_CHROMIUM) to run the browser tests"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`firedrill serve` in a child process; yields its base URL."""
    tmp = tmp_path_factory.mktemp("web")
    port = _free_port()
    exe = Path(sys.executable).parent / "firedrill"
    log = (tmp / "serve.log").open("wb")
    proc = subprocess.Popen(
        [
            str(exe),
            "serve",
            "--port",
            str(port),
            "--db",
            str(tmp / "firedrill.db"),
            "--log-level",
            "warning",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    try:
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"firedrill serve did not start: {(tmp / 'serve.log').read_text()}"
                )
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="module")  # the sync API marks a loop running: end it with the module
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


class Pages:
    """Browser contexts (one per person) whose pages record script errors."""

    def __init__(self, browser: Any) -> None:
        self.browser = browser
        self.contexts: list[Any] = []
        self.errors: list[str] = []
        # failed WebSocket handshakes while a test holds the page offline are expected
        self.allowed = ["ERR_INTERNET_DISCONNECTED"]

    def allow(self, text: str) -> None:
        """Expect console errors containing ``text`` (e.g. a 401 the test provokes)."""
        self.allowed.append(text)

    def __call__(self, who: str) -> Any:
        ctx = self.browser.new_context(viewport=VIEWPORT, accept_downloads=True)
        self.contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(15_000)
        page.on("pageerror", lambda exc: self.errors.append(f"{who}: {exc}"))
        page.on("console", lambda m: self._console(who, m))
        return page

    def _console(self, who: str, msg: Any) -> None:
        if msg.type == "error" and not any(a in msg.text for a in self.allowed):
            self.errors.append(f"{who} console: {msg.text}")

    def close(self) -> None:
        for ctx in self.contexts:
            ctx.close()


@pytest.fixture
def pages(browser: Any) -> Iterator[Pages]:
    """``pages("alice")``: a fresh page in its own browser context; script errors fail the test."""
    p = Pages(browser)
    yield p
    p.close()
    assert not p.errors, "errors in the page:\n" + "\n".join(p.errors)


@pytest.fixture(scope="session")
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS
