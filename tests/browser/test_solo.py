"""Practising alone in real Chromium: the lobby's "Practise alone", your own clock, simulated
teammates paged, given roles and tasks through the UI, no spoilers, and a graded debrief."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from engine.loader import load_scenario

from .conftest import NO_BROWSER, ROOT, Pages
from .test_web import shoot

if NO_BROWSER:
    pytest.skip(NO_BROWSER, allow_module_level=True)
expect = pytest.importorskip("playwright.sync_api").expect

SCENARIO = "gateway-bad-pod"


def spoilers() -> list[str]:
    """Text only the debrief may show: the cause, the trigger, what the scenario teaches."""
    path = ROOT / "scenarios" / f"{SCENARIO}.yaml"
    sc = load_scenario(path.read_bytes(), str(path))
    t = sc.truth
    return [t.root_cause, t.trigger, sc.teaches, sc.summary, *t.causal_chain, "np-7-n4", "NIC"]


def no_spoilers(page: Any, where: str) -> None:
    text = page.locator("body").inner_text()
    leaked = [s for s in spoilers() if s in text]
    assert not leaked, f"{where}: the player can read {leaked}"


def test_a_player_practises_alone_with_simulated_teammates(
    server: str, pages: Pages, shots: Path
) -> None:
    """Solo drill to a graded debrief; Priya and Alex take roles, Priya reads and drains."""
    me = pages("dana")
    me.on("dialog", lambda d: d.accept())
    me.goto(server + "/")
    me.locator(f'[data-scenario="{SCENARIO}"]').click()
    no_spoilers(me, "lobby")
    me.fill("#seed", "5")
    me.select_option("#speed", "30")
    me.fill("#facname", "dana")
    me.click("#solo")
    expect(me.locator(".room.role-player")).to_be_visible()
    expect(me.locator(".fac")).to_have_count(0)  # no facilitator console, no truth tab
    expect(me.locator(".mates .mate")).to_have_count(3)
    expect(me.locator(".clock .status")).to_have_text("not started")
    shoot(me, shots, "solo-start")

    me.click("#solo-start")
    expect(me.locator(".clock .status")).to_contain_text("running")
    mates = me.locator(".mates")
    mates.locator('[data-mate="Priya"] .page-btn').click()
    mates.locator('[data-mate="Alex"] .page-btn').click()
    chat = me.locator(".chat-list")
    expect(chat).to_contain_text("Priya here (SRE). What do you need?", timeout=20_000)
    expect(chat).to_contain_text("Alex here (support lead)", timeout=20_000)
    me.click('.chip[data-action="take_command"]')
    me.click('form[data-action="take_command"] button[type="submit"]')
    priya = mates.locator('[data-mate="Priya"]')
    priya.locator("select").select_option("ops")
    priya.locator(".assign-btn").click()
    expect(chat).to_contain_text("Got it, I'm on ops.")
    alex = mates.locator('[data-mate="Alex"]')
    alex.locator("select").select_option("comms")
    alex.locator(".assign-btn").click()
    expect(chat).to_contain_text("Got it, I'm on comms.")

    # a task in plain words, in the channel
    expect(me.locator(".firing .alert").first).to_be_visible(timeout=30_000)
    me.fill("#chat-input", "Priya, check the pod breakdown of api-gateway")
    me.press("#chat-input", "Enter")
    expect(chat).to_contain_text("On it: the pod breakdown of api-gateway.")
    expect(chat).to_contain_text("Looked at the pod breakdown of api-gateway:", timeout=20_000)
    report = chat.locator(".msg", has_text="Looked at the pod breakdown").last.inner_text()
    pod = re.search(r"(api-gateway-\w+-\d+) is at", report)
    assert pod, report
    expect(me.locator('.bd[data-panel="api-gateway/pod"]')).to_be_visible()
    no_spoilers(me, "war room")
    shoot(me, shots, "solo-teammates")

    # a task as a command, addressed on the command line
    me.fill("#cmdline", f"Priya, drain_pod api-gateway {pod.group(1)}")
    me.press("#cmdline", "Enter")
    expect(me.locator(".cmd .result.ok")).to_contain_text("delegate logged")
    expect(chat).to_contain_text(f"Done: drain pod {pod.group(1)}", timeout=20_000)
    expect(me.locator(".timeline")).to_contain_text(f"Priya drained pod {pod.group(1)}")
    no_spoilers(me, "war room after the fix")
    expect(me.locator(".timeline")).to_contain_text("GatewayErrorRate resolved", timeout=20_000)
    me.wait_for_timeout(1500)  # a few samples of the recovery (30 simulated seconds a second)

    me.click("#solo-end")
    expect(me.locator(".end-main")).to_be_visible(timeout=20_000)
    roles = me.locator('li.check[data-check="command.roles"]')
    expect(roles).to_have_class(re.compile(r"\bo-met\b"), timeout=20_000)
    expect(roles).to_contain_text("Priya as ops")
    expect(me.locator(".timeline")).to_contain_text(
        "gave Priya a task: view_dashboard api-gateway pod"
    )
    shoot(me, shots, "solo-debrief")
    # what each move did: the same drill replayed without the moves, and the reference play
    me.click('.tab[data-tab="moves"]')
    expect(me.locator(".overlay")).to_have_count(2, timeout=30_000)
    charts = me.evaluate("window.firedrill.debrief()")
    err = charts["api-gateway.err_5xx_pct"]
    assert err["labels"] == ["you", "nobody did anything", "reference strong play"]
    assert err["actions"] == 10 and min(err["points"]) > 10  # yours and your teammates'
    you, nobody, _ = err["last"]
    assert you < 1 < 5 < nobody, err  # the drain ended the errors; untouched, they go on
    expect(me.locator(".move-list li")).to_have_count(10)
    shoot(me, shots, "solo-moves")
    # attempts and a comparison with the reference play
    me.click('.tab[data-tab="attempts"]')
    expect(me.locator(".runs tbody tr.this-run")).to_have_count(1, timeout=20_000)
    me.click("#compare-reference")
    checks = me.locator(".compare-checks")
    expect(checks.locator('tr[data-check="command.roles"]')).to_be_visible(timeout=30_000)
    expect(checks.locator("thead")).to_contain_text("reference strong play")
    expect(me.locator(".aligned tbody tr")).not_to_have_count(0)
    expect(me.locator(".comparison .overlay")).to_have_count(2)
    shoot(me, shots, "solo-compare")
    # the debrief is where the cause is told
    me.click('.tab[data-tab="postmortem"]')
    expect(me.locator(".end-main")).to_contain_text("np-7-n4", timeout=20_000)
    assert low_contrast(me) == [], "text under WCAG AA contrast in the debrief"
    exports(me, server)


# WCAG 2.1 AA: 4.5:1 for text, 3:1 for large text (24 px, or 18.66 px bold); disabled
# controls are exempt. Each element with its own text against the first opaque background
# behind it.
CONTRAST = """() => {
  const rgb = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const bg = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] >= 0.95)) return c.slice(0, 3);
    }
    return rgb(getComputedStyle(document.body).backgroundColor).slice(0, 3);
  };
  const bad = [];
  for (const el of document.querySelectorAll("body *")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.closest("[disabled], [aria-disabled=true], svg, canvas")) continue;
    const cs = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (cs.visibility === "hidden" || cs.opacity === "0" || !box.width || !box.height) continue;
    const fg = rgb(cs.color);
    if (fg.length === 4 && fg[3] < 0.95) continue;
    const [a, b] = [lum(fg.slice(0, 3)), lum(bg(el))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const px = parseFloat(cs.fontSize);
    const large = px >= 24 || (px >= 18.66 && Number(cs.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) bad.push(`${el.tagName.toLowerCase()}.${el.className}: ${ratio.toFixed(2)} "${el.textContent.trim().slice(0, 30)}"`);
  }
  return bad;
}"""


def low_contrast(page: Any) -> list[str]:
    """Visible text below WCAG AA contrast on ``page``."""
    return list(page.evaluate(CONTRAST))


def exports(page: Any, server: str) -> None:
    """The debrief's exports: the postmortem as Markdown (download and clipboard), the log
    as JSON lines equal to the server's export for this player, and a print layout
    without the controls."""
    with page.expect_download() as got:
        page.click("#download-md")
    md = Path(got.value.path()).read_text(encoding="utf-8")
    assert md.startswith("# ") and "np-7-n4" in md
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    page.click("#copy-md")
    page.wait_for_timeout(300)
    assert page.evaluate("navigator.clipboard.readText()") == md
    with page.expect_download() as got:
        page.click("#download-log")
    mine = [json.loads(x) for x in Path(got.value.path()).read_text().splitlines() if x]
    drill_id = page.url.split("/drills/")[1].split("/")[0]
    token = page.evaluate(f"sessionStorage.getItem('firedrill:token:{drill_id}')")
    token = json.loads(token) if token and token.startswith('"') else token
    served = httpx.get(
        f"{server}/api/drills/{drill_id}/log", headers={"Authorization": f"Bearer {token}"}
    )
    assert [e["seq"] for e in mine] == [json.loads(x)["seq"] for x in served.text.splitlines()]
    page.emulate_media(media="print")
    assert not page.locator(".tabs").is_visible() and not page.locator(".end-side").is_visible()
    expect(page.locator(".end-main")).to_be_visible()
    page.emulate_media(media="screen")


def solo_page(server: str, pages: Pages, who: str) -> tuple[Any, dict[str, Any]]:
    """A solo drill made over REST, opened as its player."""
    r = httpx.post(f"{server}/api/solo", json={"scenario": SCENARIO, "seed": 2, "name": who})
    assert r.status_code == 201, r.text
    solo = r.json()
    page = pages(who)
    page.goto(solo["play"])
    expect(page.locator(".room.role-player")).to_be_visible()
    expect(page.locator(".conn")).to_have_text("live")
    return page, solo


def chat_inputs(server: str, solo: dict[str, Any], text: str) -> int:
    log = httpx.get(
        f"{server}/api/drills/{solo['drill_id']}/log",
        headers={"Authorization": f"Bearer {solo['token']}"},
    ).text
    rows = [json.loads(line) for line in log.splitlines() if line.strip()]
    return sum(1 for e in rows if e["type"] == "input" and e["data"].get("text") == text)


def test_offline_inputs_are_queued_and_sent_exactly_once(server: str, pages: Pages) -> None:
    """The offline signal shows; a message sent offline waits, then lands once on reconnect."""
    page, solo = solo_page(server, pages, "olu")
    page.context.set_offline(True)
    expect(page.locator(".conn")).to_have_text("offline")
    expect(page.locator("#banner")).to_contain_text("You are offline")
    page.fill("#chat-input", "posted from the train")
    page.press("#chat-input", "Enter")
    expect(page.locator("#banner")).to_contain_text("1 input queued")
    page.wait_for_timeout(1500)
    assert chat_inputs(server, solo, "posted from the train") == 0
    page.context.set_offline(False)
    expect(page.locator(".conn")).to_have_text("live", timeout=20_000)
    msg = page.locator(".chat-list .msg", has_text="posted from the train")
    expect(msg).to_have_count(1)
    page.wait_for_timeout(1000)
    assert chat_inputs(server, solo, "posted from the train") == 1


def test_players_see_the_character_not_the_interviewer(server: str, pages: Pages) -> None:
    """A facilitator's message and inject reach players as the character; who played it does not."""
    made = httpx.post(
        f"{server}/api/drills", json={"scenario": SCENARIO, "facilitator": "Interviewer"}
    ).json()
    fac = {"Authorization": f"Bearer {made['facilitator_token']}"}
    joined = httpx.post(
        f"{server}/api/drills/{made['drill_id']}/join",
        json={"code": made["player_code"], "name": "kai"},
    ).json()
    page = pages("kai")
    page.goto(f"{server}/drills/{made['drill_id']}/play#token={joined['token']}")
    expect(page.locator(".room.role-player")).to_be_visible()
    expect(page.locator(".clock .status")).to_have_text("waiting for the facilitator")
    say = {"type": "message", "sender": "Angry customer", "role": "customer", "text": "Is it down?"}
    for inp in (say, {"type": "inject", "id": "product-asks"}):
        r = httpx.post(
            f"{server}/api/drills/{made['drill_id']}/inputs", json={"input": inp}, headers=fac
        )
        assert r.status_code == 200, r.text
    chat = page.locator(".chat-list")
    expect(chat.locator(".msg.inject")).to_have_count(2)
    expect(chat).to_contain_text("Angry customer")
    expect(chat).to_contain_text("Product manager, storefront")
    text = page.locator("body").inner_text()
    for leak in ("Interviewer", "spoke as", "fired inject"):
        assert leak not in text, leak
    log = httpx.get(
        f"{server}/api/drills/{made['drill_id']}/log",
        headers={"Authorization": f"Bearer {joined['token']}"},
    ).text
    assert "Interviewer" not in log


