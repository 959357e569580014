"""An agent joins a live drill over the WebSocket protocol and plays it beside the facilitator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from agents.baselines import RunContext, runbook
from agents.live import LiveError, LivePlayer, join
from agents.player import Refused
from server.settings import Settings
from tests.server.drillkit import Live, start_in_thread

SCENARIO = "new-checkout-flag"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Live]:
    live = start_in_thread(Settings(db=str(tmp_path / "live.db")))
    yield live
    live.stop()


def test_runbook_agent_plays_a_live_drill_as_a_player(server: Live) -> None:
    """The runbook baseline, over a real socket, acts as a named player; the log shows its moves."""
    with httpx.Client(base_url=server.http, timeout=10) as http:
        r = http.post("/api/drills", json={"scenario": SCENARIO, "seed": 0, "speed": 600})
        assert r.status_code == 201, r.text
        drill = r.json()
        joined = join(server.http, drill["drill_id"], drill["player_code"], "assistant")
        player = LivePlayer(server.ws, joined)
        try:
            with pytest.raises(Refused) as refused:
                player.act({"type": "take_command"})
            assert refused.value.code == "not_running"
            auth = {"Authorization": f"Bearer {drill['facilitator_token']}"}
            assert (
                http.post(
                    f"/api/drills/{drill['drill_id']}/control",
                    json={"action": "start"},
                    headers=auth,
                ).status_code
                == 200
            )
            with pytest.raises(Refused) as bad:
                player.act({"type": "set_flag", "flag": "nope", "enabled": False})
            assert bad.value.code == "invalid_input"
            assert bad.value.message.startswith("unknown flag 'nope'; valid: ")
            runbook(player, RunContext(SCENARIO, 0))
            player.wait(3600)
            assert player.ended and player.observe().ended
            with pytest.raises(Refused) as late:
                player.act({"type": "chat", "text": "still here"})
            assert late.value.code == "not_running"
        finally:
            player.close()
        log = http.get(f"/api/drills/{drill['drill_id']}/log", headers=auth)
        events = [orjson.loads(line) for line in log.content.splitlines() if line.strip()]
    mine = [e for e in events if e["type"] == "input" and e["actor"] == "assistant"]
    kinds = [e["data"]["type"] for e in mine]
    assert kinds[:3] == ["take_command", "declare_incident", "assign_role"]
    assert {"e": "set_flag", "flag": "one-page-checkout", "enabled": False} in [
        {"e": e["data"]["type"], "flag": e["data"].get("flag"), "enabled": e["data"].get("enabled")}
        for e in mine
    ]
    assert events[-1]["type"] == "drill.ended"


def test_a_bad_code_is_a_clear_error(server: Live) -> None:
    """Joining with a wrong code says the server refused, and why."""
    with httpx.Client(base_url=server.http, timeout=10) as http:
        drill = http.post("/api/drills", json={"scenario": SCENARIO}).json()
    with pytest.raises(LiveError, match=r"join refused \(\d+\): "):
        join(server.http, drill["drill_id"], "wrong-code", "assistant")
