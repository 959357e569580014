"""``firedrill mcp`` and ``firedrill eval``: the agent commands (registered in server.cli)."""

from __future__ import annotations

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
