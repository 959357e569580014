"""The scenario library: every shipped scenario is valid, winnable, worth playing and golden.

Reference scripts live in tests/reference/<id>/{strong,weak,harmful,wrong-move}.yaml;
stored outcomes in tests/golden/<id>/<script>.json (regenerate them with
``python -m tests.golden.regen`` after a deliberate model change).
"""

from __future__ import annotations

import difflib
import functools
import json
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.choices import placeholders
from engine.drill import Drill
from engine.loader import load_scenario, scenario_from_dict
from engine.outcome import Outcome, outcome
from engine.scenario import Scenario
from engine.script import DecisionScript, play
from engine.selfcheck import HOLD, PAR_TOLERANCE, check, errors, spoilers
from tests.golden.regen import GOLDEN, dumps, path_for, record, scripts_for

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "scenarios"
REFERENCE = ROOT / "tests" / "reference"
IDS = sorted(p.stem for p in LIBRARY.glob("*.yaml"))
SEEDS = (0, 1, 2)
NOBODY = DecisionScript(name="no-op", steps=[])

# The figure on which each scenario's harmful play is visibly worse than its strong play.
HARM_FIGURE = {
    "card-network-timeouts": "impact_minutes",
    "checkout-deploy-500s": "impact_minutes",
    "cloudflare-waf-regex": "impact_minutes",
    "gateway-bad-pod": "impact_minutes",
    "inngest-pgbouncer-exhaustion": "impact_minutes",
    "loyalty-irreversible-migration": "rows_corrupted",
    "new-checkout-flag": "money_lost",
    "orders-consumer-lag": "impact_minutes",
    "launcher-login-mtls-expiry": "impact_minutes",
    "product-pages-cold-cache": "impact_minutes",
    "sms-otp-rate-limited": "impact_minutes",
    "session-store-retry-herd": "impact_minutes",
    "us-east-regional-outage": "impact_minutes",
    "upload-api-disk-full": "impact_minutes",
    "cloudflare-logs-fail-open-flood": "impact_minutes",
    "delivery-orders-mixed-errors": "impact_minutes",
    "edge-config-crash-fleet": "impact_minutes",
    "settlement-import-stale-writer": "rows_corrupted",
    "shop-autoscaler-cold-start-loop": "impact_minutes",
    "slack-first-day-back-tgw": "impact_minutes",
    "square-settings-db-readmit": "impact_minutes",
    "wikimedia-kafka-broker-reboot": "impact_minutes",
    "kv-endpoint-empty-dns": "impact_minutes",
    "roblox-consul-blind-recovery": "impact_minutes",
    "cloudflare-backbone-atlanta-leak": "impact_minutes",
    "slack-boot-cache-metastable": "impact_minutes",
}


@cache
def scenario(sid: str) -> Scenario:
    path = LIBRARY / f"{sid}.yaml"
    return load_scenario(path.read_bytes(), str(path))


@cache
def script(sid: str, kind: str) -> DecisionScript:
    if kind == "noop":
        return NOBODY
    path = REFERENCE / sid / f"{kind}.yaml"
    return DecisionScript.from_yaml(path.read_bytes(), str(path))


@cache
def run(sid: str, kind: str, seed: int) -> tuple[Outcome, tuple[str, ...]]:
    """(outcome, refused steps) of one headless play, computed once per session."""
    sc = scenario(sid)
    drill = Drill(sc, seed=seed)
    result = play(drill, script(sid, kind))
    refused = tuple(f"step {r.step}: {r.message}" for r in result.rejected)
    return outcome(sc, drill.log.events), refused


