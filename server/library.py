"""The scenario library as the server sees it: ids only, never paths from a client."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from engine.errors import AuthorError
from engine.scenario import Scenario

from .errors import NotFound
from .files import id_choices, library, load_scenario

log = logging.getLogger("firedrill.server")


class Library:
    """Scenarios by id, loaded once and reloaded when their file changes."""

    def __init__(self) -> None:
        self._cache: dict[Path, tuple[int, Scenario]] = {}

    def paths(self) -> dict[str, Path]:
        return {p.stem: p for p in library()}

    def get(self, scenario_id: str) -> Scenario:
        """The scenario with this id; NotFound lists the ids that exist."""
        paths = self.paths()
        path = paths.get(scenario_id)
        if path is None:
            raise NotFound(f"unknown scenario {scenario_id!r}; {id_choices(scenario_id)}")
        mtime = path.stat().st_mtime_ns
        hit = self._cache.get(path)
        if hit is not None and hit[0] == mtime:
            return hit[1]
        scenario = load_scenario(path)
        self._cache[path] = (mtime, scenario)
        return scenario

    def infos(self) -> list[dict[str, Any]]:
        """Public metadata of every valid scenario (invalid ones are logged and skipped)."""
        out = []
        for sid in sorted(self.paths()):
            try:
                sc = self.get(sid)
            except AuthorError as exc:
                log.warning("scenario %s is invalid and not offered: %s", sid, exc.first)
                continue
            out.append(
                {
                    "id": sid,
                    "title": sc.title,
                    "summary": sc.summary,
                    "class": sc.scenario_class,
                    "difficulty": sc.difficulty,
                    "teaches": sc.teaches,
                    "symptom": sc.symptom,
                    "audience": sc.audience,
                    "tags": list(sc.tags),
                    "duration": sc.duration,
                    "source": sc.source.model_dump(mode="json", exclude_none=True)
                    if sc.source
                    else None,
                }
            )
        return out
