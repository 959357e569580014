"""``firedrill run`` and ``firedrill validate``: the drill without a server."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from engine.drill import Drill
from engine.errors import AuthorError, FiredrillError
from engine.outcome import Outcome, outcome
from engine.scenario import Scenario
from engine.script import DecisionScript, ScriptRun, play
from engine.timeexpr import format_clock

from ..files import load_scenario, load_script, read_bytes

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


def fail_invalid(exc: AuthorError) -> None:
    for p in exc.problems:
        click.echo(f"error: {p}", err=True)
    sys.exit(EXIT_INVALID)


def headless(scenario: Scenario, script: DecisionScript | None, seed: int) -> ScriptRun:
    drill = Drill(scenario, seed=seed)
    return play(drill, script or DecisionScript(name="no-op", steps=[]))


def describe(scenario: Scenario, out: Outcome, run: ScriptRun, script_name: str) -> str:
    lines = [f"{scenario.id} (seed {run.drill.seed}) played with {script_name}"]
    if out.page_at is None:
        lines.append("  no page fired")
    else:
        lines.append(f"  paged at {format_clock(out.page_at)}")
    par = scenario.grading.par_mitigate
    if out.mitigated_at is not None:
        ttm = (
            f", {format_clock(out.time_to_mitigate or 0.0)[2:]} after the page"
            if out.page_at is not None
            else ""
        )
        par_s = f" (par {format_clock(par)[2:]})" if par else ""
        lines.append(f"  mitigated at {format_clock(out.mitigated_at)}{ttm}{par_s}")
    elif out.impact_started_at is not None:
        lines.append(
            f"  NOT mitigated: {out.final_users_affected_pct:.1f}% of users affected at the end"
        )
    else:
        lines.append("  impact never crossed the threshold")
    lines += [
        f"  peak users affected {out.peak_users_affected_pct:.1f}%, "
        f"peak 5xx {out.peak_err_5xx_pct:.1f}%",
        f"  failed requests {out.failed_requests:,.0f}, money lost ${out.money_lost:,.0f}, "
        f"impact {out.impact_minutes:.1f} user-minutes, "
        f"error budget used {out.error_budget_used_pct:.1f}%",
    ]
    if out.rows_corrupted:
        lines.append(f"  rows corrupted {out.rows_corrupted:,.0f}")
    if out.max_consumer_lag:
        lines.append(f"  max consumer lag {out.max_consumer_lag:,.0f} messages")
    for r in run.rejected:
        lines.append(f"  step {r.step} refused at {format_clock(r.t)}: {r.message}")
    lines.append(f"  log: {len(run.drill.log)} events, sha256 {run.drill.log.digest()[:16]}")
    return "\n".join(lines)


@click.command()
@click.argument("scenario")
@click.option(
    "--script",
    "script_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Decision script (YAML) to play; omitted = nobody responds.",
)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option(
    "--log",
    "log_path",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the drill log here as JSON lines.",
)
def run(scenario: str, script_path: Path | None, seed: int, log_path: Path | None) -> None:
    """Play SCENARIO (a file or a library id) headless, as fast as possible."""
    try:
        sc = load_scenario(scenario)
        script = load_script(script_path) if script_path else None
    except AuthorError as exc:
        fail_invalid(exc)
        return
    try:
        result = headless(sc, script, seed)
    except FiredrillError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_INVALID)
    out = outcome(sc, result.drill.log.events)
    if log_path is not None:
        log_path.write_bytes(result.drill.log.to_jsonl())
    click.echo(describe(sc, out, result, script.name if script else "no response"))


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(paths: tuple[Path, ...]) -> None:
    """Check scenario and decision-script files (exit 0 valid, 2 invalid)."""
    import yaml

    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files += sorted(x for x in p.rglob("*.y*ml"))
        else:
            files.append(p)
    bad = 0
    for f in files:
        try:
            text = read_bytes(f, _kind_error(f))
            kind = _kind(text)
            if kind == "script":
                DecisionScript.from_yaml(text, str(f))
            else:
                Scenario.from_yaml(text, str(f))
            click.echo(f"ok: {f} ({kind})")
        except AuthorError as exc:
            bad += 1
            for p in exc.problems:
                click.echo(f"error: {p}", err=True)
        except yaml.YAMLError as exc:  # pragma: no cover - load_yaml wraps these
            bad += 1
            click.echo(f"error: {f}: {exc}", err=True)
    if bad:
        click.echo(f"{bad} of {len(files)} file(s) invalid", err=True)
        sys.exit(EXIT_INVALID)


def _kind(text: bytes) -> str:
    head = text[:4000]
    return "script" if b"\nsteps:" in b"\n" + head or head.startswith(b"steps:") else "scenario"


def _kind_error(path: Path) -> type[AuthorError]:
    from engine.errors import ScenarioError

    return ScenarioError


@click.command()
def schema() -> None:
    """Print the scenario JSON Schema (draft-07) to standard output."""
    from engine.schema import scenario_schema_json

    click.echo(scenario_schema_json().decode(), nl=False)
