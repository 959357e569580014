"""Headless CI: exit codes, JSON and JUnit reports, job summary, replay, batch."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema

ROOT = Path(__file__).resolve().parents[2]
REF = ROOT / "tests" / "reference"
SCHEMA = json.loads((ROOT / "docs" / "schemas" / "run-result.schema.json").read_text())


def firedrill(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def test_strong_run_passes_thresholds_and_writes_valid_reports(tmp_path: Path) -> None:
    """Exit 0; the JSON matches its documented schema; JUnit parses with one passing case."""
    out, junit = tmp_path / "r.json", tmp_path / "r.xml"
    summary = tmp_path / "summary.md"
    r = firedrill(
        "run",
        "gateway-bad-pod",
        "--script",
        str(REF / "gateway-bad-pod" / "strong.yaml"),
        "--min-score",
        "85",
        "--expect",
        "mitigation>=70",
        "--must-mitigate",
        "--within-par",
        "--json",
        str(out),
        "--junit",
        str(junit),
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert r.returncode == 0, r.stderr
    data = json.loads(out.read_text())
    jsonschema.validate(data, SCHEMA)
    assert data["passed"] is True and data["failures"] == []
    assert data["thresholds"]["expect"] == ["mitigation>=70"]
    suite = ET.parse(junit).getroot()
    assert (suite.tag, suite.get("tests"), suite.get("failures")) == ("testsuite", "1", "0")
    case = suite.find("testcase")
    assert case is not None and case.get("classname") == "firedrill.gateway-bad-pod"
    assert case.find("failure") is None
    md = summary.read_text()
    assert md.startswith("## firedrill\n") and "| gateway-bad-pod |" in md and "| pass |" in md


def test_failed_threshold_exits_1_and_explains_with_evidence(tmp_path: Path) -> None:
    """The weak run fails --min-score; stderr and JUnit say why, citing log events."""
    junit, out = tmp_path / "r.xml", tmp_path / "r.json"
    r = firedrill(
        "run",
        "checkout-deploy-500s",
        "--script",
        str(REF / "checkout-deploy-500s" / "weak.yaml"),
        "--min-score",
        "80",
        "--junit",
        str(junit),
        "--json",
        str(out),
    )
    assert r.returncode == 1
    assert "FAILED:\n  - overall score" in r.stderr and "is below the minimum 80" in r.stderr
    assert "Stronger:" in r.stderr and "seq " in r.stderr
    failure = ET.parse(junit).getroot().find("testcase/failure")
    assert failure is not None and "below the minimum 80" in (failure.get("message") or "")
    assert "Stronger:" in (failure.text or "")
    data = json.loads(out.read_text())
    jsonschema.validate(data, SCHEMA)
    assert data["passed"] is False


def test_impact_limits_and_mitigation_requirement_fail_a_no_response_run() -> None:
    """Nobody acting: --must-mitigate and --max-impact-minutes both fail, exit 1."""
    r = firedrill("run", "gateway-bad-pod", "--must-mitigate", "--max-impact-minutes", "0.5")
    assert r.returncode == 1
    assert "impact was not mitigated" in r.stderr and "impact-minutes exceeds 0.5" in r.stderr


def test_invalid_threshold_flags_exit_2_with_the_expected_form() -> None:
    """Garbage thresholds are usage errors naming the expected form."""
    r = firedrill("run", "gateway-bad-pod", "--expect", "speed>=9")
    assert r.returncode == 2 and "unknown dimension 'speed'" in r.stderr
    r = firedrill("run", "gateway-bad-pod", "--expect", "mitigation=>70")
    assert r.returncode == 2 and "expected DIMENSION>=NUMBER such as mitigation>=70" in r.stderr
    r = firedrill("run", "gateway-bad-pod", "--min-score", "140")
    assert r.returncode == 2 and "140" in r.stderr


def test_refused_script_step_fails_unless_allowed(tmp_path: Path) -> None:
    """A runbook step the scenario no longer accepts turns CI red (the runbook drifted)."""
    script = tmp_path / "drift.yaml"
    script.write_text(
        "name: drift\nsteps:\n  - {at: page+1m, do: drain_pod, service: edge-gw, pod: x}\n"
    )
    r = firedrill("run", "gateway-bad-pod", "--script", str(script))
    assert r.returncode == 1 and "script step 0 was refused" in r.stderr
    assert "unknown service 'edge-gw'; valid: api-gateway" in r.stderr
    assert (
        firedrill("run", "gateway-bad-pod", "--script", str(script), "--allow-refused").returncode
        == 0
    )


def test_replay_reproduces_a_recorded_log_and_detects_tampering(tmp_path: Path) -> None:
    """A --log file replays to the same digest; an edited event is located by seq and field."""
    log = tmp_path / "d.jsonl"
    firedrill(
        "run",
        "orders-consumer-lag",
        "--script",
        str(REF / "orders-consumer-lag" / "strong.yaml"),
        "--seed",
        "2",
        "--log",
        str(log),
    )
    ok = firedrill("replay", str(log))
    assert ok.returncode == 0, ok.stderr
    digest = __import__("hashlib").sha256(log.read_bytes()).hexdigest()
    assert f"sha256 {digest}" in ok.stdout
    lines = log.read_text().splitlines()
    # Someone "improves" the evidence: money lost at one sample is edited down.
    n = next(
        i for i, line in enumerate(lines) if '"type":"metrics"' in line and i > len(lines) // 2
    )
    lines[n] = re.sub(r'"business.money_lost":[0-9.]+', '"business.money_lost":1.0', lines[n])
    tampered = tmp_path / "t.jsonl"
    tampered.write_text("\n".join(lines) + "\n")
    bad = firedrill("replay", str(tampered))
    assert bad.returncode == 1
    assert f"logs diverge at seq {n + 1}" in bad.stderr
    assert "data.values.business.money_lost: recorded 1.0, replayed " in bad.stderr


def test_replay_rejects_garbage_logs(tmp_path: Path) -> None:
    """Not JSON lines, or no header: exit 2 with the reason."""
    junk = tmp_path / "junk.jsonl"
    junk.write_text("this is not json\n")
    r = firedrill("replay", str(junk))
    assert r.returncode == 2 and "line 1: not a drill log event" in r.stderr
    headless = tmp_path / "h.jsonl"
    headless.write_text('{"seq":1,"t":0,"actor":"system","type":"metrics","data":{}}\n')
    r = firedrill("replay", str(headless))
    assert r.returncode == 2 and "does not start with a drill.created event" in r.stderr


def test_batch_prints_distribution_and_writes_json(tmp_path: Path) -> None:
    """A small batch over two processes: per-script distribution, no strong failures, exit 0."""
    out = tmp_path / "b.json"
    r = firedrill("batch", "new-checkout-flag", "--seeds", "0-3", "--jobs", "2", "--json", str(out))
    assert r.returncode == 0, r.stderr
    data = json.loads(out.read_text())
    assert len(data["runs"]) == 4 * len(list((REF / "new-checkout-flag").glob("*.yaml")))
    assert data["strong_failures"] == []
    strong = next(d for d in data["distribution"] if d["script"] == "strong")
    assert strong["runs"] == 4 and strong["overall"]["min"] >= 85
    assert "[4/" in r.stdout  # plain progress lines when not on a terminal


def test_batch_flags_seeds_where_the_strong_script_fails(tmp_path: Path) -> None:
    """A 'strong' script that does nothing fails on every seed: listed, exit 1."""
    scripts = tmp_path / "refs" / "new-checkout-flag"
    scripts.mkdir(parents=True)
    (scripts / "strong.yaml").write_text(
        "name: idle\nsteps:\n  - {at: page+1m, do: chat, text: hi}\n"
    )
    r = firedrill(
        "batch",
        "new-checkout-flag",
        "--scripts",
        str(tmp_path / "refs"),
        "--seeds",
        "0,1",
        "--jobs",
        "1",
    )
    assert r.returncode == 1
    assert "STRONG FAILS: new-checkout-flag seed 0" in r.stderr
    assert "STRONG FAILS: new-checkout-flag seed 1" in r.stderr
    r = firedrill("batch", "--seeds", "9-1")
    assert r.returncode == 2 and "expected seeds like 0-19 or 0,3,7" in r.stderr


def test_a_rollback_that_corrupts_rows_is_not_mitigated(tmp_path: Path) -> None:
    """--must-mitigate fails the harmful loyalty rollback: errors stop, corruption goes on."""
    r = firedrill(
        "run",
        "loyalty-irreversible-migration",
        "--script",
        str(REF / "loyalty-irreversible-migration" / "harmful.yaml"),
        "--must-mitigate",
        "--within-par",
        "--allow-refused",
    )
    assert r.returncode == 1, r.stdout
    assert "NOT mitigated: 0.0% of users affected at the end; rows corrupted still growing" in (
        r.stdout
    )
    assert "  - impact was not mitigated: 0.0% of users affected at the end; rows corrupted " in (
        r.stderr
    )


def test_steps_the_drill_ended_before_are_reported_and_fail_the_run(tmp_path: Path) -> None:
    """A step due at page+40m of a 30-minute drill never runs: said, and exit 1 unless
    --allow-not-run."""
    script = tmp_path / "late.yaml"
    script.write_text(
        "name: late\nsteps:\n"
        "  - {at: page, do: take_command}\n"
        "  - {at: page+40m, do: status_update, audience: public, state: resolved, "
        'impact: "All good."}\n'
    )
    r = firedrill("run", "new-checkout-flag", "--script", str(script))
    assert r.returncode == 1, r.stdout
    line = "step 1 (status_update, due page+40m) never ran: the drill ended at "
    assert line in r.stdout
    assert "  - script step 1 (status_update, due page+40m) never ran: the drill ended at " in (
        r.stderr
    )
    ok = firedrill("run", "new-checkout-flag", "--script", str(script), "--allow-not-run")
    assert ok.returncode == 0, ok.stderr
    assert line in ok.stdout
