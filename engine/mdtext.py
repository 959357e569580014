"""Text from players (and anything quoting them) inside Markdown: shown as written, inert.

Markdown passes HTML through, and many viewers render it; a chat line such as
``<img src=x onerror=...>`` or ``[docs](javascript:...)`` would then run or
link when a postmortem or grade is opened. :func:`inert` backslash-escapes
``\\`` and ``[`` (no link, image or link definition can open) and writes a
``<`` that could open a tag, comment or autolink (one followed by a letter,
``/``, ``!`` or ``?``) as ``&lt;``. Every conforming renderer shows the result
as exactly the original characters. :func:`inert_values` applies it
to every string inside a report's frozen records, before rendering, so no
field can be forgotten; the renderer's own Markdown is added afterwards.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, TypeVar

ACTIVE = re.compile(r"[\\\[]|<(?=[A-Za-z/!?])")
T = TypeVar("T")


def inert(text: str) -> str:
    """``text`` as Markdown that renders as the same characters, with no HTML and no links."""
    return ACTIVE.sub(lambda m: "&lt;" if m.group() == "<" else "\\" + m.group(), text)


def inert_values(obj: T) -> T:
    """A copy of ``obj`` (records, tuples, lists, dicts) with every string made :func:`inert`."""
    return _inert(obj)  # type: ignore[no-any-return]


def _inert(obj: Any) -> Any:
    if isinstance(obj, str):
        return inert(obj) if ACTIVE.search(obj) else obj
    if isinstance(obj, tuple):
        return tuple(_inert(x) for x in obj)
    if isinstance(obj, list):
        return [_inert(x) for x in obj]
    if isinstance(obj, dict):
        return {k: _inert(v) for k, v in obj.items()}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        changes = {f.name: _inert(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
        return dataclasses.replace(obj, **changes)
    return obj
