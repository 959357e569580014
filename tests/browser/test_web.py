"""The browser client end to end: a real server, real headless Chromium, several people.

One drill of checkout-deploy-500s is played through the UI: the facilitator creates it in
the lobby, a player and an observer join from the shared links, the player takes command,
opens a breakdown, sends an invalid action (inline error), checks the migration, rolls back
from the command line with autocomplete and posts a status update; the charts respond; the
facilitator's message and inject arrive; the player's connection drops and resumes; the
facilitator ends the drill and everyone lands on the debrief with grade and postmortem.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from engine import inputs as I
from engine.vocabulary import action_table

from .conftest import NO_BROWSER, ROOT, Pages

if NO_BROWSER:
    pytest.skip(NO_BROWSER, allow_module_level=True)
expect = pytest.importorskip(
    "playwright.sync_api", reason="Playwright for Python is not installed (pip install -e '.[dev]')"
).expect

SCENARIO = "checkout-deploy-500s"
ERR = "checkout-api.err_5xx_pct"
DOCS_SHOTS = ROOT / "docs" / "screenshots"


def last_value(page: Any, chart: str, metric: str) -> float:
    return float(page.evaluate(f"window.firedrill.charts()[{chart!r}].last[{metric!r}]"))


def shoot(page: Any, shots: Path, name: str, docs: bool = True) -> None:
    """Save a screenshot under test-results/; the four README ones also go to docs/screenshots/."""
    path = shots / f"{name}.png"
    page.screenshot(path=str(path))
    # Refresh the README screenshots only when asked: a test run must not edit tracked files.
    if docs and os.environ.get("FIREDRILL_UPDATE_SCREENSHOTS") == "1":
        DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SHOTS / f"{name}.png")


def test_a_team_plays_a_drill_in_the_browser(server: str, pages: Pages, shots: Path) -> None:
    # ---------------------------------------------------------------- lobby
    fac = pages("facilitator")
    fac.goto(server + "/")
    expect(fac.locator(".scenario-card")).not_to_have_count(0)
    card = fac.locator(f'[data-scenario="{SCENARIO}"]')
    card.click()
    expect(card).to_have_attribute("aria-checked", "true")
    expect(fac.locator(".scenario-detail")).to_contain_text("Teaches:")
    fac.fill("#seed", "7")
    fac.select_option("#speed", "30")
    fac.click("#create")
    created = fac.locator(".created")
    expect(created).to_contain_text("Share the links")
    player_link = created.locator(".link-row input").nth(0).input_value()
    observer_link = created.locator(".link-row input").nth(1).input_value()
    assert re.search(r"/drills/[\w-]+/join#code=", player_link)
    assert observer_link.endswith("&as=observer")
    fac.evaluate("window.scrollTo(0, 0)")
    shoot(fac, shots, "lobby")
    drill_id = re.search(r"/drills/([\w-]+)/", player_link).group(1)  # type: ignore[union-attr]

    # ------------------------------------------------------------- joining
    alice = pages("alice")
    alice.goto(player_link)
    alice.fill("#join-name", "alice")
    alice.select_option("#join-role", "ic")
    alice.click("#join")
    expect(alice.locator(".room.role-player")).to_be_visible()
    assert "#" not in alice.url, "the token must not stay in the address bar"
    expect(alice.locator(".conn")).to_have_text("live")

    watcher = pages("observer")
    watcher.goto(observer_link)
    watcher.click("#join")
    expect(watcher.locator(".room.role-observer")).to_be_visible()
    expect(watcher.locator("#cmdline")).to_have_count(0)
    expect(watcher.locator(".updates-panel")).to_be_visible()

    fac.click("#open-facilitator")
    expect(fac.locator(".room.role-facilitator .fac")).to_be_visible()
    expect(fac.locator(".roles .roster")).to_contain_text("alice")

    # --------------------------------------------------- the clock, the page
    fac.click("#clock-start")
    expect(fac.locator(".clock .status")).to_contain_text("running")
    fac.fill("#fac-jump", "330")
    fac.click("#clock-jump")
    expect(alice.locator(".firing .alert").first).to_be_visible(timeout=20_000)
    expect(alice.locator(".phase .since")).to_contain_text("page +")

    # ---------------------------------------------------------- command
    alice.click('.chip[data-action="take_command"]')
    alice.click('form[data-action="take_command"] button[type="submit"]')
    expect(alice.locator(".roles dl.kv dd").first).to_have_text("alice")
    expect(watcher.locator(".roles dl.kv dd").first).to_have_text("alice")

    # an invalid action: the server's error frame shows inline, on the command line
    alice.fill("#cmdline", "rollback nope-api")
    alice.press("#cmdline", "Enter")
    err = alice.locator(".cmd .result.error")
    expect(err).to_contain_text("unknown service 'nope-api'")
    expect(err).to_contain_text("checkout-api")
    expect(alice.locator("#cmdline")).to_have_attribute("aria-invalid", "true")

    # ---------------------------------------------------------- blast radius
    alice.click('.tab[data-tab="breakdown"]')
    toolbar = alice.locator('form[data-invest="view_dashboard"]')
    toolbar.locator('select[name="service"]').select_option("checkout-api")
    toolbar.locator('select[name="breakdown"]').select_option("endpoint")
    toolbar.locator('button[type="submit"]').click()
    table = alice.locator('.bd[data-panel="checkout-api/endpoint"]')
    expect(table.locator("tbody tr")).to_have_count(3)
    coupon = table.locator('tr[data-row="POST /cart/apply-coupon"] td[data-col="err_5xx_pct"]')
    expect(coupon).to_have_class(re.compile(r"\bbad\b"), timeout=20_000)
    stamp = table.locator(".bd-head .muted").inner_text()
    expect(table.locator(".bd-head .muted")).not_to_have_text(stamp)  # it updates with each sample
    # the observer sees what the player revealed, read-only
    expect(watcher.locator('.bd[data-panel="checkout-api/endpoint"] tbody tr')).to_have_count(3)

    # the metrics respond: checkout 5xx well above the 5% alert threshold
    alice.wait_for_function(f"window.firedrill.charts().errors.last[{ERR!r}] > 5")
    peak = last_value(alice, "errors", ERR)
    shown = alice.locator(f'.chart[data-chart="errors"] .val[data-metric="{ERR}"] b')
    expect(shown).to_have_text(re.compile(r"^\d+(\.\d+)?%$"))

    # ------------------------------------------- triage with forms and commands
    alice.fill("#cmdline", "list_changes")
    alice.press("#cmdline", "Enter")
    expect(alice.locator('.tab[data-tab="changes"][aria-selected="true"]')).to_be_visible()
    expect(alice.locator("table.changes")).to_contain_text("v143")

    alice.click('.console .tab:has-text("Investigate")')
    alice.click('.chip[data-action="check_migration"]')
    form = alice.locator('form[data-action="check_migration"]')
    form.locator('select[name="service"]').select_option("checkout-api")
    form.locator('button[type="submit"]').click()
    expect(form.locator(".result.ok")).to_contain_text("check_migration logged")
    expect(alice.locator(".mig-verdict")).to_contain_text("rollback is schema-safe")

    # ----------------------------------------------- mitigate: autocomplete
    cmd = alice.locator("#cmdline")
    cmd.fill("")
    cmd.type("rollb")
    expect(alice.locator("#cmd-suggest li").first).to_contain_text("rollback")
    cmd.press("Tab")
    expect(cmd).to_have_value("rollback ")
    cmd.type("chec")
    cmd.press("Tab")
    expect(cmd).to_have_value("rollback checkout-api ")
    cmd.press("Enter")
    expect(alice.locator(".cmd .result.ok")).to_contain_text("rollback logged")
    expect(cmd).to_have_value("")

    # ------------------------------------------------------------ comms
    # keyboard: Esc leaves the command line, `u` opens the status composer at its first field
    cmd.press("Escape")  # closes the suggestions
    alice.keyboard.press("Escape")  # leaves the field
    expect(cmd).not_to_be_focused()
    alice.keyboard.press("u")
    expect(alice.locator("#su-impact")).to_be_focused()
    alice.select_option("#su-state", "identified")
    alice.fill("#su-impact", "About 15% of checkouts with a coupon fail; no data loss")
    alice.fill("#su-action", "Rolling back checkout-api to v142")
    alice.fill("#su-next_update_min", "30")
    expect(alice.locator(".status-form .preview")).to_contain_text("Next update in 30 minutes")
    alice.click('.status-form button[type="submit"]')
    expect(alice.locator(".chat-list .update-card")).to_contain_text("About 15% of checkouts")
    expect(watcher.locator(".update-list .update-card")).to_contain_text("About 15% of checkouts")
    shoot(alice, shots, "player")

    # ------------------------------------------- the facilitator injects
    fac.click('.fac .tab[data-tab="injects"]')
    fac.select_option("#msg-preset", "0")  # VP Engineering, as an executive
    fac.fill("#msg-text", "What is the customer impact and when is the next update?")
    fac.click("#msg-send")
    vp = alice.locator(".chat-list .msg.inject.r-executive")
    expect(vp).to_contain_text("when is the next update?")
    expect(vp).to_contain_text("VP Engineering")
    fac.click('.inject-item[data-inject="support-tickets"] button')
    expect(alice.locator(".chat-list .msg.inject", has_text="40 tickets").first).to_be_visible()
    shoot(fac, shots, "facilitator")

    # hidden truth, live grade, private notes, acting on behalf of a player
    fac.click('.fac .tab[data-tab="truth"]')
    expect(fac.locator(".truth")).to_contain_text("CouponResolver")
    expect(alice.locator("body")).not_to_contain_text("CouponResolver")
    fac.click('.fac .tab[data-tab="grade"]')
    expect(fac.locator(".grade-live .dim")).to_have_count(4)
    fac.click('.fac .tab[data-tab="notes"]')
    fac.fill("#note-text", "ask alice why no severity was declared")
    fac.click('.note-form button[type="submit"]')
    expect(fac.locator(".notes")).to_contain_text("no severity was declared")
    expect(fac.locator(".timeline")).to_contain_text("no severity was declared")
    fac.click('.fac .tab[data-tab="act"]')
    expect(fac.locator("#act-as")).to_have_value("alice")
    fac.fill(".act-as #cmdline", "declare_incident SEV2 coupon checkouts failing")
    fac.press(".act-as #cmdline", "Enter")
    expect(fac.locator(".act-as .cmd .result.ok")).to_contain_text("declare_incident logged")
    expect(alice.locator(".timeline")).to_contain_text(
        "alice declared SEV2: coupon checkouts failing [sent by facilitator]"
    )
    expect(watcher.locator(".timeline")).not_to_contain_text(
        "no severity was declared"
    )  # notes are private

    # the rollback lands and the chart shows checkout 5xx falling back
    fac.fill("#fac-speed", "90")
    fac.click('.clock-ctl button:has-text("Set")')
    alice.wait_for_function(f"window.firedrill.charts().errors.last[{ERR!r}] < 1", timeout=30_000)
    assert last_value(alice, "errors", ERR) < peak
    expect(alice.locator(".timeline")).to_contain_text("rollback complete")

    # --------------------------------------------- a dropped connection
    alice.context.set_offline(True)  # the browser's offline signal drops the socket at once
    assert not alice.evaluate("window.firedrill.drop()")  # nothing left to drop
    banner = alice.locator("#banner")
    expect(banner).to_contain_text("You are offline")
    expect(alice.locator(".conn")).to_have_text("offline")
    alice.wait_for_timeout(1500)  # the drill goes on without us
    alice.context.set_offline(False)
    expect(banner).to_contain_text(re.compile(r"Reconnected, caught up \d+ events?"))
    caught = int(re.search(r"caught up (\d+)", banner.inner_text()).group(1))  # type: ignore[union-attr]
    assert caught > 0
    expect(alice.locator(".conn")).to_have_text("live")
    # nothing missed, nothing twice: the page's timeline is the public log minus metrics
    token = alice.evaluate(f"sessionStorage.getItem('firedrill:token:{drill_id}')")
    alice.wait_for_timeout(300)
    seen = alice.evaluate("window.firedrill.state.timeline.map(e => e.seq)")
    log = httpx.get(
        f"{server}/api/drills/{drill_id}/log",
        headers={"Authorization": f"Bearer {json.loads(token)}"},
    ).text
    public = [e["seq"] for e in map(json.loads, log.splitlines()) if e["type"] != "metrics"]
    assert seen == public[: len(seen)] and len(seen) >= len(public) - 3

    # an input in flight when the connection drops is re-sent after the reconnect, same id:
    # applied exactly once whether or not the server had it before the drop
    reply = alice.evaluate("""() => {
        const sent = window.firedrill.send({type: "input", input: {type: "chat", text: "in flight"}});
        window.firedrill.drop();
        return sent;
    }""")
    assert reply["type"] == "ack"
    log = httpx.get(
        f"{server}/api/drills/{drill_id}/log",
        headers={"Authorization": f"Bearer {json.loads(token)}"},
    ).text
    flights = [
        e["seq"] for e in map(json.loads, log.splitlines()) if e["data"].get("text") == "in flight"
    ]
    assert flights == [reply["seq"]]

    # the facilitator answers that very message in character
    fac.click('.fac .tab[data-tab="injects"]')
    fac.locator(".chat-list li", has_text="in flight").locator(".reply-btn").click()
    expect(fac.locator(".reply-to")).to_contain_text(f"replying to #{reply['seq']}")
    fac.fill("#msg-text", "Seen, thanks: keep the updates coming.")
    fac.click("#msg-send")
    answer = alice.locator(".chat-list .msg.inject", has_text="keep the updates coming")
    expect(answer).to_contain_text("VP Engineering")
    log = httpx.get(
        f"{server}/api/drills/{drill_id}/log",
        headers={"Authorization": f"Bearer {json.loads(token)}"},
    ).text
    # players get the character's words, pointing at the message they answer
    heard = [e for e in map(json.loads, log.splitlines()) if e["type"] == "inject"]
    assert [(e["actor"], e["data"]["about"]) for e in heard if "keep the" in e["data"]["text"]] == [
        ("VP Engineering", reply["seq"])
    ]

    # ------------------------------------------------------------ the end
    fac.once("dialog", lambda d: d.accept("drill complete"))
    fac.click("#clock-end")
    for page in (alice, fac, watcher):
        expect(page.locator(".end")).to_be_visible(timeout=20_000)
        expect(page.locator(".grade .dim")).to_have_count(4)
    expect(alice.locator(".grade .overall .big")).to_have_text(re.compile(r"^\d+$"))
    expect(alice.locator('.dim[data-dim="communication"]')).to_be_visible()

    # evidence links jump to the timeline entry they cite
    chip = alice.locator(".evidence").first
    seq = chip.get_attribute("data-seq")
    chip.click()
    expect(alice.locator(f"#tl-{seq}")).to_have_class(re.compile(r"\bflash\b"))
    alice.evaluate("document.querySelector('.end-body').scrollTo(0, 0)")
    shoot(alice, shots, "end")

    alice.click('.end .tab[data-tab="postmortem"]')
    expect(alice.locator(".postmortem h2").first).to_be_visible()
    expect(alice.locator(".postmortem")).to_contain_text("Action items")
    shoot(alice, shots, "postmortem", docs=False)
    shoot(watcher, shots, "observer-end", docs=False)
    with alice.expect_download() as dl:
        alice.click("#download-md")
    text = Path(dl.value.path()).read_text()
    assert text.startswith("# ") and "## Timeline" in text and "## Action items" in text


def test_bad_links_and_codes_get_clear_messages(server: str, pages: Pages) -> None:
    page = pages("stranger")
    pages.allow("status of 401")
    page.goto(server + "/drills/nosuchdrill/play")
    expect(page.locator(".error-state")).to_contain_text("no token for this drill")
    r = httpx.post(f"{server}/api/drills", json={"scenario": SCENARIO})
    drill = r.json()["drill_id"]
    page.goto(f"{server}/drills/{drill}/join#code=not-the-code")
    page.fill("#join-name", "mallory")
    page.click("#join")
    expect(page.locator(".join-form .result.error")).to_contain_text("join code not valid")
    page.goto(f"{server}/drills/{drill}/facilitate#token=forged-token")
    expect(page.locator(".error-state")).to_contain_text("token not recognised")


def test_the_lobby_says_when_the_library_is_empty_or_unreachable(server: str, pages: Pages) -> None:
    page = pages("lobby")
    pages.allow("status of 503")
    page.route("**/api/scenarios", lambda route: route.fulfill(status=200, json=[]))
    page.goto(server + "/")
    expect(page.locator(".empty-state")).to_contain_text("The library is empty")
    page.unroute("**/api/scenarios")
    page.route(
        "**/api/scenarios",
        lambda route: route.fulfill(
            status=503, json={"error": "limit_reached", "message": "the server is busy"}
        ),
    )
    page.reload()
    expect(page.locator(".error-state")).to_contain_text("the server is busy")
    page.unroute("**/api/scenarios")
    page.click('.error-state button:has-text("Retry")')
    expect(page.locator(".scenario-card")).not_to_have_count(0)


def test_the_console_is_built_from_the_served_action_table(server: str, pages: Pages) -> None:
    """The page's vocabulary is GET /api/actions (the engine's table): same actions in
    the same order, categories, parameters and who may send them; it keeps no copy."""
    page = pages("vocab")
    page.goto(server + "/")
    expect(page.locator(".scenario-card")).not_to_have_count(0)
    got = page.evaluate(
        """import('/static/js/vocab.js').then(m => ({
            vocab: m.VOCAB.map(v => [v.type, v.cat, v.params.map(p => [p.name, p.kind])]),
            player: m.allowed('player'), observer: m.allowed('observer'),
        }))"""
    )
    table = action_table()
    assert got["vocab"] == [
        [a.type, a.category, [[p.name, p.kind] for p in a.params]] for a in table.actions
    ]
    assert got["player"] == table.permissions["player"] and got["observer"] == []


# A lever no engine has: only the served table offers it.
ONLY_IN_TABLE = {
    "type": "reroute_traffic",
    "category": "mitigate",
    "label": "Reroute traffic",
    "help": "Send a service's traffic elsewhere.",
    "aliases": ["reroute"],
    "rest": None,
    "hidden": False,
    "done": "rerouted {service}",
    "params": [{"name": "service", "kind": "service", "optional": False}],
    "target_field": "service",
    "target_kinds": ["service"],
    "reversible": True,
    "mechanic": None,
    "tool": None,
}


def test_the_console_offers_what_the_table_says_and_keeps_it_offline(
    server: str, pages: Pages
) -> None:
    """A lever that exists only in the served table appears as a chip and a command;
    the engine still refuses it. With the table's route down, a reload keeps the console
    (the browser's last copy), and a dropped socket resumes with it."""
    d = httpx.post(f"{server}/api/drills", json={"scenario": SCENARIO, "speed": 60}).json()
    joined = httpx.post(
        f"{server}/api/drills/{d['drill_id']}/join", json={"code": d["player_code"], "name": "dee"}
    ).json()
    page = pages("dee")

    def with_extra(route: Any) -> None:
        table = route.fetch().json()
        table["actions"].append(ONLY_IN_TABLE)
        table["permissions"]["player"].append("reroute_traffic")
        route.fulfill(json=table)

    page.route("**/api/actions", with_extra)
    page.goto(f"{server}/drills/{d['drill_id']}/play#token={joined['token']}")
    expect(page.locator(".room.role-player")).to_be_visible()
    auth = {"Authorization": f"Bearer {d['facilitator_token']}"}
    start = {"action": "start"}
    assert httpx.post(f"{server}/api/drills/{d['drill_id']}/control", headers=auth, json=start)
    page.click('.console .tab:has-text("Mitigate")')
    chip = page.locator('.chip[data-action="reroute_traffic"]')
    expect(chip).to_have_text("Reroute traffic")
    chip.click()
    form = page.locator('form[data-action="reroute_traffic"]')
    expect(form.locator("p.help")).to_have_text("Send a service's traffic elsewhere.")
    form.locator('button[type="submit"]').click()
    expect(form.locator(".result.error")).to_contain_text("unknown action 'reroute_traffic'")

    page.unroute("**/api/actions")
    page.route("**/api/actions", lambda route: route.abort())
    pages.allow("ERR_FAILED")
    page.reload()
    expect(page.locator(".room.role-player")).to_be_visible()
    page.click('.console .tab:has-text("Mitigate")')
    expect(page.locator('.chip[data-action="reroute_traffic"]')).to_be_visible()
    expect(page.locator('.chip[data-action="rollback"]')).to_be_visible()
    page.evaluate("window.firedrill.drop()")
    expect(page.locator('.chip[data-action="rollback"]')).to_be_visible()
    page.click('.console .tab:has-text("Command")')
    page.click('.chip[data-action="take_command"]')
    page.click('form[data-action="take_command"] button[type="submit"]')
    expect(page.locator(".timeline")).to_contain_text("took command (IC)")


@pytest.mark.parametrize(
    "line,expected",
    [
        ("rollback checkout-api", {"type": "rollback", "service": "checkout-api"}),
        (
            "drain_pod api-gateway api-gateway-7",
            {"type": "drain_pod", "service": "api-gateway", "pod": "api-gateway-7"},
        ),
        ("set_flag loyalty-v2 off", {"type": "set_flag", "flag": "loyalty-v2", "enabled": False}),
        (
            "flag one-page-checkout on",
            {"type": "set_flag", "flag": "one-page-checkout", "enabled": True},
        ),
        ("ic", {"type": "take_command"}),
        (
            "declare SEV1 checkout is failing",
            {"type": "declare_incident", "severity": "SEV1", "summary": "checkout is failing"},
        ),
        (
            "state_impact 15 rising intact coupon checkouts",
            {
                "type": "state_impact",
                "users_pct": 15,
                "trend": "rising",
                "data": "intact",
                "scope": "coupon checkouts",
            },
        ),
        (
            'status_update audience=public state=identified impact="coupons fail" next_update_min=30',
            {
                "type": "status_update",
                "audience": "public",
                "state": "identified",
                "impact": "coupons fail",
                "next_update_min": 30,
            },
        ),
    ],
)
def test_command_lines_parse_into_inputs(
    server: str, pages: Pages, line: str, expected: dict[str, Any]
) -> None:
    page = pages("parser")
    page.goto(server + "/")
    got = page.evaluate(
        "(line) => import('/static/js/vocab.js').then(async m => "
        "{ await m.loadVocab(); return m.parseCommand(line); })",
        line,
    )
    assert got.get("input") == expected, got
    I.parse_input(got["input"])  # and the engine accepts what the console builds


def test_a_client_told_to_take_a_snapshot_rebuilds_from_the_log(server: str, pages: Pages) -> None:
    """resume mode "snapshot" (too far behind, or a server rebuilt behind the client):
    the page refetches the log and ends with exactly the public log, nothing twice."""
    d = httpx.post(f"{server}/api/drills", json={"scenario": SCENARIO, "speed": 120}).json()
    joined = httpx.post(
        f"{server}/api/drills/{d['drill_id']}/join", json={"code": d["player_code"], "name": "bob"}
    ).json()
    page = pages("bob")
    sockets = {"n": 0}

    def route(ws: Any) -> None:
        sockets["n"] += 1
        upstream = ws.connect_to_server()
        if sockets["n"] == 1:
            upstream.on_message(ws.send)
            return

        def to_page(msg: str | bytes) -> None:
            frame = json.loads(msg)
            if frame.get("type") == "welcome":  # pretend the server chose a snapshot
                frame["resume"] = {**frame["resume"], "mode": "snapshot", "events": 0}
                msg = json.dumps(frame)
            ws.send(msg)

        upstream.on_message(to_page)

    page.route_web_socket(re.compile(r"/ws/"), route)
    page.goto(f"{server}/drills/{d['drill_id']}/play#token={joined['token']}")
    expect(page.locator(".room.role-player")).to_be_visible()
    auth = {"Authorization": f"Bearer {d['facilitator_token']}"}
    assert (
        httpx.post(
            f"{server}/api/drills/{d['drill_id']}/control", headers=auth, json={"action": "start"}
        ).status_code
        == 200
    )
    page.wait_for_function("window.firedrill.state.times.length > 5")
    page.evaluate("window.firedrill.drop()")
    page.wait_for_timeout(800)  # events the page will not be sent again
    expect(page.locator("#banner")).to_contain_text("caught up from a snapshot")
    assert sockets["n"] == 2
    assert (
        httpx.post(
            f"{server}/api/drills/{d['drill_id']}/control", headers=auth, json={"action": "pause"}
        ).status_code
        == 200
    )
    log = httpx.get(
        f"{server}/api/drills/{d['drill_id']}/log",
        headers={"Authorization": f"Bearer {joined['token']}"},
    ).text
    events = [json.loads(line) for line in log.splitlines()]
    page.wait_for_function(f"window.firedrill.state.seq === {events[-1]['seq']}")
    seen = page.evaluate("window.firedrill.state.timeline.map(e => e.seq)")
    assert seen == [e["seq"] for e in events if e["type"] != "metrics"]
    samples = page.evaluate("window.firedrill.state.times.length")
    assert samples == sum(e["type"] == "metrics" for e in events)
