"""The player's actions as tools: names, argument schemas and descriptions, all derived.

The schema of each action is the JSON Schema of its engine input model
(``engine.inputs``) without the ``type`` field, and its description is its
section of docs/actions.md; nothing here restates the vocabulary.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, get_args

from engine.inputs import CATEGORY, INPUT_TYPES, PERMISSIONS, Input
from server.assets import DOCS

ACTIONS_DOC = DOCS / "actions.md"
PLAYER_ACTIONS: tuple[str, ...] = tuple(t for t in INPUT_TYPES if t in PERMISSIONS["player"])
_HEADING = re.compile(r"^### (.+)$")
_NAME = re.compile(r"`([a-z_]+)`")


def _subclasses(cls: type[Input]) -> list[type[Input]]:
    out = []
    for sub in cls.__subclasses__():
        out += [sub, *_subclasses(sub)]
    return out


@cache
def model_of(kind: str) -> type[Input]:
    """The engine input model that validates ``kind``."""
    for cls in _subclasses(Input):
        if kind in get_args(cls.model_fields["type"].annotation):
            return cls
    raise KeyError(kind)


@cache
def parameters_schema(kind: str) -> dict[str, Any]:
    """JSON Schema of ``kind``'s parameters: the engine model's, without ``type``."""
    schema = model_of(kind).model_json_schema()
    props = {k: v for k, v in schema.get("properties", {}).items() if k != "type"}
    required = [k for k in schema.get("required", []) if k != "type"]
    out: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        out["required"] = required
    return out


@cache
def doc_sections() -> dict[str, str]:
    """Each action's prose in docs/actions.md (tables and examples dropped)."""
    try:
        text = ACTIONS_DOC.read_text(encoding="utf-8")
    except OSError:
        return {}
    sections: dict[str, str] = {}
    names: list[str] = []
    body: list[str] = []
    fence = False

    def close() -> None:
        prose = " ".join(" ".join(body).split())
        for n in names:
            sections[n] = prose

    for line in text.splitlines():
        if line.startswith("```"):
            fence = not fence
            continue
        m = _HEADING.match(line)
        if m and not fence:
            close()
            names, body = _NAME.findall(m.group(1)), []
        elif line.startswith("## ") and not fence:
            close()
            names, body = [], []
        elif not fence and not line.startswith(("|", "<!--")) and names:  # no tables, markers
            body.append(line)
    close()
    return sections


def description(kind: str) -> str:
    """A tool description: the action's category and its docs/actions.md text."""
    prose = doc_sections().get(kind, "")
    return f"[{CATEGORY[kind]}] {prose}".strip()
