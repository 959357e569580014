"""What makes a scenario hard, measured, and the rule each difficulty level must fit.

:func:`measure` reads a scenario and plays it with nobody responding (and
with its strong reference play) on one seed, and finds:

- **causes**: independent faults. A fault that starts by itself (no other
  fault or condition sets it off) does harm if, alone or by its absence, it
  moves at least :data:`CAUSE_SHARE` of the harm of doing nothing
  (impact-minutes or rows corrupted). Harmful faults that each leave part of
  the harm when taken out add up; links of one chain (each one's absence ends
  nearly all harm) count once;
- **noise alerts**: alert rules that still fire with every harmful fault
  taken out; the others that fire are **signal**;
- **decoys**: what points the wrong way: faults that start but do no harm,
  changes made within :data:`RECENT` before the drill and teammate or expert
  injects sent when nobody responds, whose words name neither the cause nor
  the fix (``truth.giveaways`` and the grading's correct targets);
- **page points**: the first page's metric belongs to a component a correct
  mitigation acts on;
- **cascade**: a fault set off by another fault or a condition starts when
  nobody responds (the outage has a second act);
- **moves**: mitigations the strong play sends; **recovery**: time from its
  first mitigation to the end of impact (how long the fix takes to hold);
- **components**: services, dependencies, databases, topics, caches,
  certificates, configs and discovery records.

Each of :data:`TRAITS` is one hard thing; :data:`RULES` bounds, per level,
the causes, noise alerts, decoys and the number of traits, growing from
beginner to advanced. :func:`misfits` lists the bounds a scenario breaks for
its declared level (the self-check's ``difficulty`` finding). Pure: the
caller loads the scenario and the script.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .drill import Drill
from .inputs import CATEGORY
from .log import Event
from .outcome import outcome
from .scenario import Fault, Scenario
from .script import DecisionScript, play

CAUSE_SHARE = 0.2  # a fault that moves this share of the harm does harm
RECENT = 3600.0  # a change this close before the drill is one a responder suspects
SLOW = 300.0  # a fix that takes this long to hold keeps the pressure on
SPEAKERS = ("teammate", "sme")  # inject roles that suggest what to do
LEVELS = ("beginner", "intermediate", "advanced")


@dataclass(frozen=True, slots=True)
class Profile:
    """The measured difficulty figures of one scenario (see the module docstring)."""

    causes: int
    signal_alerts: int
    noise_alerts: int
    decoys: int
    page_points: bool
    cascade: bool
    components: int
    moves: int | None  # None: no strong play measured
    recovery: float | None  # None: not measured, or the strong play did not mitigate

    @property
    def traits(self) -> list[str]:
        """The names of the :data:`TRAITS` this scenario has."""
        return [t.name for t in TRAITS if t.has(self)]


@dataclass(frozen=True, slots=True)
class Trait:
    """One thing that makes a drill harder, as a test on its profile."""

    name: str
    means: str
    has: Callable[[Profile], bool]


TRAITS = (
    Trait("several causes", "2 or more causes", lambda p: p.causes >= 2),
    Trait("noise", "1 or more noise alerts", lambda p: p.noise_alerts >= 1),
    Trait("decoys", "3 or more decoys", lambda p: p.decoys >= 3),
    Trait(
        "page misleads",
        "the page's metric is not of the component to fix",
        lambda p: not p.page_points,
    ),
    Trait("cascade", "a fault set off by another fault or a condition", lambda p: p.cascade),
    Trait(
        "several moves",
        "the strong play needs 3 or more mitigations",
        lambda p: (p.moves or 0) >= 3,
    ),
    Trait(
        "slow fix",
        f"impact lasts {SLOW / 60:g} min or more after the first mitigation",
        lambda p: (p.recovery or 0.0) >= SLOW,
    ),
)


@dataclass(frozen=True, slots=True)
class Rule:
    """The bounds of one level (``None``: no bound)."""

    level: str
    max_causes: int | None
    max_noise_alerts: int | None
    max_decoys: int | None
    min_traits: int
    max_traits: int | None


RULES: dict[str, Rule] = {
    "beginner": Rule("beginner", 1, 1, 2, 0, 1),
    "intermediate": Rule("intermediate", 1, 2, 4, 1, 3),
    "advanced": Rule("advanced", None, None, None, 2, None),
}


def measure(sc: Scenario, strong: DecisionScript | None = None, seed: int = 0) -> Profile:
    """The difficulty figures of ``sc`` on ``seed``: played with nobody responding, and
    with ``strong`` (when given) for the moves and the recovery."""
    base = _nobody(sc, seed)
    harm = _harm(sc, base)
    started = _started(base)
    own = [i for i, f in enumerate(sc.faults) if _key(f, i) in started and not _set_off(f)]
    harmful: list[int] = []
    partial = 0  # harmful faults whose absence leaves some harm: their shares add up
    for i in own:
        alone = _share(_harm(sc, _nobody(_without(sc, set(own) - {i}), seed)), harm)
        cut = 1.0 - _share(_harm(sc, _nobody(_without(sc, {i}), seed)), harm)
        if alone >= CAUSE_SHARE or cut >= CAUSE_SHARE:
            harmful.append(i)
            partial += CAUSE_SHARE <= cut < 1.0 - CAUSE_SHARE
    fired = _fired(base)
    noise = fired & _fired(_nobody(_without(sc, set(harmful)), seed))
    moves, recovery = _strong(sc, strong, seed) if strong is not None else (None, None)
    return Profile(
        causes=max(partial, 1 if harmful else 0),
        signal_alerts=len(fired - noise),
        noise_alerts=len(noise),
        decoys=len(own) - len(harmful) + _misleading(sc, base),
        page_points=_page_points(sc, base),
        cascade=any(_key(f, i) in started for i, f in enumerate(sc.faults) if f.when is not None),
        components=_components(sc),
        moves=moves,
        recovery=recovery,
    )


def misfits(level: str, p: Profile) -> list[str]:
    """Each bound of ``level``'s rule that profile ``p`` breaks, in words (empty: it fits)."""
    rule = RULES[level]
    out = []
    n = len(p.traits)
    for what, got, most in (
        ("causes", p.causes, rule.max_causes),
        ("noise alerts", p.noise_alerts, rule.max_noise_alerts),
        ("decoys", p.decoys, rule.max_decoys),
        ("hard traits", n, rule.max_traits),
    ):
        if most is not None and got > most:
            out.append(f"{got} {what} (at most {most})")
    if n < rule.min_traits:
        out.append(f"{n} hard traits (at least {rule.min_traits})")
    return out


