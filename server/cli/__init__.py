"""The ``firedrill`` command line: headless runs, validation, serving."""

from __future__ import annotations

import click

from .ci_commands import batch, replay_cmd
from .headless import run, schema, validate


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="firedrill")
def main() -> None:
    """firedrill: incident-response drills on a simulated production system."""


main.add_command(run)
main.add_command(validate)
main.add_command(schema)
main.add_command(replay_cmd)
main.add_command(batch)

try:  # the live server registers itself when present
    from .serve import serve

    main.add_command(serve)
except ImportError:  # pragma: no cover
    pass

try:  # agents as players: the MCP server and the benchmark
    from agents.cli import eval_cmd, mcp_cmd

    main.add_command(mcp_cmd)
    main.add_command(eval_cmd)
except ImportError:  # pragma: no cover
    pass

try:  # the scenario self-check
    from .check import check

    main.add_command(check)
except ImportError:  # pragma: no cover
    pass
