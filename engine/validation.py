"""Turn pydantic validation errors into located, author-facing Problems.

Pydantic reports ``loc`` tuples and generic messages ("Input should be a
valid integer"). Authors need the field as they wrote it, the line, what was
expected and what they wrote: "`faults[2].at` must be >= 0 (got -5)".
"""

from __future__ import annotations

import difflib
import enum
import types
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

import pydantic

from engine.errors import AuthorError, Problem, ScenarioError
from engine.yamldoc import Document, Path, format_path

M = TypeVar("M", bound=pydantic.BaseModel)

_TYPE_WORDS = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
    "tuple_type": "a list",
    "none_required": "null",
}
_BOUNDS = {
    "greater_than": ("gt", ">"),
    "greater_than_equal": ("ge", ">="),
    "less_than": ("lt", "<"),
    "less_than_equal": ("le", "<="),
}
_PREFIXES = ("Value error, ", "Assertion failed, ")


def validate_document(
    model: type[M], doc: Document, *, error: type[AuthorError] = ScenarioError
) -> M:
    """Validate ``doc.data`` as ``model``; raise ``error`` listing every located problem."""
    try:
        return model.model_validate(doc.data)
    except pydantic.ValidationError as exc:
        raise error(problems_from_validation(exc, doc, model)) from None


def problems_from_validation(
    exc: pydantic.ValidationError, doc: Document, model: type[pydantic.BaseModel] | None = None
) -> list[Problem]:
    """One Problem per pydantic error, in pydantic's order, without duplicates."""
    # Each entry: (path, predicates, got, union). A plain (non-discriminated) union reports
    # one error per member at the same place; those merge into "must be an integer or a string".
    entries: list[tuple[Path, list[str], str | None, bool]] = []
    unions: dict[tuple[Path, str | None], list[str]] = {}
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        path, dropped = _data_path(loc, doc.data, err["type"])
        predicate, got, path = _describe(err, loc, path, model)
        if not (dropped and predicate.startswith("must be ")):
            entries.append((path, [predicate], got, False))
            continue
        alternative = predicate.removeprefix("must be ")
        if (path, got) in unions:
            if alternative not in unions[(path, got)]:
                unions[(path, got)].append(alternative)
            continue
        unions[(path, got)] = [alternative]
        entries.append((path, unions[(path, got)], got, True))
    problems: list[Problem] = []
    for path, predicates, got, union in entries:
        if union and len(predicates) > 1:
            # "an integer or true or false" reads badly; name the type when listing several.
            words = [w.replace("true or false", "a boolean") for w in predicates]
            predicate = "must be " + " or ".join(words)
        else:
            predicate = "must be " + predicates[0] if union else predicates[0]
        message = f"{predicate} (got {got})" if got else predicate
        problem = Problem(doc.file, doc.line_of(path), format_path(path), message)
        if problem not in problems:
            problems.append(problem)
    return problems


def _data_path(loc: tuple[Any, ...], data: Any, kind: str) -> tuple[Path, bool]:
    """Keep the loc elements that are real keys/indexes in the data.

    Union validators add the member's tag or type name to ``loc`` (e.g.
    ``("faults", 0, "bad_deploy", "at")``); the author never wrote it.
    Returns the path and whether anything was dropped.
    """
    path: list[str | int] = []
    node, dropped = data, False
    for i, part in enumerate(loc):
        in_dict = isinstance(node, dict) and isinstance(part, str) and part in node
        if in_dict or (isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)):
            node = node[part]
        elif i == len(loc) - 1 and kind == "missing" and isinstance(node, dict):
            pass  # a required key is absent by definition
        else:
            dropped = True
            continue
        path.append(part)
    return tuple(path), dropped


