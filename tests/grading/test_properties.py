"""Properties of the rubric, checked on real drills of the mini fixture scenario.

Each example plays one or two drills (~40 ms each; equal scripts are cached).
Claims (state_impact, status_update) are left out of the "move later"
property: they are judged against the truth at the moment they are made,
so moving one changes what it claims.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.grading.rubric import DETAILS
from engine.inputs import CATEGORY
from engine.script import at_seconds
from tests.grading.helpers import SCRIPTS, graded, steps_of
from tests.grading.plays import empty_texts

BASE = steps_of(SCRIPTS / "mini" / "strong.yaml")
LATEST = 25 * 60.0  # the mini drill pages at 4:00 and lasts 30:00
DIMENSION = {
    "command": "command",
    "investigate": "blast_radius",
    "impact": "blast_radius",
    "mitigate": "mitigation",
    "communicate": "communication",
}
NOT_MOVED = {
    "state_impact",
    "status_update",
    "hypothesis",
    "ask_sme",
    "read_logs",
    "list_changes",
    "forward_fix",
}
SETTINGS = settings(max_examples=15, deadline=None, derandomize=True)


def dimension_of(kind: str) -> str:
    return "command" if kind == "chat" else DIMENSION[CATEGORY[kind]]


def when(step: dict[str, Any]) -> float:
    return at_seconds(step["at"])[1]


def at(steps: list[dict[str, Any]], i: int, seconds: float) -> list[dict[str, Any]]:
    out = [dict(s) for s in steps]
    out[i]["at"] = f"page+{seconds:g}s"
    return sorted(out, key=when)


def subset(mask: list[bool]) -> list[dict[str, Any]]:
    return [s for s, keep in zip(BASE, mask, strict=True) if keep]


masks = st.lists(st.booleans(), min_size=len(BASE), max_size=len(BASE))


@SETTINGS
@given(mask=masks, pick=st.integers(0, 100), delay=st.integers(30, 600))
def test_moving_a_good_action_later_never_raises_its_dimension(
    mask: list[bool], pick: int, delay: int
) -> None:
    """Delaying a command, look or correct mitigation never raises its dimension's score."""
    steps = subset(mask)
    movable = [i for i, s in enumerate(steps) if s["do"] not in NOT_MOVED]
    if not movable:
        return
    i = movable[pick % len(movable)]
    later = min(LATEST, when(steps[i]) + delay)
    dim = dimension_of(steps[i]["do"])
    before = graded("mini", sorted(steps, key=when)).dimension(dim).score
    after = graded("mini", at(steps, i, later)).dimension(dim).score
    assert after <= before, (steps[i], later, before, after)


HARMFUL = [
    {"do": "rollback", "service": "rewards-api"},
    {"do": "restart", "target": "rewards-api", "mode": "all"},
    {"do": "restart", "target": "rewards-api", "mode": "rolling"},
    {"do": "set_flag", "flag": "dark-mode", "enabled": True},
]


@SETTINGS
@given(
    mask=masks,
    which=st.sampled_from(HARMFUL),
    t=st.integers(0, 1200),
    actor=st.sampled_from(["priya", "ben"]),
)
def test_adding_a_harmful_action_never_raises_the_mitigation_score(
    mask: list[bool], which: dict[str, Any], t: int, actor: str
) -> None:
    """A mitigation the scenario marks harmful, added anywhere, never helps the score."""
    steps = subset(mask)
    base = graded("mini", steps).dimension("mitigation").score
    extra = {**which, "at": f"page+{t}s", "as": actor}
    after = graded("mini", sorted([*steps, extra], key=when)).dimension("mitigation").score
    assert after <= base, (extra, base, after)


ANY_INPUT = [
    {"do": "take_command"},
    {"do": "declare_incident", "severity": "SEV3"},
    {"do": "assign_role", "person": "kim", "role": "scribe"},
    {"do": "assign_role", "person": "kim", "role": "ic"},
    {"do": "page_team", "team": "database"},
    {"do": "decide", "text": "Flag off."},
    {"do": "hypothesis", "text": "The v2 path."},
    {"do": "view_dashboard", "service": "rewards-api", "breakdown": "pod"},
    {"do": "read_logs", "service": "rewards-api"},
    {"do": "list_changes"},
    {"do": "check_migration", "service": "rewards-api"},
    {"do": "inspect_database", "database": "rewards-db"},
    {"do": "ask_sme", "team": "rewards"},
    {"do": "state_impact", "users_pct": 30, "trend": "falling", "data": "lost"},
    {"do": "chat", "text": "hello"},
    {"do": "status_update", "audience": "public", "state": "resolved", "impact": "All fine."},
    {"do": "status_update", "audience": "internal", "state": "investigating", "impact": "x"},
    {"do": "set_flag", "flag": "dark-mode", "enabled": True},
    {"do": "restart", "target": "rewards-api", "mode": "rolling"},
    {"do": "scale", "service": "rewards-api", "pods": 6},
    {"do": "forward_fix", "service": "rewards-api"},
]


