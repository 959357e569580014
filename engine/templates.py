"""Service templates: a named partial service block that services ``use:``.

Expansion runs on the loaded document, before the scenario models validate
it: a service with ``use: <template>`` becomes the template's fields with the
service's own written over them (mappings merge key by key, anything else is
replaced). Every value keeps the line it was written on, so an error in an
inherited value names the template's line. The template fields are checked
first, against every service field made optional, so a bad template is
reported once, at ``topology.templates[i]``, not once per service using it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Optional

from pydantic import BaseModel, ConfigDict, Field, create_model

from .errors import AuthorError, Problem
from .validation import problems_from_validation
from .yamldoc import Document, Path, format_path

TEMPLATES = ("topology", "templates")
SERVICES = ("topology", "services")


def partial_model(
    model: type[BaseModel], title: str, doc: str, drop: tuple[str, ...], **own: Any
) -> Any:
    """``model`` with every field optional, ``drop`` left out and ``own`` fields added."""
    fields: dict[str, Any] = dict(own)
    for key, info in model.model_fields.items():
        if key in drop:
            continue
        ann = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
        fields[key] = (Optional[ann], Field(None, description=info.description))  # noqa: UP045
    config = ConfigDict(extra="forbid", frozen=True)
    return create_model(title, __config__=config, __doc__=doc, **fields)


def expand_templates(doc: Document, partial: type[BaseModel], error: type[AuthorError]) -> Document:
    """``doc`` with every ``use:`` service merged over its template; raise ``error`` if unfit.

    ``partial`` validates a template's fields (a service with every field optional).
    A document without templates or uses is returned as it is.
    """
    data = doc.data
    topo = data.get("topology") if isinstance(data, dict) else None
    if not isinstance(topo, dict) or not isinstance(topo.get("services"), list):
        return doc
    services: list[Any] = topo["services"]
    templates: Any = topo.get("templates", [])
    uses = [i for i, s in enumerate(services) if isinstance(s, dict) and "use" in s]
    if not uses or not isinstance(templates, list):
        return doc  # nothing to expand, or a malformed list the models report
    problems = _template_problems(doc, templates, partial)
    known = {
        t["name"]: j
        for j, t in enumerate(templates)
        if isinstance(t, dict) and isinstance(t.get("name"), str)
    }
    for i in uses:
        name = services[i]["use"]
        if isinstance(name, str) and name not in known:
            path: Path = (*SERVICES, i, "use")
            listed = ", ".join(known) or "none declared"
            problems.append(
                Problem(
                    doc.file,
                    doc.line_of(path),
                    format_path(path),
                    f"names an unknown template {name!r} (known: {listed})",
                )
            )
    if problems:
        raise error(problems)
    lines = dict(doc.lines)
    merged = list(services)
    for i in uses:
        name = services[i]["use"]
        if not isinstance(name, str):
            continue  # not a name: the Service model says so
        j = known[name]
        merged[i] = _merge({k: v for k, v in templates[j].items() if k != "name"}, services[i])
        own = (*TEMPLATES, j)
        for at, line in doc.lines.items():
            sub = at[len(own) :]
            if at[: len(own)] == own and sub and sub[0] != "name" and _inherited(services[i], sub):
                lines[(*SERVICES, i, *sub)] = line
    new_topo = {**topo, "services": merged}
    return Document({**data, "topology": new_topo}, doc.file, lines)


def _template_problems(
    doc: Document, templates: list[Any], partial: type[BaseModel]
) -> list[Problem]:
    """Located problems of the templates themselves: fields, values, names."""

    class Topo(BaseModel):
        model_config = ConfigDict(extra="ignore")
        templates: list[partial]  # type: ignore[valid-type]

    class Top(BaseModel):
        model_config = ConfigDict(extra="ignore")
        topology: Topo

    import pydantic

    problems: list[Problem] = []
    try:
        Top.model_validate(doc.data)
    except pydantic.ValidationError as exc:
        problems += problems_from_validation(exc, doc, Top)
    seen: dict[str, int] = {}
    for j, t in enumerate(templates):
        name = t.get("name") if isinstance(t, dict) else None
        if isinstance(name, str) and name in seen:
            path = (*TEMPLATES, j, "name")
            problems.append(
                Problem(
                    doc.file,
                    doc.line_of(path),
                    format_path(path),
                    f"declares the template {name!r} twice (first at templates[{seen[name]}])",
                )
            )
        elif isinstance(name, str):
            seen[name] = j
    return problems


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` written over ``base``: mappings merge key by key, other values replace."""
    out = dict(base)
    for key, value in over.items():
        below = out.get(key)
        if isinstance(value, dict) and isinstance(below, dict):
            out[key] = _merge(below, value)
        else:
            out[key] = value
    return out


def _inherited(service: Any, sub: Path) -> bool:
    """Whether the value at ``sub`` in a merged service came from its template."""
    node = service
    for part in sub:
        if not isinstance(node, dict) or part not in node:
            return True  # the service does not write it (or anything above it)
        node = node[part]
        if not isinstance(node, dict):
            return False  # the service wrote this value (or a list or value above it)
    return False