LAYOUT = """() => {
  const sizes = [];
  for (const el of document.querySelectorAll('#app *')) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const r = el.getBoundingClientRect();
    if (!own || !r.width || !r.height || getComputedStyle(el).visibility === 'hidden') continue;
    sizes.push([parseFloat(getComputedStyle(el).fontSize), el.className || el.tagName]);
  }
  sizes.sort((a, b) => a[0] - b[0]);
  return {
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    smallest: sizes.slice(0, 3),
    chat: document.querySelector('.chat-list')?.getBoundingClientRect().height ?? 0,
  };
}"""


def group_drill(server: str) -> tuple[dict[str, Any], dict[str, Any]]:
    made = httpx.post(f"{server}/api/drills", json={"scenario": SCENARIO, "seed": 3}).json()
    code = {"code": made["observer_code"]}
    watch = httpx.post(f"{server}/api/drills/{made['drill_id']}/join", json=code).json()
    fac = {"Authorization": f"Bearer {made['facilitator_token']}"}
    url = f"{server}/api/drills/{made['drill_id']}"
    httpx.post(f"{url}/control", json={"action": "start"}, headers=fac)
    httpx.post(f"{url}/control", json={"action": "jump", "seconds": 300}, headers=fac)
    say = {"type": "message", "sender": "Support lead", "role": "support", "text": "Tickets rising"}
    httpx.post(f"{url}/inputs", json={"input": say}, headers=fac)
    return made, watch


def test_phone_and_projector_layouts(server: str, browser: Any, shots: Path) -> None:
    """390x844 observer: no sideways scroll, a usable channel, text >= 12px; projector >= 18px."""
    made, watch = group_drill(server)
    url = f"{server}/drills/{made['drill_id']}/watch#token={watch['token']}"
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = phone.new_page()
    page.goto(url)
    expect(page.locator(".room.role-observer")).to_be_visible()
    expect(page.locator(".chat-list")).to_contain_text("Tickets rising")
    got = page.evaluate(LAYOUT)
    assert got["overflow"] <= 0, got
    assert got["chat"] >= 150, got
    assert got["smallest"][0][0] >= 12, got
    shoot(page, shots, "phone-observer")
    phone.close()

    big = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = big.new_page()
    page.goto(url.replace("/watch#", "/watch?projector#"))
    expect(page.locator("body.projector .room.role-observer")).to_be_visible()
    expect(page.locator(".chat-list")).to_contain_text("Tickets rising")
    got = page.evaluate(LAYOUT)
    assert got["overflow"] <= 0, got
    assert got["smallest"][0][0] >= 18, got
    shoot(page, shots, "projector")
    big.close()
