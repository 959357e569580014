"""The safe YAML loader and the pydantic error translation, told as author stories.

Malformed inputs live in tests/malformed/ as real files; the test reads them
(the engine never touches the file system) and asserts the exact message an
author would see.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import pydantic
import pytest
import yaml

import engine.yamldoc as yamldoc
from engine.errors import Problem, ScenarioError, ScriptError
from engine.validation import validate_document
from engine.yamldoc import Document, format_path, load_yaml

MALFORMED = Path(__file__).parent / "malformed"
LOADERS = [yaml.SafeLoader] + ([yaml.CSafeLoader] if yaml.__with_libyaml__ else [])
# libyaml and the pure-Python parser word syntax errors differently.
needs_libyaml = pytest.mark.skipif(not yaml.__with_libyaml__, reason="libyaml wording")


def rejection(name: str, **limits: int) -> str:
    """Load tests/malformed/<name> and return the single problem as an author sees it."""
    with pytest.raises(ScenarioError) as caught:
        load_yaml((MALFORMED / name).read_bytes(), name, **limits)
    assert len(caught.value.problems) == 1
    return str(caught.value.first)


# --- documents that are refused ----------------------------------------------------------


def test_duplicate_key_names_both_lines() -> None:
    """A key written twice is refused, pointing at both occurrences."""
    assert rejection("duplicate_key.yaml") == (
        "duplicate_key.yaml line 3: duplicate key `name` (first at line 1)"
    )


def test_boolean_word_key_is_refused() -> None:
    """`on:` would silently become True under YAML 1.1, so the author must quote it."""
    assert rejection("boolean_key.yaml") == (
        "boolean_key.yaml line 3: `features` key `on` is read by YAML 1.1 as a boolean;"
        " quote it or use another name"
    )


def test_non_string_key_is_refused() -> None:
    """A numeric key is named together with its value."""
    assert rejection("non_string_key.yaml") == (
        "non_string_key.yaml line 4: `services` expected a string key, got a number (404);"
        " quote it if it is a name"
    )


@needs_libyaml
def test_unclosed_bracket_reports_the_parser_explanation() -> None:
    """A syntax error keeps libyaml's words and says where the open bracket was."""
    assert rejection("unclosed_bracket.yaml") == (
        "unclosed_bracket.yaml line 3: invalid YAML: did not find expected ',' or ']'"
        " (column 9); while parsing a flow sequence that started at line 2"
    )


@needs_libyaml
def test_tab_indentation_is_explained() -> None:
    """A tab in the indentation gets the parser's error plus a plain hint."""
    assert rejection("tab_indent.yaml") == (
        "tab_indent.yaml line 4: invalid YAML: found character that cannot start any token"
        " (column 1); tabs cannot be used for indentation, use spaces"
    )


def test_empty_file_is_refused() -> None:
    """An empty file is not a scenario."""
    assert rejection("empty.yaml") == "empty.yaml: the document is empty"


@pytest.mark.parametrize("text", ["# only a comment\n", "---\n", "\n\n"])
def test_comment_only_or_bare_marker_is_empty(text: str) -> None:
    """Comments or a bare `---` count as empty too."""
    with pytest.raises(ScenarioError, match="the document is empty"):
        load_yaml(text, "x.yaml")


def test_second_document_is_refused() -> None:
    """Only one document per file; the second one's line is given."""
    assert rejection("two_documents.yaml") == (
        "two_documents.yaml line 2: expected one YAML document, found a second one"
    )


def test_top_level_list_is_refused() -> None:
    """The top level must be a mapping."""
    assert rejection("top_level_list.yaml") == (
        "top_level_list.yaml line 1: expected a mapping at the top level, got a list"
    )


def test_billion_laughs_is_stopped() -> None:
    """The alias bomb hits the expansion limit instead of building 9**9 strings."""
    assert rejection("billion_laughs.yaml") == (
        "billion_laughs.yaml line 6: `e[1]` alias expansion exceeds the limit of 20,000 values"
    )


