"""Loading a scenario: its shape, its references, its grading rules, its truth.

The checks a scenario must pass need layers above the scenario format: the
metric names (:mod:`engine.metrics`), the grading rubric, and the postmortem's
language rules. So they run here, above all of them, and
:mod:`engine.scenario` stays a plain set of models the lower layers can read.
Every error names the file, the line and the field.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from . import regional
from .choices import check as check_choices
from .errors import Problem, ScenarioError
from .grading.rubric import override_problems
from .inputs import CATEGORY
from .metrics import metric_names
from .postmortem import check_truth
from .scenario import PartialService, Scenario, component_names, reference_problems
from .templates import expand_templates
from .validation import validate_document
from .yamldoc import Document, Path, format_path, load_yaml


def load_scenario(source: str | bytes, file: str = "<scenario>") -> Scenario:
    """Parse and validate YAML text; raise ScenarioError naming file, line and field."""
    doc = load_yaml(source, file, error=ScenarioError)
    # a blameless postmortem must be possible
    return _checked(doc, (_references, check_truth))


def scenario_from_dict(data: dict[str, Any], file: str = "<scenario>") -> Scenario:
    """Validate plain data (errors carry field paths; there are no lines without YAML)."""
    return _checked(Document(data=data, file=file, lines={}), (_references,))


def _checked(doc: Document, checks: Sequence[Callable[[Scenario, Any], None]]) -> Scenario:
    """The validated scenario, after ``checks`` ran on it, or on each way its seed-chosen
    values (engine/choices.py) can play it."""
    doc = expand_templates(doc, PartialService, ScenarioError)  # services' `use:` (templates)
    scenario = validate_document(Scenario, doc, error=ScenarioError)
    if scenario.choices or "${" in str(doc.data):
        check_choices(scenario, doc, checks)
    else:
        for run in checks:
            run(scenario, doc)
    return scenario


def _references(scenario: Scenario, doc: Document) -> None:
    """Cross-field references and grading rules, as one located ScenarioError."""
    problems = reference_problems(scenario, doc, metric_names(scenario))
    problems += regional_problems(scenario, doc)
    problems += grading_problems(scenario, doc)
    if problems:
        raise ScenarioError(problems)


def regional_problems(sc: Scenario, doc: Document) -> list[Problem]:
    """Regional databases and dependencies: their regions, callers and faults."""
    problems: list[Problem] = []
    regional.check(
        sc, lambda p, m: problems.append(Problem(doc.file, doc.line_of(p), format_path(p), m))
    )
    return problems


def grading_problems(sc: Scenario, doc: Document) -> list[Problem]:
    """Grading overrides name real windows, weights, mitigations and components."""
    problems: list[Problem] = []

    def bad(path: Path, message: str) -> None:
        problems.append(Problem(doc.file, doc.line_of(path), format_path(path), message))

    g = sc.grading
    for message in override_problems(g.windows, g.weights):
        field, _, rest = message.partition(": ")
        bad(tuple(field.split(".")), rest)
    components = component_names(sc)
    mitigations = sorted(t for t, c in CATEGORY.items() if c == "mitigate")
    for group in ("correct", "acceptable", "harmful"):
        for i, rule in enumerate(getattr(g, group)):
            path: Path = ("grading", group, i)
            if rule.action not in mitigations:
                bad(
                    (*path, "action"),
                    f"must be a mitigation, one of: {', '.join(mitigations)} (got {rule.action!r})",
                )
            if rule.target is not None and rule.target not in components:
                bad((*path, "target"), f"names an unknown component {rule.target!r}")
    return problems
