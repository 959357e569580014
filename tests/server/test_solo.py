"""POST /api/solo: one player, a clock token, simulated teammates over the real server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from server.settings import Settings

from .drillkit import Live, bearer, solo_run, start_in_thread


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


def test_history_lists_a_players_runs_and_compares_them(server: Live) -> None:
    """Two attempts by one player are listed oldest first; compared per check and curve."""
    with httpx.Client(base_url=server.http, timeout=60) as c:
        first, _, _ = solo_run(c, "hana", 1, [])
        second, token, clock = solo_run(c, "hana", 1, [{"type": "take_command"}])
        r = c.get(f"/api/drills/{second}/history", headers=bearer(token))
        assert r.status_code == 200, r.text
        h = r.json()
        assert (h["scenario"], h["player"]) == ("gateway-bad-pod", "hana")
        assert [x["drill_id"] for x in h["runs"]] == [first, second]
        assert h["runs"][1]["scores"]["command"] > h["runs"][0]["scores"]["command"]
        mine = c.get(f"/api/drills/{second}/history", headers=bearer(clock)).json()
        assert (mine["cohort"], [x["drill_id"] for x in mine["runs"]]) == (None, [second])
        other, _, _ = solo_run(c, "other", 1, [])
        cmp = c.get(f"/api/drills/{second}/compare?other={first}", headers=bearer(token)).json()
        took = next(x for x in cmp["a"]["checks"] if x["id"] == "command.ic")
        none = next(x for x in cmp["b"]["checks"] if x["id"] == "command.ic")
        assert took["points"] > none["points"] == 0
        assert [x["type"] for x in cmp["a"]["actions"]] == ["take_command"]
        assert cmp["b"]["actions"] == []
        assert set(cmp["a"]["metrics"]) == {"api-gateway.err_5xx_pct", "api-gateway.p99_ms"}
        ref = c.get(f"/api/drills/{second}/compare", headers=bearer(token)).json()
        assert ref["b"]["label"] == "reference strong play"
        assert ref["b"]["overall"] > ref["a"]["overall"]
        idle = c.get(f"/api/drills/{second}/compare?other=nobody", headers=bearer(token)).json()
        assert (idle["b"]["label"], idle["b"]["actions"]) == ("nobody did anything", [])
        assert idle["b"]["metrics"]["api-gateway.err_5xx_pct"][-1][1] > 5  # still failing
        # someone else's run is not yours to open
        r = c.get(f"/api/drills/{second}/compare?other={other}", headers=bearer(token))
        assert r.status_code == 404 and "that you may see" in r.json()["message"]