@pytest.mark.parametrize("loader", LOADERS, ids=lambda loader: loader.__name__)
def test_ten_thousand_deep_nesting_is_a_clean_error(
    loader: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    """10,000 nested brackets give a depth error with either parser, never a crash."""
    monkeypatch.setattr(yamldoc, "_Loader", loader)
    assert rejection("deep_nesting.yaml") == (
        "deep_nesting.yaml line 2: `deep` nesting is deeper than the limit of 50 levels"
    )


def test_python_tag_is_refused() -> None:
    """python/* tags (code execution in unsafe loaders) are named and refused."""
    assert rejection("python_tag.yaml") == (
        "python_tag.yaml line 2: `runbook` tag `!!python/object/apply:os.system` is not"
        " allowed; only strings, numbers, booleans, null, lists and mappings are allowed"
    )


def test_binary_tag_is_refused() -> None:
    """Other YAML types such as !!binary are refused by name."""
    assert rejection("binary_tag.yaml") == (
        "binary_tag.yaml line 2: `logo` tag `!!binary` is not supported;"
        " only strings, numbers, booleans, null, lists and mappings are allowed"
    )


def test_merge_key_is_refused() -> None:
    """`<<` merge keys are not supported."""
    assert rejection("merge_key.yaml") == (
        "merge_key.yaml line 4: `services.api` merge keys (`<<`) are not supported;"
        " write the keys out"
    )


def test_non_utf8_bytes_are_refused() -> None:
    """Latin-1 bytes are reported with the offending byte and its offset."""
    assert rejection("not_utf8.yaml") == (
        "not_utf8.yaml line 2: expected UTF-8 text, found byte 0xe9 at offset 22"
    )


def test_oversize_source_is_refused_before_parsing() -> None:
    """Input over max_bytes is refused with its size and the limit."""
    source = b"name: drill\n" * 20
    with pytest.raises(ScenarioError) as caught:
        load_yaml(source, "big.yaml", max_bytes=100)
    assert caught.value.first == Problem(
        "big.yaml", None, "", "the file is 240 bytes, over the limit of 100 bytes"
    )


def test_too_many_aliases_are_refused() -> None:
    """More alias uses than max_aliases is refused at the first one over."""
    source = "base: &b 1\nuses: [" + ", ".join(["*b"] * 4) + "]\n"
    with pytest.raises(ScenarioError) as caught:
        load_yaml(source, "a.yaml", max_aliases=3)
    assert (
        str(caught.value.first) == "a.yaml line 2: `uses[3]` more than 3 aliases (`*name`) are used"
    )


def test_error_class_is_chosen_by_the_caller() -> None:
    """A script loader gets ScriptError, not ScenarioError."""
    with pytest.raises(ScriptError):
        load_yaml("- 1\n", "s.yaml", error=ScriptError)


# --- documents that load, and where their values came from ------------------------------

GOOD = """\
name: db failover
services:
  api:
    replicas: 2
    ports: [80, 443]
faults:
  - kind: bad_deploy
    at: 5
  - kind: disk_full
    at: 12
    started: 2024-03-01 10:00:00
base: &base {region: eu}
mirror: *base
"""


@pytest.mark.parametrize("loader", LOADERS, ids=lambda loader: loader.__name__)
def test_lines_are_recorded_for_nested_paths(loader: type, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every mapping entry is at its key's line; list items at their own line."""
    monkeypatch.setattr(yamldoc, "_Loader", loader)
    doc = load_yaml(GOOD, "good.yaml")
    assert doc.data["services"] == {"api": {"replicas": 2, "ports": [80, 443]}}
    assert doc.lines[()] == 1
    assert doc.lines[("services",)] == 2
    assert doc.lines[("services", "api", "replicas")] == 4
    assert doc.lines[("services", "api", "ports", 1)] == 5
    assert doc.lines[("faults", 1)] == 9
    assert doc.lines[("faults", 1, "at")] == 10
    # An alias sits at its use; the values under it keep their definition's line.
    assert doc.data["mirror"] == {"region": "eu"}
    assert doc.lines[("mirror",)] == 13
    assert doc.lines[("mirror", "region")] == 12


def test_aliased_values_are_not_shared() -> None:
    """Each alias use is its own copy, so editing one cannot change another."""
    doc = load_yaml(GOOD, "good.yaml")
    assert doc.data["mirror"] is not doc.data["base"]


def test_line_of_falls_back_to_the_nearest_ancestor() -> None:
    """A path that is not in the document (e.g. a missing field) gets its parent's line."""
    doc = load_yaml(GOOD, "good.yaml")
    assert doc.line_of(("faults", 0, "at")) == 8
    assert doc.line_of(("faults", 0, "service")) == 7
    assert doc.line_of(["nowhere", 3]) == 1
    assert Document({}, "x.yaml", {}).line_of(("a",)) is None


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (("faults", 2, "at"), "faults[2].at"),
        ((), ""),
        (("name",), "name"),
        ((0, "a"), "[0].a"),
        (("grid", 1, 2), "grid[1][2]"),
    ],
)
def test_format_path(path: tuple[str | int, ...], text: str) -> None:
    """Paths render the way an author writes them."""
    assert format_path(path) == text


