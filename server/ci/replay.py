"""Re-run a recorded drill log and prove it reproduces, or say where it diverges.

The engine is deterministic, so the inputs of a log (with their simulated
times) rebuild the whole log. A log whose recorded events differ from the
rebuild has been edited, truncated mid-event, or comes from a different model.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.drill import Drill
from engine.errors import FiredrillError
from engine.log import Event
from engine.scenario import Scenario


class ReplayError(FiredrillError):
    """The log cannot be replayed at all (no header, unknown scenario, refused input)."""


@dataclass
class Replayed:
    drill: Drill
    recorded: list[Event]
    divergence: str | None

    @property
    def reproduced(self) -> bool:
        return self.divergence is None


def header(events: list[Event]) -> tuple[str, int]:
    if not events or events[0].type != "drill.created":
        raise ReplayError("the log does not start with a drill.created event")
    data = events[0].data
    try:
        return str(data["scenario"]), int(data["seed"])
    except (KeyError, TypeError, ValueError):
        raise ReplayError("the drill.created event lacks a scenario id or a seed") from None


def replay(scenario: Scenario, recorded: list[Event]) -> Replayed:
    _, seed = header(recorded)
    drill = Drill(scenario, seed=seed)
    for e in recorded:
        if e.type != "input":
            continue
        try:
            drill.reapply(e)
        except FiredrillError as exc:  # refused, or sent after the end
            return Replayed(drill, recorded, f"seq {e.seq}: the recorded input was refused: {exc}")
    while len(drill.log) < len(recorded) and not drill.ended:
        drill.advance(drill.now + scenario.tick)
    return Replayed(drill, recorded, diverges(recorded, drill.log.events))


def diverges(recorded: list[Event], rebuilt: list[Event]) -> str | None:
    """None if ``recorded`` is exactly a prefix of ``rebuilt``; else where they differ."""
    for a, b in zip(recorded, rebuilt, strict=False):
        if a.to_json() != b.to_json():
            diffs = "\n".join(f"  {d}" for d in _differences(a.to_dict(), b.to_dict())[:5])
            return f"logs diverge at seq {a.seq} (recorded t={a.t:g}, type {a.type}):\n{diffs}"
    if len(recorded) > len(rebuilt):
        extra = recorded[len(rebuilt)]
        return f"the recorded log has events past the end of the replay, from seq {extra.seq}"
    return None


def _differences(a: object, b: object, path: str = "") -> list[str]:
    """Field-level differences, e.g. ``data.values.api.rps: recorded 12.5, replayed 11.9``."""
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for key in sorted(set(a) | set(b)):
            sub = f"{path}.{key}" if path else str(key)
            if key not in a or key not in b:
                where = "replayed" if key not in a else "recorded"
                out.append(f"{sub}: only in the {where} log")
            else:
                out += _differences(a[key], b[key], sub)
        return out
    if a != b:
        return [f"{path}: recorded {_short(a)}, replayed {_short(b)}"]
    return []


def _short(value: object, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
