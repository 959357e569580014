"""The committed JSON Schema matches the models and accepts the library."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from engine.schema import scenario_schema_json

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "scenarios" / "scenario.schema.json"


def test_committed_schema_is_in_sync_with_the_models() -> None:
    """Regenerate with `firedrill schema > scenarios/scenario.schema.json` after a model change."""
    assert SCHEMA.read_bytes() == scenario_schema_json()


def test_schema_is_valid_draft_07_and_accepts_every_library_scenario() -> None:
    """Editors using draft-07 validators accept what the engine accepts."""
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        errors = [e.message for e in validator.iter_errors(yaml.safe_load(path.read_text()))]
        assert errors == [], path.name


def test_schema_rejects_a_typo_like_the_engine() -> None:
    """Unknown fields are errors in the editor too (additionalProperties false)."""
    schema = json.loads(SCHEMA.read_text())
    doc = yaml.safe_load((ROOT / "scenarios" / "gateway-bad-pod.yaml").read_text())
    doc["dificulty"] = "hard"
    assert not jsonschema.Draft7Validator(schema).is_valid(doc)
