"""Blameless language: the phrasing a postmortem refuses, and the checks that refuse it.

Three documented pattern lists (docs/postmortem.md repeats them):

* :data:`HUMAN_CAUSE` -- a *why* that ends at a person ("human error", "the
  engineer did not check", "forgot", "careless", "should have"). A causal chain
  must stop at a systemic cause, so any line matching one is refused with
  :class:`HumanRootCause`.
* :data:`BLAME` -- :data:`HUMAN_CAUSE` plus wording that assigns fault to
  people ("blame", "X's fault", "sloppy", "dropped the ball"). Tests scan every
  generated postmortem with :func:`find_blame`; scenario truth is checked too.
* :data:`WISHES` -- action items that are wishes ("be more careful", "pay more
  attention"). Monitoring items ("add more monitoring", "improve alerting") must
  name a signal and a threshold. Every item needs a testable verification.
  Violations raise :class:`WishfulActionItem` naming the item.

Both errors are :class:`~engine.errors.ScenarioError` subclasses: the scenario's
hidden truth is what the author must fix, so callers handle them like any
other author error (the server maps the family once).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from ..errors import Problem, ScenarioError
from ..yamldoc import Document, format_path

_PEOPLE = (
    r"(?:engineers?|developers?|operators?|on-?call|sres?|admins?|administrators?|responders?"
    r"|authors?|reviewers?|someone|somebody|employees?|persons?|he|she|the team|we|i)"
)
_FAILED = (
    r"(?:did not|didn't|failed to|neglected to|forgot|ignored|missed|overlooked"
    r"|was not careful|wasn't careful|made a mistake|mistakenly)"
)

HUMAN_CAUSE: tuple[tuple[str, str], ...] = (
    (r"\bhuman error\b", "'human error' names a person, not a system"),
    (r"\boperator error\b", "'operator error' names a person, not a system"),
    (r"\bpilot error\b", "'pilot error' names a person, not a system"),
    (r"\bforg(?:o|e)t(?:ten|ting)?\b", "'forgot' makes memory the cause"),
    (r"\bcareless(?:ly|ness)?\b", "'careless' judges a person"),
    (r"\bnot careful\b", "'not careful' judges a person"),
    (r"\bshould(?: have|'ve)\b", "'should have' is hindsight about a person"),
    (r"\bnegligen(?:t|ce)\b", "'negligence' judges a person"),
    (r"\b(?:lack of|insufficient) (?:attention|care|diligence)\b", "attention is not a system"),
    (r"\binattenti(?:on|ve)\b", "attention is not a system"),
    (r"\bfat[- ]finger", "'fat-finger' makes a slip the cause"),
    (rf"\b{_PEOPLE}\b(?:\s+\w+){{0,3}}?\s+{_FAILED}\b", "a person failing is not a root cause"),
)

BLAME: tuple[tuple[str, str], ...] = (
    *HUMAN_CAUSE,
    (r"\bblam(?:e|ed|es|ing)\b", "assigns blame"),
    (
        r"\b\w+'s fault\b|\bat fault\b|\b(?:his|her|their|your|my|our) fault\b",
        "assigns fault to someone",
    ),
    (r"\b(?:sloppy|lazy|stupid|incompeten(?:t|ce)|idiot(?:ic)?|reckless)\b", "judges a person"),
    (r"\bdropped the ball\b|\b(?:messed|screwed) up\b", "judges a person"),
    (r"\bnot paying attention\b", "judges a person"),
)

WISHES: tuple[tuple[str, str], ...] = (
    (
        r"\bbe (?:more |extra )?(?:careful|vigilant|diligent|mindful|thorough|cautious)\b",
        "asks people to be more careful",
    ),
    (r"\bpay (?:more |closer )?attention\b", "asks people to pay attention"),
    (r"\btry harder\b|\bdo better\b", "asks people to try harder"),
    (r"\bremember to\b|\b(?:don't|do not) forget\b", "relies on memory"),
    (r"\b(?:raise|increase) awareness\b|\bbe aware\b", "asks for awareness"),
)

MONITORING = re.compile(
    r"\b(?:add|adds|more|better|improv\w*|increas\w*|enhanc\w*|expand\w*|extend\w*|set up"
    r"|create)\b[^.;:]{0,40}?\b(?:alert(?:s|ing)?|monitor(?:s|ing)?|observability|dashboards?"
    r"|logging|logs|metrics|visibility)\b|^\s*(?:alert|monitor|page)\b",
    re.I,
)
_MONITOR_WORDS = re.compile(
    r"\b(?:alert(?:s|ing)?|monitor(?:s|ing)?|observability|dashboards?|logging|logs|metrics"
    r"|visibility|add|more|better|improv\w*)\b",
    re.I,
)
SIGNAL = re.compile(
    r"\b(?:lag|latency|p50|p9[059]|p99\.9|errors?|error rate|5xx|4xx|timeouts?|cpu|memory"
    r"|saturation|locks?|pool|queue|depth|backlog|throughput|rps|requests|success|drops?|"
    r"rx_dropped|packets?|transactions?|connections?|budget|burn|rebalanc\w*|dlq|disk|heap"
    r"|age|rate|count|corrupt\w*|checksum|integrity)\b",
    re.I,
)
NUMBER = re.compile(r"(?<![\w.-])\d|\b(?:one|two|three|four|five|ten|twice)\b", re.I)
TESTABLE = re.compile(
    r"\d|\b(?:staging|test|tests|drill|game ?day|replay\w*|ci|refuse[sd]?|reject\w*|fail\w*|"
    r"pass\w*|fires?|pages?|halt\w*|revert\w*|block\w*|lands?|shows?|cordons?|measured|"
    r"alerts?|returns?|review)\b",
    re.I,
)


class PostmortemError(ScenarioError):
    """The scenario's hidden truth cannot make a blameless postmortem."""


