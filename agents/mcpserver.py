"""``firedrill mcp``: a drill as Model Context Protocol tools, on the official SDK.

Tools: ``list_scenarios``, ``start_drill``, ``observe``, ``wait``, ``finish``
and one tool per player action, named for the action (``drain_pod``...),
whose argument schema is the engine input model's (agents.actions). A refused
action comes back as a tool error with the engine's message. Resources: the
action reference (docs/actions.md) and each library scenario's brief. One
drill at a time per server: ``start_drill`` replaces the current one. What a
tool returns is the player's view (agents.player); time passes by the
think-time rule of agents.session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mcp_types as types
import orjson
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server

from engine import __version__
from engine.errors import AuthorError

from .actions import ACTIONS_DOC, PLAYER_ACTIONS, description, parameters_schema
from .brief import brief_markdown, player_facts
from .library import library_ids, load
from .player import Refused
from .session import MAX_WAIT, THINK_SECONDS, HeadlessSession

ACTIONS_URI = "firedrill://docs/actions.md"
SCENARIO_URI = "firedrill://scenarios/{id}/brief"


class ToolError(Exception):
    """A tool call that cannot be served; its message goes back as the tool error."""


def _schema(props: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        out["required"] = list(required)
    return out


@dataclass(frozen=True)
class ControlTool:
    name: str
    description: str
    schema: dict[str, Any]


CONTROL_TOOLS: tuple[ControlTool, ...] = (
    ControlTool("list_scenarios", "The library's scenarios: id, title, difficulty.", _schema({})),
    ControlTool(
        "start_drill",
        "Start a drill of a library scenario as a player named `agent`; replaces any "
        f"current drill. Every observe and action then costs `think_seconds` of simulated "
        f"time (default {THINK_SECONDS:g}); wait costs what it asks for.",
        _schema(
            {
                "scenario": {"type": "string", "description": "A library scenario id."},
                "seed": {"type": "integer", "minimum": 0, "default": 0},
                "agent": {"type": "string", "minLength": 1, "maxLength": 80, "default": "agent"},
                "think_seconds": {"type": "number", "minimum": 0, "default": THINK_SECONDS},
            },
            ("scenario",),
        ),
    ),
    ControlTool(
        "observe",
        "What a player sees now: alerts firing, the latest top-level dashboard values, the "
        "incident, the channel, and every event since the last look. Costs think time.",
        _schema({}),
    ),
    ControlTool(
        "wait",
        "Let simulated time pass, then return what a player sees (no think time on top).",
        _schema({"seconds": {"type": "number", "minimum": 0, "maximum": MAX_WAIT}}, ("seconds",)),
    ),
    ControlTool(
        "finish",
        "Play the rest of the drill with no more actions; return the grade and the postmortem.",
        _schema({}),
    ),
)


class Desk:
    """The server's state: the current drill, if any. Methods are the tools."""

    def __init__(self, default_think: float = THINK_SECONDS) -> None:
        self.session: HeadlessSession | None = None
        self.default_think = default_think
        self.finished: dict[str, Any] | None = None
        self.on_start: Callable[[HeadlessSession], None] | None = None

    def call(self, name: str, args: dict[str, Any]) -> Any:
        """Serve one tool call; raise ToolError (or Refused) with a message for the caller."""
        if name in PLAYER_ACTIONS:
            if "type" in args:  # the tool is the type
                raise ToolError(f"{name}: `type` is not a parameter of {name}")
            return self._session().act({"type": name, **args}).to_dict()
        handler = getattr(self, f"tool_{name}", None)
        if handler is None or name not in {t.name for t in CONTROL_TOOLS}:
            raise ToolError(f"unknown tool {name!r}; tools: {', '.join(tool_names())}")
        return handler(**_only(name, args))

    def tool_list_scenarios(self) -> list[dict[str, Any]]:
        out = []
        for sid in library_ids():
            info = player_facts(load(sid))
            out.append({"id": sid, "title": info["title"], "difficulty": info["difficulty"]})
        return out

    def tool_start_drill(
        self, scenario: str, seed: int = 0, agent: str = "agent", think_seconds: float | None = None
    ) -> dict[str, Any]:
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise ToolError(f"`seed` must be an integer >= 0 (got {seed!r})")
        if not isinstance(agent, str) or not 1 <= len(agent) <= 80:
            raise ToolError(f"`agent` must be a name of 1-80 characters (got {agent!r})")
        think = self.default_think if think_seconds is None else think_seconds
        if not isinstance(think, int | float) or isinstance(think, bool) or think < 0:
            raise ToolError(f"`think_seconds` must be a number >= 0 (got {think!r})")
        try:
            sc = load(scenario)
        except (KeyError, AuthorError) as exc:
            raise ToolError(str(exc.args[0] if isinstance(exc, KeyError) else exc)) from None
        self.session = HeadlessSession(sc, seed=seed, agent=agent, think=float(think))
        self.finished = None
        if self.on_start is not None:
            self.on_start(self.session)
        return {
            "scenario": self.session.scenario,
            "seed": seed,
            "agent": agent,
            "think_seconds": float(think),
            "engine": __version__,
            "observation": self.session.look().to_dict(),
        }

    def tool_observe(self) -> dict[str, Any]:
        return self._session().observe().to_dict()

    def tool_wait(self, seconds: float) -> dict[str, Any]:
        s = self._session()
        if not isinstance(seconds, int | float) or isinstance(seconds, bool):
            raise ToolError(f"`seconds` must be a number (got {seconds!r})")
        try:
            s.wait(float(seconds))
        except ValueError as exc:
            raise ToolError(str(exc)) from None
        return s.look().to_dict()

    def tool_finish(self) -> dict[str, Any]:
        self.finished = self._session().finish().to_dict()
        return self.finished

    def _session(self) -> HeadlessSession:
        if self.session is None:
            raise ToolError("no drill yet: call start_drill first")
        return self.session


