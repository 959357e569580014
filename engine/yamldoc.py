"""Safe YAML loading that remembers the line every value came from.

Author files are untrusted, so the loader is strict and bounded: one
document, a mapping at the top, string keys only, no merge keys, no tags
beyond plain JSON-like scalars, and limits on size, depth and alias
expansion. Every rejection is an :class:`~engine.errors.AuthorError` that
carries the file, line and field path.

We build values from the parser's *event* stream with an explicit stack
rather than calling ``yaml.compose``: libyaml's composer recurses in C and
segfaults the interpreter on ~100k nested ``[`` or ``- `` (a 200 KB file),
and the pure-Python composer raises RecursionError. The event parser is
iterative, so we can stop as soon as ``max_depth`` is passed.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.reader import ReaderError

from engine.errors import AuthorError, Problem, ScenarioError

Path = tuple[str | int, ...]
_Fail = Callable[[int | None, Path, str], AuthorError]

# libyaml is 8-9x faster; both are the *safe* variants (no python/* tags).
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CONSTRUCTOR = SafeConstructor()
_STD = "tag:yaml.org,2002:"
_MAP, _SEQ, _STR = _STD + "map", _STD + "seq", _STD + "str"
# YAML 1.1 booleans, plus y/n: other YAML readers (and people) treat them as booleans too.
_BOOL_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false"})
_PLAIN = "only strings, numbers, booleans, null, lists and mappings are allowed"


@dataclass(frozen=True, slots=True)
class Document:
    """Plain data loaded from one YAML file plus the line of every node."""

    data: Any
    file: str
    lines: Mapping[Path, int] = field(repr=False)

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """Line of ``path``, else of its nearest recorded ancestor, else None."""
        p = tuple(path)
        while True:
            line = self.lines.get(p)
            if line is not None or not p:
                return line
            p = p[:-1]


def format_path(path: Sequence[str | int]) -> str:
    """Render a path as an author would write it: ``("faults", 2, "at")`` -> ``faults[2].at``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


class _Reject(Exception):
    """Internal: carries one problem out of the builder."""

    def __init__(self, line: int | None, path: Path, message: str) -> None:
        super().__init__(message)
        self.line, self.path, self.message = line, path, message


def load_yaml(
    source: str | bytes,
    file: str,
    *,
    error: type[AuthorError] = ScenarioError,
    max_bytes: int = 1_000_000,
    max_depth: int = 50,
    max_aliases: int = 100,
    max_nodes: int = 20_000,  # the largest library scenario has ~600 values
) -> Document:
    """Parse one YAML document whose top level is a mapping; raise ``error`` if it is unfit."""

    def fail(line: int | None, path: Path, message: str) -> AuthorError:
        return error([Problem(file, line, format_path(path), message)])

    text = _decode(source, max_bytes, fail)
    loader = _Loader(text)
    try:
        builder = _Builder(loader, max_depth, max_aliases, max_nodes)
        data, lines = builder.run()
    except _Reject as r:
        raise fail(r.line, r.path, r.message) from None
    except yaml.MarkedYAMLError as e:
        raise fail(*_syntax_problem(e, text)) from None
    except ReaderError as e:
        # The reader reports a character index into the text we passed, not a mark.
        line = text.count("\n", 0, e.position) + 1
        char = e.character if isinstance(e.character, int) else ord(e.character)
        raise fail(line, (), f"invalid YAML: {e.reason} (found U+{char:04X})") from None
    except yaml.YAMLError as e:  # anything else libyaml may raise, still the author's input
        raise fail(None, (), f"invalid YAML: {e}") from None
    finally:
        loader.dispose()
    return Document(data, file, MappingProxyType(lines))


def _decode(source: str | bytes, max_bytes: int, fail: _Fail) -> str:
    """Check size and encoding before the parser ever sees the input."""
    if isinstance(source, str):
        if len(source) > max_bytes:  # a lower bound on the UTF-8 size; skips a huge encode
            raise fail(
                None,
                (),
                f"the file is at least {len(source):,} bytes, over the limit of "
                f"{max_bytes:,} bytes",
            )
        try:
            size = len(source.encode("utf-8"))
        except UnicodeEncodeError as e:
            line = source.count("\n", 0, e.start) + 1
            raise fail(
                line, (), f"the text contains an invalid character at index {e.start}"
            ) from None
        text = source
    else:
        size = len(source)
    if size > max_bytes:
        raise fail(None, (), f"the file is {size:,} bytes, over the limit of {max_bytes:,} bytes")
    if isinstance(source, bytes):
        try:
            text = source.decode("utf-8")
        except UnicodeDecodeError as e:
            line = source.count(b"\n", 0, e.start) + 1
            bad = source[e.start]
            msg = f"expected UTF-8 text, found byte 0x{bad:02x} at offset {e.start}"
            raise fail(line, (), msg) from None
    return text.removeprefix("\ufeff")


