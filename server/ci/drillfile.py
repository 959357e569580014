"""``*.drill.yaml``: a scenario, a decision script, seeds and expectations, as a test.

scenario: checkout-deploy-500s          # a library id, or a path relative to this file
script: ../reference/checkout-deploy-500s/strong.yaml
seeds: [0, 1, 2]
expect:
  min_score: 85
  scores: {mitigation: 70, communication: 70}
  must_mitigate: true
  within_par: true
  max_impact_minutes: 5
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from engine.errors import ScriptError
from engine.validation import validate_document
from engine.yamldoc import load_yaml

from .thresholds import DIMENSIONS, Expect, Thresholds


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Expectations(_Model):
    min_score: Annotated[float, Field(ge=0, le=100)] | None = None
    scores: dict[str, Annotated[float, Field(ge=0, le=100)]] = {}
    must_mitigate: bool = False
    within_par: bool = False
    max_impact_minutes: Annotated[float, Field(ge=0)] | None = None
    max_money_lost: Annotated[float, Field(ge=0)] | None = None
    max_rows_corrupted: Annotated[float, Field(ge=0)] | None = None
    allow_refused: bool = False
    allow_not_run: bool = False


class DrillFile(_Model):
    scenario: Annotated[str, Field(min_length=1)]
    script: Annotated[str, Field(min_length=1)] | None = None
    seeds: Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=1, max_length=1000)] = [0]
    expect: Expectations = Expectations()

    def thresholds(self) -> Thresholds:
        e = self.expect
        return Thresholds(
            min_score=e.min_score,
            expect=tuple(Expect(k, ">=", v) for k, v in sorted(e.scores.items())),
            max_impact_minutes=e.max_impact_minutes,
            max_money_lost=e.max_money_lost,
            max_rows_corrupted=e.max_rows_corrupted,
            must_mitigate=e.must_mitigate,
            within_par=e.within_par,
            allow_refused=e.allow_refused,
            allow_not_run=e.allow_not_run,
        )


def load_drill_file(path: Path) -> DrillFile:
    doc = load_yaml(path.read_bytes(), str(path), error=ScriptError)
    spec = validate_document(DrillFile, doc, error=ScriptError)
    bad = [k for k in spec.expect.scores if k not in DIMENSIONS]
    if bad:
        from engine.errors import Problem

        raise ScriptError(
            [
                Problem(
                    str(path),
                    doc.line_of(("expect", "scores", bad[0])),
                    f"expect.scores.{bad[0]}",
                    f"is not a dimension; expected one of: {', '.join(DIMENSIONS)}",
                )
            ]
        )
    return spec


def resolve(base: Path, ref: str) -> str:
    """Paths are relative to the drill file; bare ids name library scenarios."""
    candidate = base.parent / ref
    if candidate.exists() or ref.endswith((".yaml", ".yml")):
        return str(candidate)
    return ref
