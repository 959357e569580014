"""The reference docs stay true to the engine: every field, input, metric and example.

docs/scenario-format.md, docs/actions.md, docs/scripts.md and docs/metrics.md
are read as data here. A renamed field, a new input parameter, a changed
default or an example that no longer validates fails a test that names it.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import types
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from engine import effects, inputs, metrics, scenario, script
from engine.drill import Drill
from engine.inputs import CATEGORY, INPUT_TYPES, PERMISSIONS, parse_input
from engine.loader import load_scenario, scenario_from_dict
from engine.log import Event
from engine.scenario import FaultBase, Scenario
from engine.script import DecisionScript, play
from engine.timeexpr import parse_duration
from engine.world.model import CUMULATIVE

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.S | re.M)
ROW_NAME = re.compile(r"^`([^`]+)`$")


def read(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def blocks(text: str, lang: str) -> list[str]:
    """Bodies of the fenced code blocks of one language."""
    return [body for tag, body in FENCE.findall(text) if tag == lang]


def sections(text: str, level: str) -> list[tuple[str, str]]:
    """(heading, body) for every heading of exactly this level (``##`` or ``###``)."""
    parts = re.split(rf"^{level} (.+)$", text, flags=re.M)
    return list(zip(parts[1::2], parts[2::2], strict=True))


def table_rows(lines: list[str]) -> list[list[str]]:
    """Cells of a Markdown table's body rows (header and rule skipped)."""
    rows = []
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows


def marked_tables(text: str, kind: str) -> dict[str, list[list[str]]]:
    """Tables that follow ``<!-- kind: Name -->`` markers, by name."""
    out = {}
    for m in re.finditer(rf"^<!-- {kind}: (\w+) -->\n((?:\|.*\n?)+)", text, re.M):
        out[m.group(1)] = table_rows(m.group(2).splitlines())
    return out


def by_name(rows: list[list[str]]) -> dict[str, list[str]]:
    """Rows keyed by a backticked first cell (other rows are prose)."""
    out = {}
    for row in rows:
        m = ROW_NAME.match(row[0])
        if m:
            out[m.group(1)] = row
    return out


# ----------------------------------------------------------------- models


def unwrap(tp: Any) -> list[Any]:
    """The types inside an annotation: Annotated, unions and containers opened up."""
    origin = get_origin(tp)
    if origin is Annotated:
        return unwrap(get_args(tp)[0])
    if origin in (Union, types.UnionType, list, dict, tuple, set):
        return [t for arg in get_args(tp) for t in unwrap(arg)]
    return [tp]


def models_from(root: type[BaseModel]) -> list[type[BaseModel]]:
    """Every model reachable from ``root`` through its fields, root first."""
    seen: dict[type[BaseModel], None] = {}
    todo = [root]
    while todo:
        model = todo.pop(0)
        if model in seen:
            continue
        seen[model] = None
        for info in model.model_fields.values():
            todo += [
                t
                for t in unwrap(info.annotation)
                if isinstance(t, type) and issubclass(t, BaseModel)
            ]
    return list(seen)


def literals_of(model: type[BaseModel]) -> set[str]:
    out: set[str] = set()
    for info in model.model_fields.values():
        for tp in unwrap(info.annotation):
            if get_origin(tp) is Literal:
                out.update(str(a) for a in get_args(tp))
    return out


def written(name: str, info: FieldInfo) -> str:
    """A field as authors write it: its alias (``class``, ``for``, ``from``, ``as``) or name."""
    return info.alias or name


def documented_fields(model: type[BaseModel]) -> dict[str, FieldInfo]:
    """Fields a model's table lists: a fault kind lists only what it adds to FaultBase,
    an input only its parameters (not ``type``)."""
    fields = dict(model.model_fields)
    if issubclass(model, FaultBase) and model is not FaultBase:
        fields = {k: v for k, v in fields.items() if k not in FaultBase.model_fields}
    if issubclass(model, inputs.Input):
        fields.pop("type")
    return {written(k, v): v for k, v in fields.items()}


def default_matches(info: FieldInfo, cell: str) -> bool:
    """The table's default cell says what the model's default is."""
    cell = cell.replace("`", "").strip()
    if info.is_required():
        return cell == "required"
    value = info.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return cell == "defaults"
    if value is None:
        return cell == "null"
    if isinstance(value, bool):
        return cell == str(value).lower()
    if isinstance(value, list | dict):
        return cell == json.dumps(value)
    if isinstance(value, str):
        return cell.strip('"') == value
    try:
        return float(cell) == value
    except ValueError:
        try:
            return parse_duration(cell) == value
        except ValueError:
            return False


def numeric_bounds(info: FieldInfo) -> list[float]:
    return [
        getattr(c, b)
        for c in info.metadata
        for b in ("ge", "gt", "le", "lt")
        if getattr(c, b, None) is not None
    ]


def check_table(model: type[BaseModel], rows: list[list[str]]) -> list[str]:
    """Problems between one model and its documented table."""
    problems = []
    table = by_name(rows)
    fields = documented_fields(model)
    if set(table) != set(fields):
        missing, extra = sorted(set(fields) - set(table)), sorted(set(table) - set(fields))
        problems.append(f"{model.__name__}: table lacks {missing}, lists unknown {extra}")
    for name, info in fields.items():
        row = table.get(name)
        if row is None:
            continue
        if len(row) < 3 or not default_matches(info, row[2]):
            shown = "required" if info.is_required() else repr(info.get_default())
            problems.append(f"{model.__name__}.{name}: default is {shown}, the doc says {row[2:3]}")
        text = " ".join(row)
        for bound in numeric_bounds(info):
            if format(bound, "g") not in text:
                problems.append(f"{model.__name__}.{name}: bound {bound:g} is not mentioned")
    return problems


def model_named(name: str) -> type[BaseModel]:
    for module in (scenario, script):
        found = getattr(module, name, None)
        if isinstance(found, type) and issubclass(found, BaseModel):
            return found
    raise AssertionError(f"<!-- model: {name} --> names no model in engine.scenario/script")


# ---------------------------------------------------- scenario-format.md


def top_keys(body: str) -> set[str]:
    return {m.group(1) for m in re.finditer(r"^([A-Za-z_]\w*):", body, re.M)}


def scenario_blocks() -> tuple[list[str], list[str]]:
    """(complete scenarios, fragments) among the yaml blocks of scenario-format.md."""
    complete: list[str] = []
    fragments: list[str] = []
    for body in blocks(read("scenario-format.md"), "yaml"):
        (complete if "topology" in top_keys(body) else fragments).append(body)
    return complete, fragments


def test_every_scenario_field_is_mentioned() -> None:
    """Every field of every model reachable from Scenario appears in backticks (by alias)."""
    doc = read("scenario-format.md")
    missing = [
        f"{m.__name__}.{written(k, v)}"
        for m in models_from(Scenario)
        for k, v in m.model_fields.items()
        if f"`{written(k, v)}`" not in doc
    ]
    assert not missing, f"fields not in docs/scenario-format.md: {missing}"


def test_every_scenario_model_has_an_exact_table() -> None:
    """Each model has a marked table listing exactly its fields, true defaults and bounds."""
    tables = marked_tables(read("scenario-format.md"), "model")
    untabled = [m.__name__ for m in models_from(Scenario) if m.__name__ not in tables]
    assert not untabled, f"models without a <!-- model: X --> table: {untabled}"
    problems = [p for name, rows in tables.items() for p in check_table(model_named(name), rows)]
    assert not problems, "\n".join(problems)


def test_every_enumerated_value_is_mentioned() -> None:
    """Every Literal choice (classes, fault kinds, roles, ops) appears in the scenario doc."""
    doc = read("scenario-format.md")
    values = set().union(*(literals_of(m) for m in models_from(Scenario)))
    missing = sorted(v for v in values if f"`{v}`" not in doc)
    assert not missing, f"choices not in docs/scenario-format.md: {missing}"


def test_complete_scenario_examples_validate() -> None:
    """Every yaml block with `topology:` is a complete, valid scenario."""
    complete, _ = scenario_blocks()
    assert len(complete) >= 2
    for i, body in enumerate(complete):
        load_scenario(body, f"docs/scenario-format.md (scenario example {i})")


def test_fragment_examples_validate_inside_the_full_example() -> None:
    """Every other yaml block, placed into the largest complete example, still validates."""
    complete, fragments = scenario_blocks()
    base = yaml.safe_load(max(complete, key=len))
    levels: list[tuple[list[str | int], set[str]]] = [
        ([], {written(k, v) for k, v in Scenario.model_fields.items()}),
        (["topology"], set(scenario.Topology.model_fields)),
        (["topology", "services", 0], set(scenario.Service.model_fields)),
    ]
    checked = 0
    for i, body in enumerate(fragments):
        data = yaml.safe_load(body)
        if data is None:  # a comment-only block (the schema modeline)
            continue
        where = next((path for path, keys in levels if set(data) <= keys), None)
        assert where is not None, f"fragment {i} fits nowhere in a scenario: {sorted(data)}"
        doc = copy.deepcopy(base)
        node = doc
        for part in where:
            node = node[part]
        node.update(data)
        scenario_from_dict(doc, f"docs/scenario-format.md (fragment {i}: {sorted(data)})")
        checked += 1
    assert checked >= 15


# --------------------------------------------------------------- actions.md


def input_models() -> dict[str, type[inputs.Input]]:
    out = {}
    for cls in inputs.Input.__subclasses__():
        for kind in get_args(cls.model_fields["type"].annotation):
            out[kind] = cls
    return out


def action_sections() -> dict[str, tuple[str, str]]:
    """Input type -> (category heading it sits under, its section text)."""
    out = {}
    for category, body in sections(read("actions.md"), "##"):
        for heading, text in sections(body, "###"):
            for kind in re.findall(r"`([a-z_]+)`", heading):
                out[kind] = (category.strip(), text)
    return out


def test_every_input_type_has_a_section_under_its_category() -> None:
    """Each input type has a `### type` section under the `## category` it belongs to."""
    found = action_sections()
    assert set(found) == set(INPUT_TYPES), (
        f"missing {sorted(set(INPUT_TYPES) - set(found))}, "
        f"unknown {sorted(set(found) - set(INPUT_TYPES))}"
    )
    wrong = {k: c for k, (c, _) in found.items() if c != CATEGORY[k]}
    assert not wrong, f"inputs under the wrong category: {wrong}"


def test_every_input_parameter_is_documented_with_its_default() -> None:
    """Each input's section lists exactly its parameters, with true defaults and bounds."""
    found = action_sections()
    models = input_models()
    problems = []
    for kind in INPUT_TYPES:
        text = found[kind][1]
        params = [k for k in models[kind].model_fields if k != "type"]
        problems += [f"{kind}.{p} not in its section" for p in params if f"`{p}`" not in text]
        lines = [ln for ln in text.splitlines() if ln.startswith("|")]
        if params:
            problems += [f"{kind}: {p}" for p in check_table(models[kind], table_rows(lines))]
        elif lines:
            problems.append(f"{kind} takes no parameters but its section has a table")
    assert not problems, "\n".join(problems)


def test_every_input_example_parses() -> None:
    """Every JSON input example in actions.md is accepted by parse_input; each type has one."""
    found = action_sections()
    for kind, (_, text) in found.items():
        examples = [json.loads(b) for b in blocks(text, "json")]
        inputs_here = [e for e in examples if "type" in e]
        assert any(e["type"] == kind for e in inputs_here), f"{kind} has no JSON example"
        for e in inputs_here:
            parse_input(e)


def test_documented_delays_match_the_engine() -> None:
    """Mitigations with a fixed delay state it in seconds, as in engine/effects.py."""
    delays = {
        "drain_pod": effects.DRAIN_S,
        "undrain_pod": effects.DRAIN_S,
        "set_breaker": effects.BREAKER_S,
        "throttle_producer": effects.THROTTLE_S,
        "shed_load": effects.SHED_S,
        "kill_query": effects.KILL_S,
        "skip_poison": effects.SKIP_S,
    }
    found = action_sections()
    wrong = [
        k
        for k, s in delays.items()
        if f"after {s:g} s" not in " ".join(found[k][1].split()).lower()
    ]
    assert not wrong, f"delays not stated as in engine/effects.py: {wrong}"


def test_permission_table_matches_the_engine() -> None:
    """The permissions table says yes exactly where PERMISSIONS allows a category."""
    doc = read("actions.md")
    rows = table_rows(doc.split("<!-- permissions -->\n", 1)[1].splitlines())
    header = [
        c.strip()
        for c in doc.split("<!-- permissions -->\n", 1)[1].splitlines()[0].strip("|").split("|")
    ]
    roles = header[1:]
    assert set(roles) == set(PERMISSIONS)
    for row in rows:
        category = row[0]
        for role, cell in zip(roles, row[1:], strict=True):
            kinds = {k for k, c in CATEGORY.items() if c == category}
            allowed = kinds <= PERMISSIONS[role]
            assert allowed == (cell == "yes"), f"{role} / {category}: doc says {cell}"
            assert allowed or not kinds & PERMISSIONS[role], f"{role} / {category} is partial"
    assert {r[0] for r in rows} == set(CATEGORY.values())


def test_input_count_is_current() -> None:
    """The stated number of input types is len(INPUT_TYPES)."""
    m = re.search(r"lists (\d+) types", read("actions.md"))
    assert m and int(m.group(1)) == len(INPUT_TYPES)


# --------------------------------------------------------------- metrics.md


def test_every_metric_is_documented_with_its_sampling() -> None:
    """Each metric group's table lists exactly its suffixes; `last` iff sampled as a counter."""
    tables = marked_tables(read("metrics.md"), "metrics")
    groups = (
        "SERVICE",
        "DEPENDENCY",
        "DATABASE",
        "TOPIC",
        "BUSINESS",
        "QUOTA",
        "CACHE",
        "DISCOVERY",
    )
    assert set(tables) == set(groups)
    problems = []
    for group in groups:
        rows = by_name(tables[group])
        names = getattr(metrics, group)
        if set(rows) != set(names):
            problems.append(f"{group}: doc {sorted(rows)} != engine {sorted(names)}")
        for name, row in rows.items():
            want = "last" if f"x.{name}".endswith(CUMULATIVE) else "mean"
            if row[2] != want:
                problems.append(f"{group}.{name}: sampled as {want}, doc says {row[2]}")
    assert not problems, "\n".join(problems)


def test_business_label_metric_is_documented() -> None:
    """The per-label `business.<label>_success_pct` metric has its row."""
    doc = read("metrics.md")
    row = re.search(r"^\| `<label>_success_pct` \|[^|]*\| (\w+) \|", doc, re.M)
    assert row and row.group(1) == ("last" if "x._success_pct".endswith(CUMULATIVE) else "mean")


# --------------------------------------------------------------- scripts.md


def script_examples() -> list[str]:
    return [b for b in blocks(read("scripts.md"), "yaml") if "steps" in top_keys(b)]


def test_script_examples_parse() -> None:
    """Every yaml block with `steps:` in scripts.md is a valid decision script."""
    examples = script_examples()
    assert examples
    for i, body in enumerate(examples):
        DecisionScript.from_yaml(body, f"docs/scripts.md (example {i})")


def test_script_models_have_exact_tables() -> None:
    """DecisionScript, Step and Trigger have tables with exactly their fields and defaults."""
    tables = marked_tables(read("scripts.md"), "model")
    assert {m.__name__ for m in models_from(DecisionScript)} <= set(tables)
    problems = [p for name, rows in tables.items() for p in check_table(model_named(name), rows)]
    assert not problems, "\n".join(problems)


def example_run() -> Drill:
    """The complete scripts.md example played against the library scenario it names."""
    doc = read("scripts.md")
    sid = re.search(r"library scenario `([a-z0-9-]+)`", doc)
    assert sid, "scripts.md names no library scenario for its example"
    sc = load_scenario((ROOT / "scenarios" / f"{sid.group(1)}.yaml").read_bytes())
    run = play(Drill(sc, seed=0), DecisionScript.from_yaml(script_examples()[0]))
    assert run.rejected == [], run.rejected
    return run.drill


def test_complete_script_example_runs_clean() -> None:
    """The complete example plays without a refused step and mitigates the incident."""
    from engine.outcome import outcome

    drill = example_run()
    assert outcome(drill.scenario, drill.log.events).mitigated_at is not None


@functools.cache
def exercised_events() -> tuple[Event, ...]:
    """Events of the scripts.md example run plus a drill of the full scenario example
    in which every mitigation, a facilitator note and an end are sent."""
    events = list(example_run().log.events)
    d = Drill(load_scenario(max(scenario_blocks()[0], key=len)), seed=0)
    d.advance(400)
    pod = d.world.services["storefront"].pods[0].name
    for inp in (
        {"type": "rollback", "service": "storefront"},
        {"type": "forward_fix", "service": "storefront"},
        {"type": "drain_pod", "service": "storefront", "pod": pod},
        {"type": "undrain_pod", "service": "storefront", "pod": pod},
        {"type": "scale", "service": "storefront", "pods": 8},
        {"type": "scale_consumers", "topic": "orders", "consumers": 4},
        {"type": "set_flag", "flag": "new-checkout", "enabled": False},
        {"type": "set_breaker", "dependency": "payments", "state": "open"},
        {"type": "throttle_producer", "topic": "orders", "allow_pct": 50},
        {"type": "skip_poison", "topic": "orders"},
        {"type": "restart", "target": "storefront"},
        {"type": "restart", "target": "orders-db"},
        {"type": "restart", "target": "orders"},
        {"type": "failover", "database": "orders-db"},
        {"type": "shed_load", "service": "storefront", "pct": 10},
        {"type": "kill_query", "database": "orders-db"},
        {"type": "note", "text": "facilitator-only"},
    ):
        d.submit(inp, "alex", role="facilitator")
    d.advance(1000)
    d.submit({"type": "scale", "service": "storefront", "pods": 4}, "alex")
    d.submit({"type": "end", "reason": "debrief"}, "fac", role="facilitator")
    return (*events, *d.log.events)


def event_table() -> dict[str, list[str]]:
    doc = read("metrics.md")
    return by_name(table_rows(doc.split("<!-- events -->\n", 1)[1].splitlines()))


def test_event_types_are_documented() -> None:
    """Every event type a real drill logs has a row in the events table of metrics.md."""
    logged = {e.type for e in exercised_events()}
    missing = sorted(logged - set(event_table()))
    assert not missing, f"event types not in docs/metrics.md: {missing}"


def test_effect_consequences_are_documented() -> None:
    """Every `what` of the effect events a real drill logs appears in metrics.md."""
    flat = " ".join(read("metrics.md").split())  # inline code may wrap across lines
    whats = {e.data["what"] for e in exercised_events() if e.type == "effect"}
    missing = sorted(w for w in whats if f"`{w}`" not in flat)
    assert not missing, f"effect `what`s not in docs/metrics.md: {missing}"


def test_state_events_are_documented_with_their_visibility() -> None:
    """Every state event's `what` has a row in the state table, with its visibility."""
    doc = read("metrics.md")
    rows = table_rows(doc.split("<!-- state-events -->\n", 1)[1].splitlines())
    vis = {w: row[1] for row in rows for w in re.findall(r"`([^`]+)`", row[0])}
    for e in exercised_events():
        if e.type == "state":
            what = e.data["what"]
            assert what in vis, f"state `{what}` not in the state table"
            assert vis[what] == e.vis, f"state `{what}` is logged for {e.vis}"


def test_visibility_column_matches_the_log() -> None:
    """Event types logged facilitator-only are marked so in the events table."""
    table = event_table()
    for e in exercised_events():
        if e.vis == "facilitator":
            assert "facilitator" in table[e.type][2], e.type