def test_scalars_are_plain_values_and_timestamps_stay_strings() -> None:
    """Numbers, booleans and null are typed; dates and times remain the text written."""
    doc = load_yaml(GOOD + "when: 2024-03-01\nflag: true\nnothing: ~\nratio: 0.5\n", "g.yaml")
    assert doc.data["when"] == "2024-03-01"
    assert doc.data["faults"][1]["started"] == "2024-03-01 10:00:00"
    assert (doc.data["flag"], doc.data["nothing"], doc.data["ratio"]) == (True, None, 0.5)


def test_quoted_boolean_word_is_an_ordinary_key() -> None:
    """Quoting `on` makes it a string key."""
    assert load_yaml("'on': 1\n", "q.yaml").data == {"on": 1}


def test_text_and_bytes_load_the_same() -> None:
    """str and UTF-8 bytes (with or without a BOM) give the same data."""
    text = "name: Renée\n"
    assert load_yaml(text, "t.yaml").data == load_yaml(text.encode(), "t.yaml").data
    assert load_yaml(b"\xef\xbb\xbf" + text.encode(), "t.yaml").data == {"name": "Renée"}


# --- pydantic errors, located ------------------------------------------------------------


class Strict(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)


class BadDeploy(Strict):
    kind: Literal["bad_deploy"]
    at: int = pydantic.Field(ge=0)
    service: str


class DiskFull(Strict):
    kind: Literal["disk_full"]
    at: int = pydantic.Field(ge=0)
    percent: float = pydantic.Field(gt=0, le=100)


class Drill(Strict):
    name: str
    severity: Literal["low", "high"]
    faults: list[Annotated[BadDeploy | DiskFull, pydantic.Field(discriminator="kind")]]

    @pydantic.field_validator("name")
    @classmethod
    def name_is_not_placeholder(cls, value: str) -> str:
        if value == "TODO":
            raise ValueError("name is still the placeholder 'TODO'")
        return value


BROKEN = """\
name: TODO
severity: extreme
faults:
  - kind: bad_deploy
    at: -5
    servce: api
  - kind: disk_full
    at: soon
    percent: 120
  - kind: power_cut
    at: 3
  - at: 9
colour: red
"""


