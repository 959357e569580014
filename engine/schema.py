"""JSON Schema (draft-07) for scenario files, generated from the models.

Editors (yaml-language-server) validate while authors type. The committed
copy is scenarios/scenario.schema.json; a test keeps it in sync. Regenerate:
``firedrill schema > scenarios/scenario.schema.json``.
"""

from __future__ import annotations

from typing import Any

import orjson

from .scenario import Scenario

DRAFT_07 = "http://json-schema.org/draft-07/schema#"


def _to_draft07(node: Any) -> Any:
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "$defs":
                out["definitions"] = _to_draft07(v)
            elif k == "$ref" and isinstance(v, str):
                out[k] = v.replace("#/$defs/", "#/definitions/")
            elif k == "discriminator":  # OpenAPI keyword; draft-07 tools ignore it anyway
                continue
            else:
                out[k] = _to_draft07(v)
        return out
    if isinstance(node, list):
        return [_to_draft07(v) for v in node]
    return node


def scenario_schema() -> dict[str, Any]:
    schema = _to_draft07(Scenario.model_json_schema(by_alias=True, mode="validation"))
    return {
        "$schema": DRAFT_07,
        "$id": "https://firedrill.dev/schema/scenario.schema.json",
        **schema,
        "title": "firedrill scenario",
    }


def scenario_schema_json() -> bytes:
    return (
        orjson.dumps(scenario_schema(), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    )
