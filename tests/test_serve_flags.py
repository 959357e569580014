"""`firedrill serve` flags and ids from the command line: garbage answered clearly, the real
port printed, the port bound before drill recovery touches the store, join links from
--public-url, and a misspelled scenario id answered with the list and the nearest match."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from server.cli import main
from server.files import library_ids

ROOT = Path(__file__).resolve().parents[1]
FIREDRILL = str(Path(sys.executable).parent / "firedrill")
IDS = ", ".join(library_ids())


def post(url: str, body: dict[str, object] | None = None, token: str | None = None) -> Any:
    """POST ``body`` as JSON (with a bearer ``token``); the decoded answer. HTTPError on 4xx."""
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    data = json.dumps(body or {}).encode()
    req = urllib.request.Request(url, data=data, headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def usage_error(*args: str) -> str:
    """The last stderr line of ``firedrill serve ARGS`` run in-process (exit 2 asserted)."""
    r = CliRunner().invoke(main, ["serve", *args])
    assert r.exit_code == 2, r.output
    return r.output.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "10.0.0.5:8000",
            "'10.0.0.5:8000' is not an http(s) URL with a host, e.g. http://192.168.1.20:8000",
        ),
        (
            "ftp://10.0.0.5",
            "'ftp://10.0.0.5' is not an http(s) URL with a host, e.g. http://192.168.1.20:8000",
        ),
        ("http://", "'http://' is not an http(s) URL with a host, e.g. http://192.168.1.20:8000"),
        ("", "'' is not an http(s) URL with a host, e.g. http://192.168.1.20:8000"),
        (
            "http://10.0.0.5:port",
            "'http://10.0.0.5:port' is not a URL (Port could not be cast to integer value as 'port')",
        ),
        (
            "http://10.0.0.5:99999",
            "'http://10.0.0.5:99999' is not a URL (Port out of range 0-65535)",
        ),
        (
            "http://10.0.0.5:8000/?code=1",
            "'http://10.0.0.5:8000/?code=1': give scheme, host, port and path only",
        ),
        ("http://me:pw@10.0.0.5", "'http://me:pw@10.0.0.5': give scheme, host, port and path only"),
    ],
)
def test_a_bad_public_url_is_a_usage_error(value: str, message: str) -> None:
    """Every malformed --public-url is refused before anything starts, saying why."""
    assert (
        usage_error("--public-url", value) == f"Error: Invalid value for '--public-url': {message}"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1", "-1 is not in the range 0<=x<=65535."),
        ("65536", "65536 is not in the range 0<=x<=65535."),
        ("eighty", "'eighty' is not a valid integer range."),
    ],
)
def test_a_bad_port_is_a_usage_error(value: str, message: str) -> None:
    """--port outside 0-65535 or not a number: exit 2 with the range."""
    assert usage_error("--port", value) == f"Error: Invalid value for '--port': {message}"


def test_reload_with_any_free_port_is_refused() -> None:
    """--reload binds anew in each child, so --port 0 cannot name one port: refused."""
    assert usage_error("--reload", "--port", "0") == (
        "Error: --reload needs a fixed --port (the reloader binds it anew)"
    )


@pytest.mark.parametrize("host", ["999.999.1.1", "not a host!"])
def test_a_host_that_is_not_an_address_of_this_machine_is_a_clear_error(
    tmp_path: Path, host: str
) -> None:
    """An unresolvable --host fails before the store is opened, naming the flag."""
    db = tmp_path / "drills.db"
    r = CliRunner().invoke(main, ["serve", "--host", host, "--port", "0", "--db", str(db)])
    assert r.exit_code == 1
    assert r.output.startswith(f"Error: cannot listen on {host} port 0: ")
    assert r.output.rstrip().endswith(
        "; --host must be an address of this machine, e.g. 127.0.0.1 or 0.0.0.0"
    )
    assert not db.exists()


def test_a_busy_port_fails_before_recovery_touches_the_store(tmp_path: Path) -> None:
    """A second server on a taken port exits 1 and never creates (or recovers) its database."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        db = tmp_path / "drills.db"
        r = subprocess.run(
            [FIREDRILL, "serve", "--port", str(port), "--db", str(db)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert r.returncode == 1
    assert r.stderr == (
        f"Error: cannot listen on 127.0.0.1 port {port}: Address already in use; "
        "another server is listening there: pick another --port (0: any free one)\n"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def lan_server(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    """`serve --port 0 --public-url http://192.0.2.10:8000`; yields its URL and banner lines."""
    proc = subprocess.Popen(
        [FIREDRILL, "serve", "--port", "0", "--db", str(tmp_path / "d.db"),
         "--public-url", "http://192.0.2.10:8000", "--log-level", "warning"],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    try:
        banner = [proc.stdout.readline().rstrip("\n"), proc.stdout.readline().rstrip("\n")]
        m = re.match(r"firedrill is serving (http://127\.0\.0\.1:(\d+)/)", banner[0])
        assert m, banner
        yield m.group(1), banner
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        proc.stdout.close()


def test_port_zero_prints_the_port_it_got_and_links_use_the_public_url(
    lan_server: tuple[str, list[str]],
) -> None:
    """The banner names the real port; a new drill's links carry the public address."""
    url, banner = lan_server
    port = int(url.rsplit(":", 1)[1].rstrip("/"))
    assert port != 0
    assert banner == [
        f"firedrill is serving {url}  (API docs {url}docs; db {banner[0].split('db ')[1]}",
        "join links point at http://192.0.2.10:8000/",
    ]
    body = post(f"{url}api/drills", {"scenario": "gateway-bad-pod"})
    drill, urls = body["drill_id"], body["urls"]
    assert urls == {
        "facilitator": f"http://192.0.2.10:8000/drills/{drill}/facilitate#token={body['facilitator_token']}",
        "player_join": f"http://192.0.2.10:8000/drills/{drill}/join#code={body['player_code']}",
        "observer_join": f"http://192.0.2.10:8000/drills/{drill}/join#code={body['observer_code']}",
        "websocket": f"ws://192.0.2.10:8000/ws/{drill}",
    }


def test_api_docs_load_nothing_from_another_host(lan_server: tuple[str, list[str]]) -> None:
    """/docs and /redoc reference only this server's files, and those files are served."""
    url, _ = lan_server
    for page in ("docs", "redoc"):
        html = urllib.request.urlopen(url + page, timeout=30).read().decode()
        refs = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert refs and all(r.startswith("/docs-assets/") for r in refs), refs
        for ref in refs:
            with urllib.request.urlopen(url + ref.lstrip("/"), timeout=30) as r:
                assert r.status == 200 and len(r.read()) > 1000


def test_a_misspelled_scenario_id_gets_the_list_and_the_nearest_id() -> None:
    """`firedrill run` with a typo: exit 2, every library id, and 'did you mean'."""
    r = CliRunner().invoke(main, ["run", "orders-consumer-lgg"])
    assert r.exit_code == 2
    assert r.output == (
        "error: orders-consumer-lgg: is neither a file nor the id of a library scenario; "
        f"available: {IDS}; did you mean 'orders-consumer-lag'?\n"
    )


def test_an_id_like_nothing_in_the_library_gets_the_list_only() -> None:
    """No near match: the list, and no guess."""
    r = CliRunner().invoke(main, ["check", "zzz"])
    assert r.exit_code == 2
    assert r.output.splitlines()[:2] == [
        "zzz: INVALID",
        f"  error: zzz: is neither a file nor the id of a library scenario; available: {IDS}",
    ]


def test_the_server_answers_an_unknown_id_with_the_nearest_one(
    lan_server: tuple[str, list[str]],
) -> None:
    """POST /api/drills with a typo: 404 naming the ids and the nearest match."""
    url, _ = lan_server
    with pytest.raises(urllib.error.HTTPError) as err:
        post(f"{url}api/drills", {"scenario": "gateway-bad-pdo"})
    assert err.value.code == 404
    body = json.loads(err.value.read())
    err.value.close()
    assert (body["error"], body["message"]) == (
        "not_found",
        f"unknown scenario 'gateway-bad-pdo'; available: {IDS}; did you mean 'gateway-bad-pod'?",
    )


def test_rotated_codes_come_with_links_at_the_public_address(
    lan_server: tuple[str, list[str]],
) -> None:
    """POST /codes answers the new codes and the join links built from --public-url."""
    url, _ = lan_server
    made = post(f"{url}api/drills", {"scenario": "gateway-bad-pod"})
    drill = made["drill_id"]
    c = post(f"{url}api/drills/{drill}/codes", token=made["facilitator_token"])
    assert c["player_code"] != made["player_code"]
    assert c == {
        "player_code": c["player_code"],
        "observer_code": c["observer_code"],
        "player_join": f"http://192.0.2.10:8000/drills/{drill}/join#code={c['player_code']}",
        "observer_join": f"http://192.0.2.10:8000/drills/{drill}/join#code={c['observer_code']}",
    }
