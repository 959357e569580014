"""``firedrill mcp`` and ``firedrill eval``: the agent commands (registered in server.cli)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from .session import THINK_SECONDS

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@click.command("mcp")
@click.option(
    "--transport",
    type=click.Choice(["stdio", "http"]),
    default="stdio",
    show_default=True,
    help="stdio for a client that starts this process; http for streamable HTTP.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="HTTP only.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True)
@click.option(
    "--think",
    type=click.FloatRange(min=0),
    default=THINK_SECONDS,
    show_default=True,
    help="Default simulated seconds each observe or action costs.",
)
@click.option(
    "--allow-remote", is_flag=True, help="Allow --host other than loopback (no auth: beware)."
)
def mcp_cmd(transport: str, host: str, port: int, think: float, allow_remote: bool) -> None:
    """Serve drills to an MCP client (docs/agents.md)."""
    from .mcpserver import Desk, build_server

    server = build_server(Desk(default_think=think))
    if transport == "stdio":
        import anyio
        from mcp.server.stdio import stdio_server

        async def main() -> None:
            async with stdio_server() as (read, write):
                await server.run(read, write, server.create_initialization_options())

        anyio.run(main)
        return
    if host not in LOOPBACK and not allow_remote:
        raise click.BadParameter(
            f"{host!r} is not a loopback address; the MCP server has no authentication "
            "(pass --allow-remote to serve it anyway)",
            param_hint="--host",
        )
    import uvicorn

    app = server.streamable_http_app(host=host)
    click.echo(f"firedrill MCP server on http://{host}:{port}/mcp", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def _agents(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[Any]:
    from .baselines import BASELINES
    from .specs import SpecError, check_spec, parse_spec

    out = []
    for v in values or tuple(BASELINES):
        try:
            spec = parse_spec(v)
            check_spec(spec)
        except SpecError as exc:
            raise click.BadParameter(str(exc)) from None
        out.append(spec)
    labels = [s.label for s in out]
    dup = sorted({x for x in labels if labels.count(x) > 1})
    if dup:
        raise click.BadParameter(f"two agents are labelled {dup[0]!r}; name them with label=spec")
    return out


def _scenarios(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[str]:
    from .library import library_ids

    ids = library_ids()
    for v in values:
        if v not in ids:
            raise click.BadParameter(f"unknown scenario {v!r}; available: {', '.join(ids)}")
    return list(dict.fromkeys(values)) or ids


@click.command("eval")
@click.option(
    "--agent",
    "agents",
    multiple=True,
    callback=_agents,
    metavar="[LABEL=]SPEC",
    help="A baseline (do-nothing, random, runbook), a Python callable module:attr, or "
    "mcp:<command> (an MCP client); repeatable. Default: the three baselines.",
)
@click.option(
    "--scenario",
    "scenarios",
    multiple=True,
    callback=_scenarios,
    help="A library scenario id (repeatable). Default: the whole library.",
)
@click.option(
    "--seeds",
    type=click.IntRange(1, 100),
    default=3,
    show_default=True,
    help="Seeds 0..N-1 per scenario.",
)
@click.option(
    "--runs",
    type=click.IntRange(1, 20),
    default=1,
    show_default=True,
    help="Runs per scenario and seed (k of pass@k).",
)
@click.option(
    "--jobs",
    type=click.IntRange(1, 64),
    default=None,
    help="Worker processes (default: 2, or 1 on one core).",
)
@click.option(
    "--think",
    type=click.FloatRange(min=0),
    default=THINK_SECONDS,
    show_default=True,
    help="Simulated seconds each observe or action costs.",
)
@click.option(
    "--pass-score",
    type=click.IntRange(0, 100),
    default=70,
    show_default=True,
    help="A run passes at this overall score or above.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=600.0,
    show_default=True,
    help="Wall seconds an mcp: command may take per run.",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the leaderboard as JSON here.",
)
@click.option(
    "--md",
    "md_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the leaderboard as Markdown here (default: print it).",
)
def eval_cmd(
    agents: list[Any],
    scenarios: list[str],
    seeds: int,
    runs: int,
    jobs: int | None,
    think: float,
    pass_score: int,
    timeout: float,
    json_path: Path | None,
    md_path: Path | None,
) -> None:
    """Run agents across the library and seeds; write a leaderboard (docs/agents.md)."""
    from .bench import default_jobs, leaderboard, run_all, tasks_for, to_json, to_markdown
    from .mcphost import HostError

    started = time.monotonic()
    seed_list = list(range(seeds))
    tasks = tasks_for(agents, scenarios, seed_list, runs, think, timeout)
    n = len(tasks)
    done = 0

    def progress(rec: Any) -> None:
        nonlocal done
        done += 1
        click.echo(
            f"[{done}/{n}] {rec.agent} {rec.scenario} seed {rec.seed} run {rec.run}: "
            f"overall {rec.scores['overall']}" + (f" ({rec.error})" if rec.error else ""),
            err=True,
        )

    try:
        records = run_all(tasks, jobs or default_jobs(), progress)
    except HostError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    board = leaderboard(records, scenarios, seed_list, runs, think, pass_score)
    md = to_markdown(board)
    if json_path is not None:
        json_path.write_bytes(to_json(board))
    if md_path is not None:
        md_path.write_text(md, encoding="utf-8")
    else:
        click.echo(md, nl=False)
    click.echo(f"{n} runs in {time.monotonic() - started:.1f} s", err=True)