class HumanRootCause(PostmortemError):
    """A causal chain stops at (or passes through) a person instead of a system."""


class WishfulActionItem(PostmortemError):
    """An action item is a wish: no concrete change, signal, threshold or verification."""


def _matches(text: str, table: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    out = []
    for pattern, reason in table:
        m = re.search(pattern, text, re.I)
        if m:
            out.append((m.group(0), reason))
    return out


def find_blame(text: str) -> list[tuple[int, str, str]]:
    """Every blame phrase in ``text`` as (line number, phrase, why); empty when blameless."""
    found = []
    for n, line in enumerate(text.splitlines(), start=1):
        found += [(n, phrase, why) for phrase, why in _matches(line, BLAME)]
    return found


Path = tuple[str | int, ...]


def _problem(where: str | Document, path: Path | str, message: str) -> Problem:
    """A located problem: file and line when the YAML document is at hand."""
    field = path if isinstance(path, str) else format_path(path)
    if isinstance(where, Document):
        line = where.line_of(path) if not isinstance(path, str) else None
        return Problem(where.file, line, field, message)
    return Problem(f"scenario {where}", None, field, message)


def check_causal_chain(chain: Sequence[str], where: str | Document = "?") -> None:
    """Refuse a chain of whys in which any line names a human cause.

    ``where`` is the scenario id, or the YAML :class:`~engine.yamldoc.Document`
    it was loaded from (the error then names file and line).
    """
    problems = []
    for i, line in enumerate(chain):
        for phrase, why in _matches(line, HUMAN_CAUSE):
            last = "the last why" if i == len(chain) - 1 else f"why {i + 1}"
            problems.append(
                _problem(
                    where,
                    ("truth", "causal_chain", i),
                    f"{last} stops at a human cause ({why}: {phrase!r}) in {line!r}; "
                    "a why must end at a systemic cause: the missing guard, check, default or "
                    "limit that let a normal action do harm",
                )
            )
    if problems:
        raise HumanRootCause(problems)


def check_truth_text(texts: Iterable[tuple[Path, str]], where: str | Document = "?") -> None:
    """Refuse blame wording in other truth prose: (field path, text) pairs."""
    problems = [
        _problem(
            where,
            path,
            f"is not blameless ({why}: {phrase!r}) in {text!r}; describe the system condition",
        )
        for path, text in texts
        for phrase, why in _matches(text, BLAME)
    ]
    if problems:
        raise HumanRootCause(problems)


def action_item_problems(title: str, verification: str) -> list[str]:
    """Why an action item is a wish (empty when it is a real action item)."""
    out = [f"{why} ({phrase!r})" for phrase, why in _matches(title, WISHES)]
    if MONITORING.search(title):
        rest = _MONITOR_WORDS.sub(" ", title)
        if not SIGNAL.search(rest):
            out.append(
                "a monitoring item must name the signal it watches (e.g. consumer lag, "
                "p99 latency, 5xx rate)"
            )
        if not NUMBER.search(title) and not NUMBER.search(verification):
            out.append(
                "a monitoring item must give a threshold (e.g. 'lag above 20k messages "
                "for 2 minutes')"
            )
    v = verification.strip()
    if len(v.split()) < 4:
        out.append(
            "the verification must say how we will know it is done "
            "(e.g. 'Done when the alert fires in a staging load test')"
        )
    elif _matches(v, WISHES) or not TESTABLE.search(v):
        out.append(
            "the verification must be observable: a test, drill, replay, number or "
            "refusal that shows it works"
        )
    return out


def check_action_item(
    title: str, verification: str, path: Path | str, where: str | Document = "?"
) -> None:
    """Refuse one wishful action item, naming it."""
    problems = action_item_problems(title, verification)
    if problems:
        raise WishfulActionItem(
            [
                _problem(
                    where,
                    path,
                    f"action item {title!r} is a wish, not an action item: " + "; ".join(problems),
                )
            ]
        )