def _only(name: str, args: dict[str, Any]) -> dict[str, Any]:
    tool = next(t for t in CONTROL_TOOLS if t.name == name)
    known = tool.schema["properties"]
    extra = sorted(set(args) - set(known))
    if extra:
        takes = ", ".join(known) or "no arguments"
        raise ToolError(f"{name}: unknown argument(s) {', '.join(extra)}; {name} takes: {takes}")
    missing = [k for k in tool.schema.get("required", []) if k not in args]
    if missing:
        raise ToolError(f"{name}: `{missing[0]}` is required")
    return args


def tool_names() -> list[str]:
    return [t.name for t in CONTROL_TOOLS] + list(PLAYER_ACTIONS)


def tools() -> list[types.Tool]:
    """Every tool with its schema: the control tools, then one per player action."""
    out = [
        types.Tool(name=t.name, description=t.description, input_schema=t.schema)
        for t in CONTROL_TOOLS
    ]
    out += [
        types.Tool(name=k, description=description(k), input_schema=parameters_schema(k))
        for k in PLAYER_ACTIONS
    ]
    return out


def _text(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def build_server(desk: Desk | None = None) -> Server[Any]:
    """The MCP server over ``desk`` (a fresh one by default)."""
    desk = desk or Desk()

    async def list_tools(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=tools())

    async def call_tool(
        ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        try:
            value = desk.call(params.name, dict(params.arguments or {}))
        except (ToolError, Refused) as exc:
            return types.CallToolResult(
                content=[types.TextContent(type="text", text=str(exc))], is_error=True
            )
        structured = value if isinstance(value, dict) else {"items": value}
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=_text(value))],
            structured_content=structured,
        )

    async def list_resources(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        res = [
            types.Resource(
                uri=ACTIONS_URI,
                name="actions",
                description="The input vocabulary: every action and its parameters.",
                mime_type="text/markdown",
            )
        ]
        res += [
            types.Resource(
                uri=SCENARIO_URI.format(id=sid),
                name=f"brief-{sid}",
                description=f"The player brief of scenario {sid}.",
                mime_type="text/markdown",
            )
            for sid in library_ids()
        ]
        return types.ListResourcesResult(resources=res)

    async def read_resource(
        ctx: ServerRequestContext[Any], params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        uri = str(params.uri)
        text = read_resource_text(uri)
        return types.ReadResourceResult(
            contents=[types.TextResourceContents(uri=uri, text=text, mime_type="text/markdown")]
        )

    return Server(
        "firedrill",
        version=__version__,
        instructions=(
            "An incident-response drill. start_drill, then observe, act with the action tools, "
            "wait, and finish for the grade. Simulated time passes with every call."
        ),
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_read_resource=read_resource,
    )


def read_resource_text(uri: str) -> str:
    """The Markdown behind a resource URI; ToolError for an unknown one."""
    if uri == ACTIONS_URI:
        return ACTIONS_DOC.read_text(encoding="utf-8")
    prefix, suffix = SCENARIO_URI.split("{id}")
    if uri.startswith(prefix) and uri.endswith(suffix):
        sid = uri[len(prefix) : -len(suffix)]
        if sid in library_ids():
            return brief_markdown(player_facts(load(sid)))
    raise ToolError(f"unknown resource {uri!r}")