def firedrill(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_library_holds_each_scenario_with_four_reference_scripts() -> None:
    """Every library scenario ships strong, weak, harmful and wrong-move reference scripts."""
    assert IDS == [
        "card-network-timeouts",
        "checkout-deploy-500s",
        "cloudflare-backbone-atlanta-leak",
        "cloudflare-logs-fail-open-flood",
        "cloudflare-waf-regex",
        "delivery-orders-mixed-errors",
        "edge-config-crash-fleet",
        "gateway-bad-pod",
        "inngest-pgbouncer-exhaustion",
        "kv-endpoint-empty-dns",
        "launcher-login-mtls-expiry",
        "loyalty-irreversible-migration",
        "new-checkout-flag",
        "orders-consumer-lag",
        "product-pages-cold-cache",
        "roblox-consul-blind-recovery",
        "session-store-retry-herd",
        "settlement-import-stale-writer",
        "shop-autoscaler-cold-start-loop",
        "slack-boot-cache-metastable",
        "slack-first-day-back-tgw",
        "sms-otp-rate-limited",
        "square-settings-db-readmit",
        "upload-api-disk-full",
        "us-east-regional-outage",
        "wikimedia-kafka-broker-reboot",
    ]
    assert sorted(p.name for p in REFERENCE.iterdir()) == IDS
    for sid in IDS:
        assert sorted(p.name for p in (REFERENCE / sid).iterdir()) == [
            "harmful.yaml",
            "strong.yaml",
            "weak.yaml",
            "wrong-move.yaml",
        ]
    assert sorted(HARM_FIGURE) == IDS


@pytest.mark.parametrize("sid", IDS)
def test_scenario_and_its_scripts_validate(sid: str) -> None:
    """The scenario and its reference scripts load; it lasts 30-45 minutes and has injects."""
    sc = scenario(sid)
    assert sc.id == sid
    assert 1800 <= sc.duration <= 2700
    assert sc.injects and sc.grading.correct and sc.grading.par_mitigate is not None
    for kind in ("strong", "weak", "harmful", "wrong-move"):
        assert script(sid, kind).name == f"{sid} {kind}"


@pytest.mark.parametrize("sid", IDS)
def test_each_scenario_names_its_giveaways_and_its_title_avoids_them(sid: str) -> None:
    """The words that name the cause or the fix are declared, so `firedrill check` keeps
    them out of the title, symptom and audience players read before they look."""
    sc = scenario(sid)
    assert len(sc.truth.giveaways) >= 3 and sc.symptom and sc.audience
    assert spoilers(sc) == []


@pytest.mark.parametrize("sid", IDS)
def test_real_incident_scenarios_cite_their_source(sid: str) -> None:
    """A scenario modelled on a public incident names it: title, URL, whose, and when."""
    sc = scenario(sid)
    if sc.scenario_class == "real-incident":
        assert sc.source is not None and sc.source.url.startswith("https://")
    if sc.source is not None:
        assert sc.source.organisation and sc.source.date, sc.source


@pytest.mark.parametrize("sid", IDS)
def test_strong_play_mitigates_within_par_on_every_seed(sid: str) -> None:
    """The strong reference play ends impact within par (+1 min) with no step refused."""
    par = scenario(sid).grading.par_mitigate
    assert par is not None
    for seed in SEEDS:
        out, refused = run(sid, "strong", seed)
        assert refused == ()
        assert out.page_at is not None and out.impact_started_at is not None
        assert out.time_to_mitigate is not None, f"seed {seed}: not mitigated"
        assert out.time_to_mitigate <= par + PAR_TOLERANCE, f"seed {seed}"
        assert out.rows_corrupted == 0.0


@pytest.mark.parametrize("sid", IDS)
def test_doing_nothing_keeps_or_worsens_impact(sid: str) -> None:
    """Nobody responding: after 3+ minutes of baseline a page fires and impact never ends."""
    threshold = scenario(sid).grading.impact_threshold_pct
    for seed in SEEDS:
        out, _ = run(sid, "noop", seed)
        assert out.page_at is not None and out.page_at >= 180
        assert out.impact_started_at is not None and out.impact_started_at <= out.page_at + 300
        assert out.mitigated_at is None, f"seed {seed}: recovered by itself"
        assert out.peak_users_affected_pct >= threshold


# Scenarios whose timing must not vary with the seed, and why.
FIXED_TIMING = {
    "settlement-import-stale-writer": "the stale writer must not run before the acquirer feed "
    "returns, so the outage's times are fixed; traffic noise still differs",
}


@pytest.mark.parametrize("sid", IDS)
def test_each_seed_plays_the_scenario_differently(sid: str) -> None:
    """Seeded jitter (fault onsets, which pod or cache entry goes first) moves the page:
    a candidate who has seen seed 0 cannot replay it from memory on seed 1."""
    pages = {run(sid, "noop", seed)[0].page_at for seed in SEEDS}
    if sid in FIXED_TIMING:
        assert len(pages) == 1, "remove it from FIXED_TIMING: its timing varies now"
    else:
        assert len(pages) == len(SEEDS), f"the page comes at {sorted(pages)} on seeds {SEEDS}"


SEED_CHOSEN = sorted(sid for sid in IDS if scenario(sid).choices)


def test_several_scenarios_draw_their_red_herrings_from_the_seed() -> None:
    """At least three library scenarios name a seed-chosen value (`choices`)."""
    assert SEED_CHOSEN == [
        "cloudflare-waf-regex",
        "delivery-orders-mixed-errors",
        "edge-config-crash-fleet",
    ]


@pytest.mark.parametrize("sid", SEED_CHOSEN)
def test_each_seed_draws_another_value_and_the_drill_names_it(sid: str) -> None:
    """Seeds 0, 1 and 2 do not all draw the same value, and the drawn value is what the
    drill's feed, logs and truth say (no placeholder left)."""
    written = scenario(sid).model_dump(by_alias=True)
    drawn = []
    for seed in SEEDS:
        d = Drill(scenario(sid), seed=seed)
        played = d.scenario.model_dump(by_alias=True)
        assert "${" not in json.dumps(played)
        for path, name in placeholders(written):
            text = functools.reduce(lambda node, key: node[key], path, played)
            assert d.choices[name] in text, (path, text)
        drawn.append(tuple(d.choices.values()))
    assert len(set(drawn)) > 1, f"seeds {SEEDS} all draw {drawn[0]}"


@pytest.mark.parametrize("sid", IDS)
def test_harmful_play_is_visibly_worse_than_strong(sid: str) -> None:
    """The trap costs at least twice the strong play on the scenario's named figure."""
    figure = HARM_FIGURE[sid]
    strong = getattr(run(sid, "strong", 0)[0], figure)
    harmful = getattr(run(sid, "harmful", 0)[0], figure)
    assert harmful > 2 * strong and harmful > 0, f"{figure}: harmful {harmful}, strong {strong}"


@pytest.mark.parametrize("sid", IDS)
def test_weak_play_misses_par_or_never_mitigates(sid: str) -> None:
    """ "Find the bug, fix it, deploy" never beats par."""
    par = scenario(sid).grading.par_mitigate or 0.0
    out, _ = run(sid, "weak", 0)
    assert out.time_to_mitigate is None or out.time_to_mitigate > par + PAR_TOLERANCE


def _golden_cases() -> list[tuple[str, str]]:
    return [(sid, kind) for sid in IDS for kind in ("noop", "strong", "weak", "harmful")]


@pytest.mark.parametrize(("sid", "kind"), _golden_cases())
def test_golden_outcome_matches(sid: str, kind: str) -> None:
    """A fresh seed-0 play equals the stored golden outcome (regen: python -m tests.golden.regen)."""
    path = path_for(sid, kind)
    assert path.exists(), f"missing {path.relative_to(ROOT)}: run python -m tests.golden.regen"
    stored: dict[str, Any] = json.loads(path.read_text())
    fresh: dict[str, Any] = json.loads(json.dumps(record(scenario(sid), kind, script(sid, kind))))
    if stored.get("grade") is None:  # the grade slot stays empty until regenerated
        fresh["grade"] = None
    if fresh != stored:
        diff = "".join(
            difflib.unified_diff(
                dumps(stored).splitlines(keepends=True),
                dumps(fresh).splitlines(keepends=True),
                str(path.relative_to(ROOT)),
                "fresh run",
                n=1,
            )
        )
        pytest.fail(
            f"{sid}/{kind} differs from its golden file. If the change is deliberate, "
            f"run `python -m tests.golden.regen {sid}` and review the diff.\n{diff[:6000]}"
        )


def test_golden_folder_holds_exactly_the_reference_plays() -> None:
    """No stale golden files: one per scenario and reference play."""
    stored = sorted(str(p.relative_to(GOLDEN)) for p in GOLDEN.glob("*/*.json"))
    expected = sorted(f"{sid}/{kind}.json" for sid in IDS for kind in scripts_for(sid))
    assert stored == expected


@pytest.mark.parametrize("sid", IDS)
def test_selfcheck_passes(sid: str) -> None:
    """The self-check finds no error for a library scenario and its reference plays."""
    findings = check(
        scenario(sid),
        script(sid, "strong"),
        SEEDS,
        script(sid, "harmful"),
        script(sid, "wrong-move"),
    )
    assert [str(f) for f in errors(findings)] == []


@pytest.mark.parametrize("sid", IDS)
def test_the_wrong_move_does_not_mitigate(sid: str) -> None:
    """The plausible move that would not work in reality (a restart for a bug every pod
    runs, scale-out for a shared cause, rollback of the innocent deploy) leaves users hurt
    in the last minutes (a lull of HOLD seconds at most) on every seed, all steps played."""
    for seed in SEEDS:
        out, refused = run(sid, "wrong-move", seed)
        assert refused == ()
        assert out.mitigated_at is None or out.mitigated_at > scenario(sid).duration - HOLD, seed
        assert out.impact_minutes > 0


def _variant(sid: str, edit: dict[str, Any]) -> Scenario:
    data = yaml.safe_load((LIBRARY / f"{sid}.yaml").read_text())
    data.update(edit)
    return scenario_from_dict(data)


def test_selfcheck_flags_a_scenario_that_recovers_by_itself() -> None:
    """If the fault heals on its own before the end, doing nothing is reported as winning."""
    data = yaml.safe_load((LIBRARY / "card-network-timeouts.yaml").read_text())
    data["faults"][0]["recover_at"] = "20m"
    data["faults"][0]["jitter"] = 0
    sc = scenario_from_dict(data)
    found = [
        f
        for f in check(sc, script("card-network-timeouts", "strong"), (0,))
        if f.code.startswith("noop")
    ]
    assert [str(f) for f in found] == [
        "error: [noop.recovers] seed 0: doing nothing recovers by itself at T+20:10 "
        "with no data damage"
    ]


def test_selfcheck_flags_a_strong_play_slower_than_par() -> None:
    """A par tighter than the strong play can reach is an error naming both times."""
    sc = _variant(
        "gateway-bad-pod",
        {
            "grading": {
                **yaml.safe_load((LIBRARY / "gateway-bad-pod.yaml").read_text())["grading"],
                "par_mitigate": "1m",
            }
        },
    )
    found = [
        str(f)
        for f in check(sc, script("gateway-bad-pod", "strong"), (0,))
        if f.code == "strong.par"
    ]
    assert found == [
        "error: [strong.par] seed 0: gateway-bad-pod strong mitigates 03:05 after the page; "
        "par is 01:00 (+60s)"
    ]


def test_selfcheck_flags_a_grading_target_of_the_wrong_kind() -> None:
    """A grading rule's target must be the kind of component its action acts on."""
    grading = yaml.safe_load((LIBRARY / "new-checkout-flag.yaml").read_text())["grading"]
    grading["correct"].append(
        {
            "action": "set_breaker",
            "target": "one-page-checkout",
            "why": "a flag is not a dependency",
        }
    )
    sc = _variant("new-checkout-flag", {"grading": grading})
    found = [
        str(f)
        for f in check(sc, script("new-checkout-flag", "strong"), (0,))
        if f.code.startswith("grading")
    ]
    assert found == [
        "error: [grading.target] grading.correct[1]: set_breaker target 'one-page-checkout' "
        "names no dependency of this scenario",
    ]


def test_check_cli_defaults_to_the_whole_library() -> None:
    """With no arguments `firedrill check` checks every library scenario."""
    r = firedrill("check", "--seeds", "0")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines() == [
        *(f"{sid}: ok (seeds 0, {sid} strong)" for sid in IDS),
        f"all {len(IDS)} scenario(s) pass",
    ]


BROKEN_EXTRA = """
  - {name: GhostAlert, metric: api-gateway.cpu_pct, op: ">", threshold: 99, severity: ticket}
"""


def test_check_cli_fails_a_broken_scenario_with_clear_messages(tmp_path: Path) -> None:
    """A scenario with an unused dependency and an inject that never fires exits 1."""
    text = (LIBRARY / "gateway-bad-pod.yaml").read_text()
    text = text.replace("id: gateway-bad-pod", "id: broken-gateway")
    text = text.replace("topology:\n", "topology:\n  dependencies:\n    - {name: status-api}\n", 1)
    text = text.replace(
        "injects:\n",
        "injects:\n  - {id: ghost, when: {alert: GhostAlert}, from: Nobody, text: never sent}\n",
        1,
    )
    text = text.replace("alerts:\n", "alerts:" + BROKEN_EXTRA, 1)
    broken = tmp_path / "broken-gateway.yaml"
    broken.write_text(text)
    strong = REFERENCE / "gateway-bad-pod" / "strong.yaml"
    r = firedrill("check", str(broken), "--script", str(strong), "--seeds", "0")
    assert r.returncode == 1
    assert r.stdout.splitlines() == [
        "broken-gateway: FAILED, 2 error(s), 0 warning(s) (seeds 0, gateway-bad-pod strong)",
        "  error: [unused.dependency] dependency status-api is called by no endpoint, so its "
        "faults and breaker change nothing",
        "  error: [unreached.inject] inject ghost never fires when nobody responds: its alert "
        "GhostAlert never fires",
    ]
    assert r.stderr == "1 of 1 scenario(s) failed the self-check\n"


def test_check_cli_reports_an_invalid_scenario_and_exits_2(tmp_path: Path) -> None:
    """A scenario that does not validate is reported with its located error, exit 2."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (LIBRARY / "gateway-bad-pod.yaml")
        .read_text()
        .replace("difficulty: beginner", "dificulty: beginner")
    )
    r = firedrill("check", str(bad), "--seeds", "0")
    assert r.returncode == 2
    assert r.stdout.splitlines()[0] == f"{bad}: INVALID"
    assert f"  error: {bad} line 10: `dificulty` is not a known field" in r.stdout
    assert r.stderr == "1 of 1 scenario(s) invalid, 0 failed\n"
