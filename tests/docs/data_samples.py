"""Docs samples that are data: log events, observations, a grade and server frames.

Each is made in process from the library's reference plays (or, for the WebSocket frames,
from a real server), shown by :func:`pretty`, and cut where long in the way its page says.
tests/docs/samples.py lists them with the page each belongs to.
"""

from __future__ import annotations

import functools
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def pretty(value: Any, width: int = 92, indent: int = 0) -> str:
    """``value`` as JSON for a reader: an object or array that fits in ``width`` on one
    line, else its members filled into lines of that width, a member that does not fit
    expanded the same way on lines of its own."""
    flat = json.dumps(value, ensure_ascii=False)
    if indent + len(flat) <= width or not isinstance(value, dict | list) or not value:
        return flat
    pad = " " * (indent + 1)
    if isinstance(value, dict):
        opening, closing = "{", "}"
        parts = [(json.dumps(k) + ": ", v) for k, v in value.items()]
    else:
        opening, closing = "[", "]"
        parts = [("", v) for v in value]
    lines: list[str] = []
    line = ""
    for n, (key, v) in enumerate(parts):
        comma = "," if n < len(parts) - 1 else closing
        one = key + json.dumps(v, ensure_ascii=False) + comma
        if line and len(pad) + len(line) + 1 + len(one) <= width:
            line += " " + one
        elif len(pad) + len(one) <= width:
            lines.append(line) if line else None
            line = one
        else:
            lines.append(line) if line else None
            if not key or len(pad) + len(key) <= width // 3:  # it hangs beside its key
                lines.append(key + pretty(v, width, len(pad) + len(key)) + comma)
            else:  # too far right: the key ends its line, the value goes under it
                lines.append(key.rstrip())
                lines.append("  " + pretty(v, width, len(pad) + 2) + comma)
            line = ""
    if line:
        lines.append(line)
    body = ("\n" + pad).join(lines)
    return opening + body if lines[-1].endswith(closing) else opening + body + closing


@functools.cache
def played(scenario_id: str, play_name: str = "strong") -> tuple[Any, tuple[Any, ...]]:
    """The library scenario and the log of its reference play ``play_name`` at seed 0."""
    from engine.drill import Drill
    from engine.script import DecisionScript, play
    from server.files import load_scenario

    sc = load_scenario(scenario_id)
    path = ROOT / "tests/reference" / scenario_id / f"{play_name}.yaml"
    drill = Drill(sc, seed=0)
    play(drill, DecisionScript.from_yaml(path.read_text(encoding="utf-8")))
    return sc, tuple(drill.log.events)


def first_sample(cwd: Path) -> str:
    """gateway-bad-pod's T+0 ``metrics`` event (strong play), its values cut to three."""
    _, events = played("gateway-bad-pod")
    ev = next(e.to_dict() for e in events if e.type == "metrics")
    keep = ("api-gateway.rps", "api-gateway.err_5xx_pct", "business.failed_requests")
    ev["data"] = {"values": {k: ev["data"]["values"][k] for k in keep}}
    return pretty(ev) + "\n"


def panel_sample(cwd: Path) -> str:
    """The first ``metrics`` event carrying the pod panel in gateway-bad-pod's strong play:
    one value, and only that panel's first pod and the pod failing most."""
    _, events = played("gateway-bad-pod")
    ev = next(
        e.to_dict()
        for e in events
        if e.type == "metrics" and "api-gateway/pod" in e.data.get("detail", {})
    )
    rows = ev["data"]["detail"]["api-gateway/pod"]
    worst = max(rows, key=lambda pod: rows[pod].get("err_5xx_pct", -1))
    shown = {pod: rows[pod] for pod in rows if pod in (next(iter(rows)), worst)}
    ev["data"] = {
        "values": {"api-gateway.err_5xx_pct": ev["data"]["values"]["api-gateway.err_5xx_pct"]},
        "detail": {"api-gateway/pod": shown},
    }
    return pretty(ev) + "\n"


def log_excerpt(cwd: Path) -> str:
    """Three lines of gateway-bad-pod's strong log as ``--log`` writes them: the page,
    the first input and the first effect."""
    _, events = played("gateway-bad-pod")
    picked = [next(e for e in events if e.type == kind) for kind in ("page", "input", "effect")]
    return "".join(e.to_json().decode() + "\n" for e in picked)


def grade_json(cwd: Path) -> str:
    """``Grade.to_dict()`` of checkout-deploy-500s's strong play, every list cut to its
    first item and a count of the rest."""
    from engine.grading import grade

    sc, events = played("checkout-deploy-500s")

    def cut(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: cut(v) for k, v in value.items()}
        if isinstance(value, list) and len(value) > 1:
            return [cut(value[0]), f"... {len(value) - 1} more"]
        return [cut(v) for v in value] if isinstance(value, list) else value

    return pretty(cut(grade(sc, list(events)).to_dict())) + "\n"


