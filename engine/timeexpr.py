"""Durations as authors write them: ``90``, ``"90s"``, ``"2m"``, ``"1m30s"``, ``"-25m"``.

Everything in the engine is simulated seconds (float). Authors think in
minutes, so scenario and script files accept compact duration strings.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema

_PART = re.compile(r"(\d+(?:\.\d+)?)(d|h|m|s)")
_WHOLE = re.compile(r"^-?(?:\d+(?:\.\d+)?(?:d|h|m|s))+$")
_UNIT = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}
PATTERN = r"^-?([0-9]+(\.[0-9]+)?(d|h|m|s))+$"


def parse_duration(value: Any) -> float:
    """Seconds from a number or a duration string; raises ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"must be a duration such as 90, '90s' or '2m' (got {value!r})")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip().replace(" ", "")
        if _WHOLE.match(text):
            sign = -1.0 if text.startswith("-") else 1.0
            total = sum(float(n) * _UNIT[u] for n, u in _PART.findall(text))
            return sign * total
    raise ValueError(f"must be a duration such as 90, '90s' or '2m' (got {value!r})")


def format_clock(seconds: float) -> str:
    """``T+mm:ss`` style clock used in timelines and CLI output."""
    sign = "-" if seconds < 0 else "+"
    s = round(abs(seconds))
    return f"T{sign}{s // 60:02d}:{s % 60:02d}"


_SCHEMA = {"anyOf": [{"type": "number"}, {"type": "string", "pattern": PATTERN}]}

Duration = Annotated[float, BeforeValidator(parse_duration), WithJsonSchema(_SCHEMA)]
"""Seconds; accepts numbers or strings like '90s', '2m', '1m30s'."""
