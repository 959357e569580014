"""POST /api/solo: one player, a clock token, simulated teammates over the real server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from server.settings import Settings

from .drillkit import Live, bearer, start_in_thread


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    live = start_in_thread(Settings(db=str(Path(tmp_path_factory.mktemp("solo")) / "f.db")))
    yield live
    live.stop()


def test_solo_drill_is_played_alone_with_teammates(server: Live) -> None:
    """The token is a player's; only the clock token moves the clock; Priya takes a task."""
    with httpx.Client(base_url=server.http, timeout=30) as c:
        r = c.post("/api/solo", json={"scenario": "gateway-bad-pod", "seed": 4, "name": "dana"})
        assert r.status_code == 201, r.text
        solo = r.json()
        me, clock, url = bearer(solo["token"]), bearer(solo["clock_token"]), solo["drill_id"]
        state = c.get(f"/api/drills/{url}", headers=me).json()
        assert (state["you"]["role"], state["you"]["name"], state["status"]) == (
            "player",
            "dana",
            "created",
        )
        assert "truth" not in state["snapshot"]
        assert [p["name"] for p in state["snapshot"]["scenario"]["responders"]] == [
            "Priya",
            "Sam",
            "Alex",
        ]
        r = c.post(f"/api/drills/{url}/control", json={"action": "start"}, headers=me)
        assert r.status_code == 403
        r = c.post(f"/api/drills/{url}/control", json={"action": "start"}, headers=clock)
        assert r.status_code == 200
        page = {"input": {"type": "page_team", "team": "Priya"}}
        assert c.post(f"/api/drills/{url}/inputs", json=page, headers=me).status_code == 200
        task = {
            "type": "delegate",
            "person": "Priya",
            "task": {"type": "read_logs", "service": "api-gateway"},
        }
        r = c.post(f"/api/drills/{url}/inputs", json={"input": task}, headers=me)
        assert (r.status_code, r.json()["error"]) == (409, "not_allowed")
        assert "Priya was paged and has not joined the channel yet" in r.json()["message"]


def test_solo_garbage_is_refused(server: Live) -> None:
    """Unknown scenario, bad name and unknown fields get clear errors."""
    with httpx.Client(base_url=server.http, timeout=30) as c:
        r = c.post("/api/solo", json={"scenario": "no-such"})
        assert r.status_code == 404 and "no-such" in r.json()["message"]
        r = c.post("/api/solo", json={"scenario": "gateway-bad-pod", "name": "system"})
        assert r.status_code in (400, 409, 422), r.text
        r = c.post("/api/solo", json={"scenario": "gateway-bad-pod", "extra": 1})
        assert r.status_code == 422 and "extra" in r.text