def _describe(
    err: Mapping[str, Any], loc: tuple[Any, ...], path: Path, model: Any
) -> tuple[str, str | None, Path]:
    """(predicate, shown input or None, possibly adjusted path) for one pydantic error."""
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    got = _show(value)
    if kind == "missing":
        return "is required", None, path
    if kind == "extra_forbidden":
        fields = _field_names(_walk(model, loc[:-1]))
        if not fields:
            return "is not a known field", None, path
        hint = difflib.get_close_matches(str(loc[-1]), fields, n=1)
        tail = f" (did you mean `{hint[0]}`?)" if hint else ""
        return f"is not a known field; expected one of: {', '.join(fields)}{tail}", None, path
    if kind in ("literal_error", "enum"):
        choices = _choices(_walk(model, loc))
        listed = ", ".join(repr(c) for c in choices) if choices else ctx.get("expected", "?")
        return f"must be one of {listed}", got, path
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        field = str(ctx.get("discriminator", "")).strip("'\"")
        if field.isidentifier():
            path = (*path, field)  # point at the tag field itself, as the author wrote it
        tags = ctx.get("expected_tags") or ", ".join(
            repr(t) for t in _tags(_walk(model, loc), field)
        )
        if kind == "union_tag_invalid":
            return f"must be one of {tags}", _show(ctx.get("tag")), path
        return (f"is required; expected one of {tags}" if tags else "is required"), None, path
    if kind in _BOUNDS:
        name, op = _BOUNDS[kind]
        bound = ctx.get(name)
        if isinstance(bound, float) and bound.is_integer():
            bound = int(bound)  # a float field reports `le=100` as 100.0; show what was declared
        return f"must be {op} {bound}", got, path
    if kind in _TYPE_WORDS:
        return f"must be {_TYPE_WORDS[kind]}", got, path
    if kind in ("too_short", "too_long", "string_too_short", "string_too_long"):
        least = kind.endswith("short")
        n = ctx.get("min_length" if least else "max_length")
        bound = f"{'at least' if least else 'at most'} {n}"
        if kind.startswith("string"):
            return f"must be {bound} character{'' if n == 1 else 's'} long", got, path
        unit = (
            "entr" + ("y" if n == 1 else "ies")
            if ctx.get("field_type") == "Dictionary"
            else ("item" if n == 1 else "items")
        )
        return f"must have {bound} {unit}", str(ctx.get("actual_length", got)), path
    if kind == "string_pattern_mismatch":
        return f"must match the pattern {ctx.get('pattern')!r}", got, path
    msg = str(err.get("msg", kind))
    for prefix in _PREFIXES:
        if msg.startswith(prefix):
            # A custom validator's own words; it chose what to show.
            return msg.removeprefix(prefix), None, path
    if msg.startswith("Input should be "):
        msg = "must be " + msg.removeprefix("Input should be ")
    return msg, got, path


def _show(value: Any, limit: int = 60) -> str:
    """Short, YAML-flavoured rendering of what the author wrote."""
    if value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --- walking a model's annotations along a loc -------------------------------------------


def _unwrap(tp: Any) -> Any:
    """Strip Annotated[...] and Optional[...] (a union with None and one other member)."""
    while True:
        if get_origin(tp) is Annotated:
            tp = get_args(tp)[0]
            continue
        if _is_union(tp):
            members = [m for m in get_args(tp) if m is not type(None)]
            if len(members) == 1:
                tp = members[0]
                continue
        return tp


def _is_union(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType)


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, pydantic.BaseModel)


def _fields(model: type[pydantic.BaseModel]) -> dict[str, Any]:
    """Fields by the name an author writes (the alias when there is one)."""
    out = {}
    for name, info in model.model_fields.items():
        alias = info.validation_alias if isinstance(info.validation_alias, str) else info.alias
        out[alias or name] = info
    return out


def _walk(model: Any, loc: Sequence[Any]) -> Any:
    """The annotation at ``loc`` inside ``model``, or None when we cannot tell."""
    tp = model
    for part in loc:
        if tp is None:
            return None
        tp = _step(_unwrap(tp), part)
    return _unwrap(tp) if tp is not None else None


def _step(tp: Any, part: Any) -> Any:
    if _is_model(tp):
        info = _fields(tp).get(part)
        return info.annotation if info is not None else None
    if _is_union(tp):
        members = [_unwrap(m) for m in get_args(tp) if m is not type(None)]
        for m in members:  # a union member's tag or type name, added by pydantic
            if getattr(m, "__name__", None) == part or part in _tags(m, None):
                return m
        for m in members:
            found = _step(m, part)
            if found is not None:
                return found
        return None
    origin, args = get_origin(tp), get_args(tp)
    if isinstance(part, int) and origin in (list, tuple, set, frozenset, Sequence) and args:
        if origin is tuple and args[-1] is not Ellipsis and part < len(args):
            return args[part]
        return args[0]
    if isinstance(part, str) and origin in (dict, Mapping) and len(args) == 2:
        return args[1]
    return None


def _field_names(tp: Any) -> list[str]:
    return list(_fields(tp)) if _is_model(tp) else []


def _choices(tp: Any) -> list[Any]:
    """Allowed values of a Literal or Enum annotation."""
    if get_origin(tp) is Literal:
        return list(get_args(tp))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return [m.value for m in tp]
    return []


def _tags(tp: Any, field: str | None) -> list[Any]:
    """Discriminator values of a model (``field`` given) or of each member of a union."""
    if _is_union(tp):
        return [t for m in get_args(tp) for t in _tags(_unwrap(m), field)]
    if not _is_model(tp):
        return []
    infos = _fields(tp)
    chosen = [infos[field]] if field in infos else ([] if field else list(infos.values()))
    return [c for info in chosen for c in _choices(_unwrap(info.annotation))]