def test_validation_errors_are_located_and_worded_for_authors() -> None:
    """Every pydantic error becomes one located, readable problem, in pydantic's order."""
    with pytest.raises(ScenarioError) as caught:
        validate_document(Drill, load_yaml(BROKEN, "drill.yaml"))
    assert [str(p) for p in caught.value.problems] == [
        "drill.yaml line 1: `name` name is still the placeholder 'TODO'",
        "drill.yaml line 2: `severity` must be one of 'low', 'high' (got 'extreme')",
        "drill.yaml line 5: `faults[0].at` must be >= 0 (got -5)",
        "drill.yaml line 4: `faults[0].service` is required",
        "drill.yaml line 6: `faults[0].servce` is not a known field;"
        " expected one of: kind, at, service (did you mean `service`?)",
        "drill.yaml line 8: `faults[1].at` must be an integer (got 'soon')",
        "drill.yaml line 9: `faults[1].percent` must be <= 100 (got 120)",
        "drill.yaml line 10: `faults[2].kind` must be one of 'bad_deploy', 'disk_full'"
        " (got 'power_cut')",
        "drill.yaml line 12: `faults[3].kind` is required;"
        " expected one of 'bad_deploy', 'disk_full'",
        "drill.yaml line 13: `colour` is not a known field;"
        " expected one of: name, severity, faults",
    ]


def test_valid_document_returns_the_model() -> None:
    """A good document validates into the frozen model."""
    doc = load_yaml(
        "name: ok\nseverity: low\nfaults:\n  - {kind: disk_full, at: 1, percent: 5}\n", "d"
    )
    drill = validate_document(Drill, doc)
    assert drill.faults[0] == DiskFull(kind="disk_full", at=1, percent=5)


def test_plain_union_errors_merge_into_one_problem() -> None:
    """A non-discriminated union says all accepted types at once, not one error per member."""

    class Knob(Strict):
        value: int | bool

    with pytest.raises(ScriptError) as caught:
        validate_document(Knob, load_yaml("value: [1, 2]\n", "k.yaml"), error=ScriptError)
    assert [str(p) for p in caught.value.problems] == [
        "k.yaml line 1: `value` must be an integer or a boolean (got [1, 2])"
    ]


def test_wrong_container_types_and_lengths_are_worded() -> None:
    """A scalar where a list was expected, and a too-short list, read naturally."""

    class Team(Strict):
        members: list[str] = pydantic.Field(min_length=2)
        lead: str

    with pytest.raises(ScenarioError) as caught:
        validate_document(Team, load_yaml("members: [ana]\nlead: 7\n", "t.yaml"))
    assert [str(p) for p in caught.value.problems] == [
        "t.yaml line 1: `members` must have at least 2 items (got 1)",
        "t.yaml line 2: `lead` must be a string (got 7)",
    ]


def test_long_inputs_are_shortened_in_messages() -> None:
    """A long wrong value is cut to about 60 characters so the message stays readable."""

    class Timer(Strict):
        seconds: int

    with pytest.raises(ScenarioError) as caught:
        validate_document(Timer, load_yaml("seconds: " + "x" * 200 + "\n", "t.yaml"))
    got = "'" + "x" * 56 + "..."
    assert str(caught.value.first) == f"t.yaml line 1: `seconds` must be an integer (got {got})"


def test_parser_own_depth_limit_reads_as_ours(monkeypatch: pytest.MonkeyPatch) -> None:
    """A parser that stops deep nesting itself (libyaml >= 0.2.5) gives the project's message."""

    class StopsDeep(yaml.SafeLoader):
        depth = 0

        def get_event(self) -> yaml.Event:
            event = super().get_event()
            if isinstance(event, yaml.SequenceStartEvent):
                self.depth += 1
                if self.depth == 3:
                    raise yaml.scanner.ScannerError(
                        "while increasing flow level",
                        None,
                        "exceeded maximum nesting depth",
                        event.start_mark,
                    )
            return event

    monkeypatch.setattr(yamldoc, "_Loader", StopsDeep)
    assert rejection("deep_nesting.yaml") == (
        "deep_nesting.yaml line 2: `deep` nesting is deeper than the limit of 50 levels"
    )
