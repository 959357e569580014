"""pytest plugin: every ``*.drill.yaml`` is a test file, one item per seed.

Registered through the ``pytest11`` entry point, so installing firedrill is
enough. A failing item prints the failed thresholds and the grade checks that
cost the most points, each with the log events behind it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.errors import AuthorError

from .drillfile import DrillFile, load_drill_file, resolve
from .reports import lost_points
from .run import run_files
from .thresholds import evaluate


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.name.endswith(".drill.yaml"):
        return DrillYaml.from_parent(parent, path=file_path)
    return None


class DrillYaml(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        try:
            spec = load_drill_file(self.path)
        except AuthorError as exc:
            raise self.CollectError(str(exc)) from None
        for seed in spec.seeds:
            yield DrillItem.from_parent(self, name=f"seed-{seed}", spec=spec, seed=seed)


class DrillFailed(Exception):
    pass


class DrillItem(pytest.Item):
    def __init__(self, *, spec: DrillFile, seed: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        self.seed = seed

    def runtest(self) -> None:
        base = self.path
        script = resolve(base, self.spec.script) if self.spec.script else None
        result = run_files(resolve(base, self.spec.scenario), script, self.seed)
        result.failures = evaluate(result, self.spec.thresholds())
        if result.failures:
            raise DrillFailed(result)

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        if isinstance(excinfo.value, DrillFailed):
            r = excinfo.value.args[0]
            lines = [f"{r.label} failed:"] + [f"  - {f}" for f in r.failures]
            lines.append(f"  scores: {', '.join(f'{k} {v}' for k, v in r.grade.scores.items())}")
            lines += [f"  * {x}" for x in lost_points(r.grade)]
            return "\n".join(lines)
        if isinstance(excinfo.value, AuthorError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"drill: {self.spec.scenario} seed {self.seed}"
