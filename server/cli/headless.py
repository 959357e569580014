"""``firedrill run`` and ``firedrill validate``: the drill without a server."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
import orjson

from engine.errors import AuthorError, FiredrillError, ScenarioError
from engine.grading import grade_markdown
from engine.loader import load_scenario as parse_scenario
from engine.outcome import Outcome
from engine.postmortem import postmortem_markdown
from engine.scenario import Scenario
from engine.script import DecisionScript, ScriptRun
from engine.timeexpr import format_clock

from ..ci.reports import junit_xml, lost_points, result_dict, step_summary
from ..ci.run import RunResult, run_files
from ..ci.thresholds import Expect, Thresholds, evaluate, parse_expect, unmitigated
from ..files import load_scenario, load_script, read_bytes

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


def fail_invalid(exc: AuthorError) -> None:
    for p in exc.problems:
        click.echo(f"error: {p}", err=True)
    sys.exit(EXIT_INVALID)


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
        lines.append(f"  NOT mitigated: {unmitigated(out)}")
    else:
        lines.append("  impact never crossed the threshold")
    lines += [
        f"  peak users affected {out.peak_users_affected_pct:.1f}%, "
        f"peak 5xx {out.peak_err_5xx_pct:.1f}%",
        f"  failed requests {out.failed_requests:,.0f}, money lost ${out.money_lost:,.0f}, "
        f"impact {out.impact_minutes:.1f} impact-minutes, "
        f"error budget used {out.error_budget_used_pct:.1f}%",
    ]
    if out.rows_corrupted:
        lines.append(f"  rows corrupted {out.rows_corrupted:,.0f}")
    if out.max_consumer_lag:
        lines.append(f"  max consumer lag {out.max_consumer_lag:,.0f} messages")
    for r in run.rejected:
        lines.append(f"  step {r.step} refused at {format_clock(r.t)}: {r.message}")
    for n in run.not_run:
        lines.append(f"  step {n.step} ({n.do}, due {n.due}) never ran: {n.message}")
    lines.append(f"  log: {len(run.drill.log)} events, sha256 {run.drill.log.digest()[:16]}")
    return "\n".join(lines)


def _expect(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[Expect, ...]:
    try:
        return tuple(parse_expect(v) for v in values)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


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
@click.option("--grade", "show_grade", is_flag=True, help="Print the grade (Markdown).")
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the full result (grade, outcome, log digest) as JSON.",
)
@click.option(
    "--junit",
    "junit_path",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write a JUnit XML report (one test case).",
)
@click.option(
    "--postmortem",
    "postmortem_path",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the postmortem draft (Markdown).",
)
@click.option("--min-score", type=click.FloatRange(0, 100), help="Fail below this overall score.")
@click.option(
    "--expect",
    "expects",
    multiple=True,
    callback=_expect,
    metavar="DIM>=N",
    help="Per-dimension threshold, e.g. mitigation>=70 (repeatable).",
)
@click.option(
    "--max-impact-minutes",
    type=click.FloatRange(min=0),
    help="Fail if user-impact minutes exceed this.",
)
@click.option("--max-money-lost", type=click.FloatRange(min=0))
@click.option("--max-rows-corrupted", type=click.FloatRange(min=0))
@click.option("--must-mitigate", is_flag=True, help="Fail if impact is still ongoing at the end.")
@click.option("--within-par", is_flag=True, help="Fail if mitigation took longer than par.")
@click.option(
    "--allow-refused",
    is_flag=True,
    help="Do not fail when a script step is refused by the scenario.",
)
@click.option(
    "--allow-not-run",
    is_flag=True,
    help="Do not fail when the drill ends before a script step falls due.",
)
def run(
    scenario: str,
    script_path: Path | None,
    seed: int,
    log_path: Path | None,
    show_grade: bool,
    json_path: Path | None,
    junit_path: Path | None,
    postmortem_path: Path | None,
    min_score: float | None,
    expects: tuple[Expect, ...],
    max_impact_minutes: float | None,
    max_money_lost: float | None,
    max_rows_corrupted: float | None,
    must_mitigate: bool,
    within_par: bool,
    allow_refused: bool,
    allow_not_run: bool,
) -> None:
    """Play SCENARIO (a file or a library id) headless, as fast as possible.

    Exit codes: 0 passed, 1 a threshold failed, 2 invalid input.
    """
    th = Thresholds(
        min_score=min_score,
        expect=expects,
        max_impact_minutes=max_impact_minutes,
        max_money_lost=max_money_lost,
        max_rows_corrupted=max_rows_corrupted,
        must_mitigate=must_mitigate,
        within_par=within_par,
        allow_refused=allow_refused,
        allow_not_run=allow_not_run,
    )
    try:
        result = run_files(scenario, script_path, seed)
    except AuthorError as exc:
        fail_invalid(exc)
        return
    except FiredrillError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_INVALID)
    result.failures = evaluate(result, th)
    if log_path is not None:
        log_path.write_bytes(result.drill.log.to_jsonl())
    if json_path is not None:
        json_path.write_bytes(orjson.dumps(result_dict(result, th), option=orjson.OPT_INDENT_2))
    if junit_path is not None:
        junit_path.write_text(junit_xml([result]))
    if postmortem_path is not None:
        from engine.postmortem import postmortem

        pm = postmortem(result.scenario, result.drill.log.events, result.grade)
        postmortem_path.write_text(postmortem_markdown(pm))
    append_step_summary([result])
    run_view = ScriptRun(result.drill, result.rejected, result.not_run)
    click.echo(
        describe(
            result.scenario,
            result.outcome,
            run_view,
            result.script.name if script_path else "no response",
        )
    )
    scores = result.grade.scores
    click.echo("  grade: " + ", ".join(f"{k} {v}" for k, v in scores.items()))
    if show_grade:
        click.echo("")
        click.echo(grade_markdown(result.grade))
    if result.failures:
        click.echo("FAILED:", err=True)
        for f in result.failures:
            click.echo(f"  - {f}", err=True)
        for line in lost_points(result.grade, limit=3):
            click.echo(f"  * {line}", err=True)
        sys.exit(EXIT_FAILED)


def append_step_summary(results: list[RunResult]) -> None:
    """Append a Markdown summary to GitHub's job summary when running there."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if target:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(step_summary(results))


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(paths: tuple[Path, ...]) -> None:
    """Check scenario, decision-script and ``*.drill.yaml`` files (exit 0 valid, 2 invalid)."""
    import yaml

    from ..ci.drillfile import load_drill_file, resolve

    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files += sorted(x for x in p.rglob("*.y*ml"))
        else:
            files.append(p)
    bad = 0
    for f in files:
        try:
            text = read_bytes(f, ScenarioError)
            kind = "drill file" if f.name.endswith((".drill.yaml", ".drill.yml")) else _kind(text)
            if kind == "drill file":  # and the scenario and script it names
                spec = load_drill_file(f)
                load_scenario(resolve(f, spec.scenario))
                if spec.script:
                    load_script(resolve(f, spec.script))
            elif kind == "script":
                DecisionScript.from_yaml(text, str(f))
            else:
                parse_scenario(text, str(f))
            click.echo(f"ok: {f} ({kind})")
        except AuthorError as exc:
            bad += 1
            for problem in exc.problems:
                click.echo(f"error: {problem}", err=True)
        except yaml.YAMLError as exc:  # pragma: no cover - load_yaml wraps these
            bad += 1
            click.echo(f"error: {f}: {exc}", err=True)
    if bad:
        click.echo(f"{bad} of {len(files)} file(s) invalid", err=True)
        sys.exit(EXIT_INVALID)


def _kind(text: bytes) -> str:
    head = text[:4000]
    return "script" if b"\nsteps:" in b"\n" + head or head.startswith(b"steps:") else "scenario"


@click.command()
def schema() -> None:
    """Print the scenario JSON Schema (draft-07) to standard output."""
    from engine.schema import scenario_schema_json

    click.echo(scenario_schema_json().decode(), nl=False)
