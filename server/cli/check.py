"""``firedrill check``: self-check scenarios against their strong reference scripts.

Loads each scenario (a library id or a path), its strong script and, when
there are, its harmful script (alerts and injects that only react to harm
count as reachable if the harmful play sets them off) and its wrong-move
script (the plausible move that must not mitigate), runs
:func:`engine.selfcheck.check` over the seeds and prints one block per
scenario. Exit 0 when no scenario has an error finding, 1 when one has, 2 when
a scenario or script file cannot be read or is invalid.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from engine.errors import AuthorError
from engine.scenario import Scenario
from engine.script import DecisionScript
from engine.selfcheck import check as selfcheck
from engine.selfcheck import errors

from ..assets import LIBRARY, REFERENCE
from ..files import library, load_scenario, load_script, resolve_scenario

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


def reference_script(scenario: Scenario, path: Path, kind: str = "strong") -> Path:
    """Where the ``kind`` reference script of ``scenario`` (loaded from ``path``) lives.

    ``tests/reference/<id>/<kind>.yaml`` beside the scenarios folder the file
    sits in (a checkout of this layout), else the reference scripts firedrill ships.
    """
    beside = path.resolve().parent.parent / "tests" / "reference" / scenario.id / f"{kind}.yaml"
    return beside if beside.exists() else REFERENCE / scenario.id / f"{kind}.yaml"


def _seeds(value: str) -> list[int]:
    try:
        seeds = [int(s) for s in value.split(",") if s.strip()]
    except ValueError:
        raise click.BadParameter(
            f"expected comma-separated integers such as 0,1,2 (got {value!r})"
        ) from None
    if not seeds or any(s < 0 for s in seeds):
        raise click.BadParameter(f"expected one or more seeds >= 0 (got {value!r})")
    return seeds


def _expand(refs: tuple[str, ...]) -> list[str]:
    """Each directory among ``refs`` stands for its ``*.yaml`` files, sorted."""
    out: list[str] = []
    for ref in refs:
        p = Path(ref)
        if p.is_dir():
            found = sorted(str(f) for f in p.glob("*.yaml"))
            if not found:
                click.echo(f"error: no scenarios (*.yaml) in {ref}", err=True)
                sys.exit(EXIT_INVALID)
            out += found
        else:
            out.append(ref)
    return out


@click.command()
@click.argument("scenarios", nargs=-1)
@click.option(
    "--script",
    "script_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Strong script to play (default: tests/reference/<id>/strong.yaml).",
)
@click.option(
    "--seeds",
    "seeds_text",
    default="0,1,2",
    show_default=True,
    help="Comma-separated seeds to play.",
)
def check(scenarios: tuple[str, ...], script_path: Path | None, seeds_text: str) -> None:
    """Self-check SCENARIOS (library ids, files or directories; default: the whole library)."""
    seeds = _seeds(seeds_text)
    refs = _expand(scenarios) if scenarios else [str(p) for p in library()]
    if not refs:
        click.echo(f"error: no scenarios in {LIBRARY}", err=True)
        sys.exit(EXIT_INVALID)
    failed = invalid = 0
    for ref in refs:
        try:
            path = resolve_scenario(ref)
            sc = load_scenario(ref)
            strong_path = script_path or reference_script(sc, path)
            strong: DecisionScript | None = (
                load_script(strong_path) if script_path or strong_path.exists() else None
            )
            harmful_path = reference_script(sc, path, "harmful")
            harmful = load_script(harmful_path) if harmful_path.exists() else None
            wrong_path = reference_script(sc, path, "wrong-move")
            wrong = load_script(wrong_path) if wrong_path.exists() else None
        except AuthorError as exc:
            invalid += 1
            click.echo(f"{ref}: INVALID")
            for p in exc.problems:
                click.echo(f"  error: {p}")
            continue
        shipped = path.resolve().parent == LIBRARY.resolve()  # library scenarios need cards
        findings = selfcheck(sc, strong, seeds, harmful, wrong, require_prompts=shipped)
        bad = errors(findings)
        warn = len(findings) - len(bad)
        via = f"{strong.name}" if strong else "no strong script"
        seeds_s = ",".join(map(str, seeds))
        if bad:
            failed += 1
            click.echo(
                f"{sc.id}: FAILED, {len(bad)} error(s), {warn} warning(s) (seeds {seeds_s}, {via})"
            )
        else:
            tail = f", {warn} warning(s)" if warn else ""
            click.echo(f"{sc.id}: ok (seeds {seeds_s}, {via}{tail})")
        for f in findings:
            click.echo(f"  {f}")
    total = len(refs)
    if invalid:
        click.echo(f"{invalid} of {total} scenario(s) invalid, {failed} failed", err=True)
        sys.exit(EXIT_INVALID)
    if failed:
        click.echo(f"{failed} of {total} scenario(s) failed the self-check", err=True)
        sys.exit(EXIT_FAILED)
    click.echo(f"all {total} scenario(s) pass")