def fitting(p: Profile) -> list[str]:
    """The levels whose rule profile ``p`` fits."""
    return [level for level in LEVELS if not misfits(level, p)]


# ----------------------------------------------------------------- plays
def _nobody(sc: Scenario, seed: int) -> list[Event]:
    drill = Drill(sc, seed=seed)
    drill.advance(drill.scenario.duration + drill.scenario.tick)
    return list(drill.log.events)


def _strong(sc: Scenario, script: DecisionScript, seed: int) -> tuple[int, float | None]:
    events = play(Drill(sc, seed=seed), script).drill.log.events
    acts = [e.t for e in events if e.type == "input" and CATEGORY[e.data["type"]] == "mitigate"]
    ended = outcome(sc, events).mitigated_at
    return len(acts), (max(0.0, ended - acts[0]) if acts and ended is not None else None)


def _harm(sc: Scenario, events: list[Event]) -> tuple[float, float]:
    out = outcome(sc, events)
    return out.impact_minutes, out.rows_corrupted


def _share(part: tuple[float, float], whole: tuple[float, float]) -> float:
    """The largest share of ``whole``'s harm figures that ``part`` has."""
    return max((a / b for a, b in zip(part, whole, strict=True) if b > 0), default=0.0)


def _without(sc: Scenario, drop: set[int]) -> Scenario:
    """``sc`` with the faults ``drop`` moved past its end: they never start, and every
    other fault keeps its index, id and seeded jitter (validation skipped: only the
    start time moves)."""
    later = sc.duration + 3600.0
    faults = [
        f.model_copy(update={"at": later}) if i in drop else f for i, f in enumerate(sc.faults)
    ]
    return sc.model_copy(update={"faults": faults})


def _set_off(f: Fault) -> bool:
    """Whether another fault or a condition sets ``f`` off (a link of a chain)."""
    return f.when is not None


def _key(f: Fault, i: int) -> str:
    return f.id or f.kind


def _started(events: list[Event]) -> set[str]:
    return {
        str(e.data.get("fault"))
        for e in events
        if e.type == "state" and e.data.get("what") == "fault started"
    }


def _fired(events: list[Event]) -> set[str]:
    return {str(e.data["name"]) for e in events if e.type == "alert.fired"}


# ---------------------------------------------------------------- reading
def _misleading(sc: Scenario, events: list[Event]) -> int:
    """Recent changes, and teammate or expert injects sent in ``events``, that name
    neither the cause nor the fix."""
    clues = [*sc.truth.giveaways, *(r.target for r in sc.grading.correct if r.target)]

    def names_a_clue(text: str) -> bool:
        return any(re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text, re.IGNORECASE) for w in clues)

    changes = [c.summary for c in sc.changes if c.at >= -RECENT]
    sent = {e.data.get("id") for e in events if e.type == "inject"}
    speak = [i.text for i in sc.injects if i.role in SPEAKERS and i.id in sent]
    return sum(not names_a_clue(t) for t in (*changes, *speak))


def _page_points(sc: Scenario, events: list[Event]) -> bool:
    """Whether the first page's metric is of a component a correct mitigation acts on."""
    page = next((e for e in events if e.type == "page"), None)
    rule = next(
        (a for a in sc.alerts if page is not None and a.name == page.data.get("alert")), None
    )
    if rule is None:
        return False
    return any(r.target == rule.metric.split(".")[0] for r in sc.grading.correct)


def _components(sc: Scenario) -> int:
    t = sc.topology
    groups = (
        t.services,
        t.dependencies,
        t.databases,
        t.topics,
        t.caches,
        t.certificates,
        t.configs,
        t.discovery,
    )
    return sum(len(g) for g in groups)