def _syntax_problem(e: yaml.MarkedYAMLError, text: str) -> tuple[int | None, Path, str]:
    """Parser error -> (line, path, message) using the parser's own explanation."""
    mark, ctx = e.problem_mark, e.context_mark
    message = f"invalid YAML: {e.problem}"
    if mark is not None:
        message += f" (column {mark.column + 1})"
        rows = text.split("\n")
        row = rows[mark.line] if mark.line < len(rows) else ""
        if "\t" in row[: len(row) - len(row.lstrip(" \t"))]:
            # The parser's own words do not say "tab" in every case; this is the usual cause.
            return mark.line + 1, (), f"{message}; tabs cannot be used for indentation, use spaces"
    if e.context and ctx is not None and (mark is None or ctx.line != mark.line):
        message += f"; {e.context} that started at line {ctx.line + 1}"
    return (mark.line + 1 if mark is not None else None), (), message


def _kind(value: Any) -> str:
    """Describe a value's YAML type for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({'true' if value else 'false'})"
    if isinstance(value, int | float):
        return f"a number ({value!r})"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "a mapping"


def _bad_tag(tag: str) -> str:
    name = "!!" + tag.removeprefix(_STD) if tag.startswith(_STD) else tag
    verdict = "is not allowed" if "python/" in tag else "is not supported"
    return f"tag `{name}` {verdict}; {_PLAIN}"


class _Builder:
    """Turns parser events into plain values, recording (path, line) per node."""

    def __init__(self, loader: Any, max_depth: int, max_aliases: int, max_nodes: int) -> None:
        self.loader = loader
        self.max_depth, self.max_aliases, self.max_nodes = max_depth, max_aliases, max_nodes
        # Pre-order (path, line) entries: a node's subtree is a contiguous slice,
        # which lets an alias copy its anchor's lines without scanning everything.
        self.entries: list[tuple[Path, int]] = []
        # anchor name -> (value, first entry index, end entry index, anchor path length)
        self.anchors: dict[str, tuple[Any, int, int, int]] = {}
        self.open_anchors: set[str] = set()
        self.aliases = 0

    def run(self) -> tuple[dict[str, Any], dict[Path, int]]:
        events = self.loader
        events.get_event()  # StreamStart
        if events.check_event(yaml.StreamEndEvent):
            raise _Reject(None, (), "the document is empty")
        events.get_event()  # DocumentStart
        first = events.peek_event()
        line = first.start_mark.line + 1
        if isinstance(first, yaml.ScalarEvent) and first.value == "" and first.implicit[0]:
            raise _Reject(None, (), "the document is empty")
        if not isinstance(first, yaml.MappingStartEvent):
            got = "a list" if isinstance(first, yaml.SequenceStartEvent) else "a single value"
            if isinstance(first, yaml.ScalarEvent):
                got = _kind(self._scalar(first, (), line))
            raise _Reject(line, (), f"expected a mapping at the top level, got {got}")
        data = self._tree()
        events.get_event()  # DocumentEnd
        if events.check_event(yaml.DocumentStartEvent):
            second = events.peek_event().start_mark.line + 1
            raise _Reject(second, (), "expected one YAML document, found a second one")
        return data, dict(self.entries)

    def _tree(self) -> Any:
        """Build one node (and everything under it) without recursion."""
        # Frame: [path, container, anchor, start entry, key_lines, pending (key, line) | None]
        stack: list[list[Any]] = []
        while True:
            try:
                ev = self.loader.get_event()
            except yaml.MarkedYAMLError as e:
                raise self._parser_depth(e, stack) from None
            line: int = ev.start_mark.line + 1  # both parsers mark every event
            if isinstance(ev, yaml.SequenceEndEvent | yaml.MappingEndEvent):
                frame = stack.pop()
                if frame[2] is not None:
                    self.anchors[frame[2]] = (frame[1], frame[3], len(self.entries), len(frame[0]))
                    self.open_anchors.discard(frame[2])
                value, done = frame[1], not stack
            else:
                top = stack[-1] if stack else None
                if top is not None and isinstance(top[1], dict) and top[5] is None:
                    top[5] = self._key(ev, top, line)
                    continue
                if top is None:
                    path: Path = ()
                elif isinstance(top[1], dict):
                    path, line = (*top[0], top[5][0]), top[5][1]
                else:
                    path = (*top[0], len(top[1]))
                self._count(1, path, line)
                self.entries.append((path, line))
                if isinstance(ev, yaml.ScalarEvent):
                    value = self._scalar(ev, path, line)
                    if ev.anchor is not None:
                        i = len(self.entries) - 1
                        self.anchors[ev.anchor] = (value, i, i + 1, len(path))
                elif isinstance(ev, yaml.AliasEvent):
                    value = self._alias(ev, path, line)
                else:
                    self._start(ev, stack, path, line)
                    continue
                done = top is None
            if done:
                return value
            parent = stack[-1]
            if isinstance(parent[1], dict):
                parent[1][parent[5][0]] = value
                parent[5] = None
            else:
                parent[1].append(value)

    def _parser_depth(self, e: yaml.MarkedYAMLError, stack: list[list[Any]]) -> Exception:
        """libyaml >= 0.2.5 (PyYAML 6.0.4's wheels) stops deep nesting with its own words.

        It scans ahead, so its limit can fire before ours sees the depth; say it in our
        words, so the author reads the same message whichever parser and version ran.
        Any other parser error is returned unchanged, for the caller's translation.
        """
        if "nesting depth" not in (e.problem or "") or not stack:
            return e
        frame = stack[-1]
        path = frame[0][:1] if frame[0] else ((frame[5][0],) if frame[5] else ())
        line = e.problem_mark.line + 1 if e.problem_mark is not None else None
        return _Reject(line, path, self._depth_message())

    def _depth_message(self) -> str:
        return f"nesting is deeper than the limit of {self.max_depth} levels"

    def _start(self, ev: Any, stack: list[list[Any]], path: Path, line: int) -> None:
        is_map = isinstance(ev, yaml.MappingStartEvent)
        if ev.tag not in (None, "!", _MAP if is_map else _SEQ):
            raise _Reject(line, path, _bad_tag(ev.tag))
        if len(stack) >= self.max_depth:
            # Only the top-level key: the full path would be max_depth segments long.
            raise _Reject(line, path[:1], self._depth_message())
        if ev.anchor is not None:
            self.open_anchors.add(ev.anchor)
        container: Any = {} if is_map else []
        stack.append([path, container, ev.anchor, len(self.entries) - 1, {}, None])

    def _key(self, ev: Any, frame: list[Any], line: int) -> tuple[str, int]:
        """Validate a mapping key event; return (key, line)."""
        where = frame[0]
        if isinstance(ev, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            got = "a list" if isinstance(ev, yaml.SequenceStartEvent) else "a mapping"
            raise _Reject(line, where, f"expected a string key, got {got}")
        if isinstance(ev, yaml.AliasEvent):
            key = self._alias(ev, where, line, as_key=True)
        elif ev.implicit[0] and ev.tag is None and ev.value.lower() in _BOOL_WORDS:
            raise _Reject(
                line,
                where,
                f"key `{ev.value}` is read by YAML 1.1 as a boolean; quote it or use another name",
            )
        elif ev.implicit[0] and ev.tag is None and ev.value == "<<":
            raise _Reject(line, where, "merge keys (`<<`) are not supported; write the keys out")
        else:
            key = self._scalar(ev, where, line)
            if ev.anchor is not None:
                self.anchors[ev.anchor] = (key, 0, 1, 0)  # a leaf: nothing below to copy
        if not isinstance(key, str):
            hint = "" if isinstance(key, list | dict) else "; quote it if it is a name"
            raise _Reject(line, where, f"expected a string key, got {_kind(key)}{hint}")
        if key in frame[4]:
            raise _Reject(line, where, f"duplicate key `{key}` (first at line {frame[4][key]})")
        frame[4][key] = line
        return key, line

    def _scalar(self, ev: Any, path: Path, line: int) -> Any:
        tag = ev.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(yaml.ScalarNode, ev.value, ev.implicit)
        if tag in (_STR, _STD + "timestamp", _STD + "merge", _STD + "value"):
            # Timestamps stay text: the engine uses its own clock model, not datetimes.
            # Plain `<<` / `=` as values mean nothing special in YAML 1.2; keep the text.
            return ev.value
        build = {
            _STD + "null": _CONSTRUCTOR.construct_yaml_null,
            _STD + "bool": _CONSTRUCTOR.construct_yaml_bool,
            _STD + "int": _CONSTRUCTOR.construct_yaml_int,
            _STD + "float": _CONSTRUCTOR.construct_yaml_float,
        }.get(tag)
        if build is None:
            raise _Reject(line, path, _bad_tag(tag))
        try:
            return build(yaml.ScalarNode(tag, ev.value))
        except (ValueError, KeyError, ConstructorError):
            raise _Reject(
                line, path, f"cannot read {ev.value!r} as `!!{tag.removeprefix(_STD)}`"
            ) from None

    def _alias(self, ev: Any, path: Path, line: int, *, as_key: bool = False) -> Any:
        self.aliases += 1
        if self.aliases > self.max_aliases:
            raise _Reject(line, path, f"more than {self.max_aliases} aliases (`*name`) are used")
        if ev.anchor in self.open_anchors:
            raise _Reject(
                line, path, f"alias `*{ev.anchor}` refers to a collection that contains it"
            )
        if ev.anchor not in self.anchors:
            raise _Reject(line, path, f"alias `*{ev.anchor}` has no matching anchor `&{ev.anchor}`")
        value, start, end, depth = self.anchors[ev.anchor]
        if as_key:
            return value
        self._count(end - start - 1, path, line, alias=True)
        # The alias node itself is located at its use; the nodes under it at their definition.
        self.entries.extend((path + p[depth:], ln) for p, ln in self.entries[start + 1 : end])
        return copy.deepcopy(value)  # no shared objects: callers may treat data as their own

    def _count(self, extra: int, path: Path, line: int, *, alias: bool = False) -> None:
        if len(self.entries) + extra <= self.max_nodes:
            return
        if alias or self.aliases:
            msg = f"alias expansion exceeds the limit of {self.max_nodes:,} values"
        else:
            msg = f"the document has more than the limit of {self.max_nodes:,} values"
        raise _Reject(line, path, msg)
