"""`firedrill run / validate / schema` from a shell: outputs and exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from engine.log import parse_jsonl

ROOT = Path(__file__).resolve().parents[2]
BAD = Path(__file__).parent / "bad_scenarios"


def firedrill(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_run_prints_the_outcome_and_writes_the_log(tmp_path: Path) -> None:
    """A headless run plays a library scenario by id and writes JSON lines."""
    log = tmp_path / "out.jsonl"
    script = tmp_path / "s.yaml"
    script.write_text(
        "name: roll\nsteps:\n  - {at: page+1m, do: rollback, service: checkout-api}\n"
    )
    r = firedrill(
        "run", "checkout-deploy-500s", "--script", str(script), "--seed", "3", "--log", str(log)
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("checkout-deploy-500s (seed 3) played with roll\n  paged at T+")
    assert "  mitigated at T+" in r.stdout
    events = parse_jsonl(log.read_bytes())
    assert events[0].type == "drill.created" and events[-1].type == "drill.ended"


def test_validate_accepts_the_library_and_rejects_bad_files() -> None:
    """validate exits 0 on the library, 2 with file:line errors on bad input."""
    ok = firedrill("validate", "scenarios")
    assert ok.returncode == 0 and ok.stdout.count("ok: ") >= 6
    bad = firedrill("validate", str(BAD / "unknown_field.yaml"), str(BAD / "bad_pct.yaml"))
    assert bad.returncode == 2
    assert (
        f"error: {BAD / 'unknown_field.yaml'} line 10: `dificulty` is not a known field"
        in bad.stderr
    )
    assert bad.stderr.strip().endswith("2 of 2 file(s) invalid")


def test_bad_flags_and_missing_files_are_clear_errors(tmp_path: Path) -> None:
    """Garbage on the command line: usage errors (2) that say what was wrong."""
    r = firedrill("run", "checkout-deploy-500s", "--seed", "minus-one")
    assert r.returncode == 2 and "'minus-one' is not a valid integer" in r.stderr
    r = firedrill("run", "no-such-scenario")
    assert (
        r.returncode == 2
        and "no-such-scenario: is neither a file nor the id of a library scenario" in r.stderr
    )
    junk = tmp_path / "junk.yaml"
    junk.write_bytes(b"\xff\xfe\x00garbage")
    r = firedrill("run", str(junk))
    assert r.returncode == 2 and "expected UTF-8 text, found byte 0xff at offset 0" in r.stderr
    r = firedrill("run", "checkout-deploy-500s", "--script", str(junk))
    assert r.returncode == 2 and "junk.yaml" in r.stderr
    r = firedrill("frobnicate")
    assert r.returncode == 2 and "No such command 'frobnicate'" in r.stderr


def test_schema_command_prints_the_committed_schema() -> None:
    """`firedrill schema` regenerates scenarios/scenario.schema.json exactly."""
    r = firedrill("schema")
    assert r.returncode == 0
    assert r.stdout == (ROOT / "scenarios" / "scenario.schema.json").read_text()