@SETTINGS
@given(
    mask=masks,
    which=st.sampled_from(ANY_INPUT),
    t=st.integers(0, 1200),
    actor=st.sampled_from(["alex", "priya", "zed"]),
)
def test_adding_an_action_leaves_checks_that_do_not_concern_it_unchanged(
    mask: list[bool], which: dict[str, Any], t: int, actor: str
) -> None:
    """Only the checks whose ``concerns`` list the added input's type may move."""
    steps = subset(mask)
    base = graded("mini", steps)
    extra = {**which, "at": f"page+{t}s", "as": actor}
    after = graded("mini", sorted([*steps, extra], key=when))
    for d in base.dimensions:
        for c in d.checks:
            if which["do"] not in c.concerns:
                assert after.check(c.id).points == c.points, (c.id, extra)


FALSE_UPDATE = {
    "do": "status_update",
    "impact": "About 95% of members cannot redeem points.",
    "action": "We failed over the database.",
}


@SETTINGS
@given(
    mask=masks,
    t=st.integers(0, 1500),
    audience=st.sampled_from(["public", "internal", "executive"]),
    state=st.sampled_from(["investigating", "identified"]),
    promise=st.sampled_from([None, 10, 30]),
)
def test_adding_a_false_claim_never_raises_a_score(
    mask: list[bool], t: int, audience: str, state: str, promise: int | None
) -> None:
    """An update whose every claim is false (95% affected, a failover nobody ran) never
    raises the overall score or any dimension."""
    steps = subset(mask)
    extra: dict[str, Any] = {
        **FALSE_UPDATE,
        "audience": audience,
        "state": state,
        "at": f"page+{t}s",
        "as": "zed",
    }
    if promise:
        extra["next_update_min"] = promise
    base = graded("mini", steps).scores
    after = graded("mini", sorted([*steps, extra], key=when)).scores
    assert all(after[k] <= base[k] for k in base), (extra, base, after)


@SETTINGS
@given(mask=masks, pick=st.integers(0, 100), lead=st.integers(5, 240))
def test_adding_a_look_before_the_same_mitigation_never_lowers_a_score(
    mask: list[bool], pick: int, lead: int
) -> None:
    """A breakdown of the failing service just before a mitigation never costs anything."""
    steps = subset(mask)
    mits = [s for s in steps if CATEGORY[s["do"]] == "mitigate"]
    if not mits:
        return
    m = mits[pick % len(mits)]
    t = max(0.0, when(m) - lead)
    look = {
        "do": "view_dashboard",
        "service": "rewards-api",
        "breakdown": "endpoint",
        "at": f"page+{t:g}s",
        "as": "priya",
    }
    base = graded("mini", steps).scores
    after = graded("mini", sorted([*steps, look], key=when)).scores
    assert all(after[k] >= base[k] for k in base), (look, base, after)


@SETTINGS
@given(mask=masks, pick=st.integers(0, 100), delay=st.integers(30, 900))
def test_moving_a_mitigation_later_never_raises_the_mitigation_score(
    mask: list[bool], pick: int, delay: int
) -> None:
    """The same mitigation, later (after no new look: what was seen before it stays the
    same), never earns a better mitigation score."""
    steps = subset(mask)
    mits = [i for i, s in enumerate(steps) if CATEGORY[s["do"]] == "mitigate"]
    if not mits:
        return
    i = mits[pick % len(mits)]
    later = min(LATEST, when(steps[i]) + delay)
    crossed = [when(s) for s in steps if s["do"] in DETAILS and when(steps[i]) < when(s)]
    later = min([later, *(t - 1 for t in crossed)])
    if later <= when(steps[i]):
        return
    before = graded("mini", sorted(steps, key=when)).dimension("mitigation").score
    after = graded("mini", at(steps, i, later)).dimension("mitigation").score
    assert after <= before, (steps[i], later, before, after)


@SETTINGS
@given(mask=masks, which=st.lists(st.booleans(), min_size=len(BASE), max_size=len(BASE)))
def test_replacing_texts_with_empty_words_never_raises_communication(
    mask: list[bool], which: list[bool]
) -> None:
    """'ok' in place of any of the texts (impact, action, scope ...) never helps."""
    steps = subset(mask)
    emptied = [
        empty_texts([s])[0] if blank else s
        for s, blank in zip(steps, which[: len(steps)], strict=True)
    ]
    base = graded("mini", steps).dimension("communication").score
    after = graded("mini", emptied).dimension("communication").score
    assert after <= base, (base, after)
