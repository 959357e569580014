"""``firedrill replay`` and ``firedrill batch``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import orjson

from engine.errors import AuthorError, FiredrillError
from engine.log import parse_jsonl
from engine.postmortem import postmortem_markdown
from engine.timeexpr import format_clock

from ..assets import LIBRARY, REFERENCE
from ..ci.batch import Summary, Task, distribution, run_batch, summaries_json
from ..ci.replay import ReplayError, header, replay
from ..files import library, load_scenario, resolve_scenario
from .headless import EXIT_FAILED, EXIT_INVALID, fail_invalid


@click.command("replay")
@click.argument("log", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--scenario", "scenario_ref", help="Scenario file or id (default: the id in the log)."
)
@click.option(
    "--postmortem",
    "postmortem_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the postmortem draft of the replayed drill.",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write digest, grade and verdict as JSON.",
)
def replay_cmd(
    log: Path, scenario_ref: str | None, postmortem_path: Path | None, json_path: Path | None
) -> None:
    """Re-run a recorded drill LOG (JSON lines) and check it reproduces exactly.

    Exit codes: 0 reproduced, 1 the logs diverge (the error says where), 2 unreadable input.
    """
    from engine.grading import grade

    try:
        recorded = parse_jsonl(log.read_bytes())
        scenario_id, seed = header(recorded)
        sc = load_scenario(scenario_ref or scenario_id)
        result = replay(sc, recorded)
    except AuthorError as exc:
        fail_invalid(exc)
        return
    except (ValueError, ReplayError) as exc:
        click.echo(f"error: {log}: {exc}", err=True)
        sys.exit(EXIT_INVALID)
    events = result.drill.log.events[: len(recorded)]
    g = grade(sc, events)
    digest = result.drill.log.digest() if result.drill.ended else None
    if json_path is not None:
        json_path.write_bytes(
            orjson.dumps(
                {
                    "scenario": sc.id,
                    "seed": seed,
                    "events": len(recorded),
                    "reproduced": result.reproduced,
                    "divergence": result.divergence,
                    "digest": digest,
                    "grade": g.to_dict(),
                },
                option=orjson.OPT_INDENT_2,
            )
        )
    if postmortem_path is not None:
        from engine.postmortem import postmortem

        postmortem_path.write_text(postmortem_markdown(postmortem(sc, events, g)))
    if not result.reproduced:
        click.echo(f"error: {log}: {result.divergence}", err=True)
        sys.exit(EXIT_FAILED)
    click.echo(
        f"reproduced {len(recorded)} events of {sc.id} (seed {seed})"
        + (f", sha256 {digest}" if digest and len(recorded) == len(result.drill.log) else "")
    )
    click.echo("grade: " + ", ".join(f"{k} {v}" for k, v in g.scores.items()))


def _seeds(ctx: click.Context, param: click.Parameter, value: str) -> list[int]:
    try:
        out: list[int] = []
        for part in value.split(","):
            if "-" in part:
                lo, hi = (int(x) for x in part.split("-", 1))
                if hi < lo or hi - lo > 10_000:
                    raise ValueError
                out += range(lo, hi + 1)
            else:
                out.append(int(part))
        if not out or min(out) < 0:
            raise ValueError
        return out
    except ValueError:
        raise click.BadParameter(f"expected seeds like 0-19 or 0,3,7 (got {value!r})") from None


@click.command("batch")
@click.argument("scenarios", nargs=-1)
@click.option(
    "--scripts",
    "scripts_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=REFERENCE,
    show_default="tests/reference",
    help="Folder with <scenario-id>/<script>.yaml.",
)
@click.option(
    "--script",
    "script_paths",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Play this script against every scenario instead (repeatable).",
)
@click.option("--seeds", default="0-9", show_default=True, callback=_seeds)
@click.option("--jobs", type=click.IntRange(min=1), help="Processes (default: all cores).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--min-score",
    type=click.FloatRange(0, 100),
    default=85,
    show_default=True,
    help="A 'strong' script below this overall score counts as failing.",
)
def batch(
    scenarios: tuple[str, ...],
    scripts_dir: Path,
    script_paths: tuple[Path, ...],
    seeds: list[int],
    jobs: int | None,
    json_path: Path | None,
    min_score: float,
) -> None:
    """Run SCENARIOS (default: the library) x scripts x seeds across processes.

    Prints the score distribution per scenario and script, and every seed where
    a script named 'strong' fails (not mitigated within par, or below --min-score).
    Exit 0 when every strong run passes, 1 otherwise, 2 on invalid input.
    """
    refs = list(scenarios) or [p.stem for p in library()]
    tasks: list[Task] = []
    try:
        for ref in refs:
            sc = load_scenario(ref)
            path = str(resolve_scenario(ref))
            scripts = list(script_paths) or sorted((scripts_dir / sc.id).glob("*.yaml"))
            named: list[str | None] = [str(x) for x in scripts]
            for script in named or [None]:
                tasks += [Task(path, script, s) for s in seeds]
    except AuthorError as exc:
        fail_invalid(exc)
        return
    click.echo(f"{len(tasks)} runs: {len(refs)} scenario(s), seeds {seeds[0]}..{seeds[-1]}")
    try:
        summaries = _run_with_progress(tasks, jobs)
    except (AuthorError, FiredrillError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_INVALID)
    dist = distribution(summaries)
    click.echo(
        f"{'scenario':34} {'script':14} {'runs':>4}  overall min/median/max  mitigated  in par"
    )
    for (scenario, script), d in sorted(dist.items()):
        o = d["overall"]
        click.echo(
            f"{scenario:34} {script:14} {d['runs']:>4}  {o['min']:>3} / {o['median']:>5g} / "
            f"{o['max']:>3}        {d['mitigated']:>3}/{d['runs']:<3}  {d['within_par']:>3}"
        )
    bad = [s for s in summaries if s.script == "strong" and _strong_fails(s, min_score)]
    for s in bad:
        ttm = "never" if s.time_to_mitigate is None else format_clock(s.time_to_mitigate)[2:]
        click.echo(
            f"STRONG FAILS: {s.scenario} seed {s.seed}: overall {s.scores['overall']}, "
            f"mitigated after {ttm}",
            err=True,
        )
    if json_path is not None:
        json_path.write_bytes(
            orjson.dumps(
                {
                    "runs": summaries_json(summaries),
                    "distribution": [
                        {"scenario": k[0], "script": k[1], **v} for k, v in sorted(dist.items())
                    ],
                    "strong_failures": [{"scenario": s.scenario, "seed": s.seed} for s in bad],
                },
                option=orjson.OPT_INDENT_2,
            )
        )
    if bad:
        sys.exit(EXIT_FAILED)


def _strong_fails(s: Summary, min_score: float) -> bool:
    return s.scores["overall"] < min_score or s.within_par is False


def _run_with_progress(tasks: list[Task], jobs: int | None) -> list[Summary]:
    if sys.stdout.isatty():
        from rich.progress import Progress

        with Progress(transient=True) as progress:
            bar = progress.add_task("drills", total=len(tasks))
            return run_batch(tasks, jobs, lambda s: progress.advance(bar))
    done = [0]

    def line(s: Summary) -> None:
        done[0] += 1
        click.echo(
            f"[{done[0]}/{len(tasks)}] {s.scenario} {s.script} seed {s.seed}: "
            f"overall {s.scores['overall']}"
        )

    return run_batch(tasks, jobs, line)


__all__ = ["LIBRARY", "batch", "replay_cmd"]