def observation(
    scenario_id: str, kind: str, play_name: str = "strong", panel: str = "", rows: int = 0
) -> Callable[[Path], str]:
    """The ``result`` of the first ``kind`` observation in a reference play (of that
    ``panel``, if given); with ``rows``, the panel's rows cut to that many."""

    def make(cwd: Path) -> str:
        _, events = played(scenario_id, play_name)
        result = next(
            dict(e.data["result"])
            for e in events
            if e.type == "observation"
            and e.data["kind"] == kind
            and e.data["result"].get("panel", panel) == panel
        )
        if rows:
            result["rows"] = dict(list(result["rows"].items())[:rows])
        return pretty(result) + "\n"

    return make


@dataclass(frozen=True)
class Exchange:
    """What a real server sent a player, frame by frame, for docs/protocol.md."""

    welcome: dict[str, Any]
    chat_events: dict[str, Any]
    chat_ack: dict[str, Any]
    duplicate: dict[str, Any]
    ping_ack: dict[str, Any]


DRILL_ID = "<drill id>"


@functools.cache
def exchange() -> Exchange:
    """Create a checkout-deploy-500s drill on a real server (in-process, a scratch SQLite
    store), join alice and play the page's frames. The drill is never started, so no
    frame depends on the wall clock; its random id is shown as ``DRILL_ID``."""
    from starlette.testclient import TestClient

    from server.app import create_app
    from server.settings import Settings

    def recv(ws: Any) -> dict[str, Any]:
        text = ws.receive_text().replace(drill["drill_id"], DRILL_ID)
        return dict(json.loads(text))

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(db=str(Path(tmp) / "drills.db")))
        with TestClient(app, base_url="http://127.0.0.1:8000") as http:
            drill = http.post(
                "/api/drills", json={"scenario": "checkout-deploy-500s", "seed": 0, "speed": 60}
            ).json()
            url = f"/api/drills/{drill['drill_id']}/join"
            token = http.post(url, json={"code": drill["player_code"], "name": "alice"}).json()
            with http.websocket_connect(f"ws://127.0.0.1:8000/ws/{drill['drill_id']}") as ws:
                ws.send_text(json.dumps({"type": "hello", "v": 1, "token": token["token"]}))
                welcome = recv(ws)
                for _ in range(welcome["resume"]["events"] and 1):
                    recv(ws)  # the catch-up: the log so far, in one frame
                chat = {"id": "a1", "type": "input", "input": {"type": "chat", "text": "on it"}}
                ws.send_text(json.dumps(chat))
                events, ack = recv(ws), recv(ws)
                ws.send_text(json.dumps(chat))
                duplicate = recv(ws)
                ws.send_text(json.dumps({"id": "p1", "type": "ping"}))
                ping = recv(ws)
                ws.close()
    return Exchange(welcome, events, ack, duplicate, ping)


def frame(pick: Callable[[Exchange], dict[str, Any]]) -> Callable[[Path], str]:
    """One server frame of :func:`exchange`, pretty-printed."""
    return lambda cwd: pretty(pick(exchange())) + "\n"


def welcome_frame(cwd: Path) -> str:
    """The welcome of :func:`exchange`, the snapshot's long members left out as ``"..."``."""
    welcome = dict(exchange().welcome)
    welcome["snapshot"] = {
        k: "..." if len(json.dumps(v)) > 40 else v for k, v in welcome["snapshot"].items()
    }
    return pretty(welcome) + "\n"


def money_after_harm(cwd: Path) -> str:
    """card-network-timeouts' strong play: when the breaker opened and harm ended (from
    the page), and the money lost by then and by the end of the drill."""
    from engine.outcome import outcome

    sc, events = played("card-network-timeouts")
    page = next(e.t for e in events if e.type == "page")
    opened = next(
        e.t for e in events if e.type == "effect" and e.data["what"] == "circuit breaker open"
    )
    ended = outcome(sc, list(events)).mitigated_at
    assert ended is not None, "the strong play mitigates"
    samples = [e for e in events if e.type == "metrics"]
    lost_then = [e for e in samples if e.t <= ended][-1].data["values"]["business.money_lost"]
    lost_end = samples[-1].data["values"]["business.money_lost"]

    def clock(t: float) -> str:
        return f"page+{int(t - page) // 60}:{int(t - page) % 60:02d}"

    return (
        f"circuit breaker open at {clock(opened)}, harm ended at {clock(ended)}\n"
        f"money lost by then ${lost_then / 1e3:,.0f}k, by the end of the drill "
        f"${lost_end / 1e3:,.0f}k\n"
    )
