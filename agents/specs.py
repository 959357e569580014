"""Agent specs on the command line: a baseline name, ``module:attr``, or ``mcp:<command>``.

Specs stay strings until a worker process resolves them, so they cross process
boundaries as text; :func:`check_spec` resolves one up front for a clear error.
"""

from __future__ import annotations

import importlib
import shlex
from dataclasses import dataclass

from .baselines import BASELINES, Agent

MCP_PREFIX = "mcp:"


class SpecError(ValueError):
    """An agent spec that names nothing runnable; the message says why."""


@dataclass(frozen=True)
class AgentSpec:
    """One agent on the leaderboard: its label and what runs it."""

    label: str
    spec: str

    @property
    def command(self) -> list[str] | None:
        """The MCP client command line, for an ``mcp:`` spec."""
        if not self.spec.startswith(MCP_PREFIX):
            return None
        return shlex.split(self.spec[len(MCP_PREFIX) :])


def parse_spec(text: str) -> AgentSpec:
    """``[label=]spec``; the label defaults to the spec (a command's program name for mcp:)."""
    label, sep, spec = text.partition("=")
    if not sep or label.startswith(MCP_PREFIX) or ":" in label:
        label, spec = "", text
    spec = spec.strip()
    if not spec:
        raise SpecError("an agent spec is empty")
    if spec.startswith(MCP_PREFIX):
        try:
            argv = shlex.split(spec[len(MCP_PREFIX) :])
        except ValueError as exc:
            raise SpecError(f"{spec!r}: cannot split the command: {exc}") from None
        if not argv:
            raise SpecError(f"{spec!r}: `mcp:` needs a command to run")
        default = argv[0].rsplit("/", 1)[-1]
    else:
        default = spec
    return AgentSpec(label.strip() or default, spec)


def resolve(spec: AgentSpec) -> Agent:
    """The agent callable of a baseline or ``module:attr`` spec; SpecError if there is none."""
    if spec.spec in BASELINES:
        return BASELINES[spec.spec]
    module, sep, attr = spec.spec.partition(":")
    if not sep or not module or not attr:
        raise SpecError(
            f"unknown agent {spec.spec!r}: give a baseline ({', '.join(BASELINES)}), "
            "a Python callable as module:attr, or mcp:<command>"
        )
    try:
        mod = importlib.import_module(module)
    except Exception as exc:  # any import failure is the user's to read
        raise SpecError(f"agent {spec.spec!r}: cannot import {module!r}: {exc}") from None
    obj = mod
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise SpecError(f"agent {spec.spec!r}: {module!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise SpecError(f"agent {spec.spec!r} is not callable")
    return obj  # type: ignore[no-any-return]


def check_spec(spec: AgentSpec) -> None:
    """Resolve ``spec`` now (a command is only checked for being non-empty)."""
    if spec.command is None:
        resolve(spec)
