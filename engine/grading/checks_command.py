"""Command: someone takes IC, declares severity, names roles, opens the channel.

Sources of truth: the ``input`` events (take_command, assign_role,
declare_incident, chat, decide, every mitigation) and their times relative
to the anchor.
"""

from __future__ import annotations

from ..log import Event
from . import rubric as R
from .base import Hit, penalty, scored, timing
from .model import Check
from .timeline import Timeline, clock, describe, target

IC_STRONGER = (
    "Say you are incident commander (take_command, or assign_role ic) within "
    "{w} of the page, so one person decides and everyone else executes."
)


def commanders(tl: Timeline) -> list[tuple[Event, str]]:
    """Every claim or handover of command, in order: (input, new commander)."""
    out = []
    for e in tl.inputs_of("take_command", "assign_role"):
        if e.data["type"] == "take_command":
            out.append((e, e.actor))
        elif e.data.get("role") == "ic":
            out.append((e, str(e.data.get("person"))))
    return out


def commander_at(claims: list[tuple[Event, str]], seq: int) -> str | None:
    who = None
    for e, person in claims:
        if e.seq < seq:
            who = person
    return who


def command_checks(tl: Timeline, rb: R.Rubric) -> list[Check]:
    full, late = rb.w("command"), rb.w("command_late")
    w = clock(full)
    claims = commanders(tl)
    out = []
    # -- IC taken
    if claims:
        e, person = claims[0]
        frac = timing(tl.rel(e.t), full, late)
        how = "took command" if e.data["type"] == "take_command" else f"made {person} IC"
        out.append(
            scored(
                rb,
                "command.ic",
                frac,
                f"{e.actor} {how} at {tl.at(e.t)}.",
                IC_STRONGER.format(w=w),
                [tl.ev(e)],
                [e.actor],
            )
        )
    else:
        out.append(
            scored(
                rb,
                "command.ic",
                0.0,
                "Nobody took incident command.",
                IC_STRONGER.format(w=w),
                [tl.anchor_ev(), tl.end_ev()],
            )
        )
    # -- severity
    sev = tl.inputs_of("declare_incident")
    if sev:
        e = sev[0]
        out.append(
            scored(
                rb,
                "command.severity",
                timing(tl.rel(e.t), full, late),
                f"{e.actor} declared {e.data.get('severity')} at {tl.at(e.t)}.",
                f"Declare a severity within {w} so paging and update cadence follow from it.",
                [tl.ev(e)],
                [e.actor],
            )
        )
    else:
        out.append(
            scored(
                rb,
                "command.severity",
                0.0,
                "No severity was declared.",
                f"Declare a severity (e.g. SEV2) within {w} of the page.",
                [tl.anchor_ev(), tl.end_ev()],
            )
        )
    out.append(_roles(tl, rb, full, late))
    # -- channel
    chats = tl.inputs_of("chat")
    if chats:
        e = chats[0]
        out.append(
            scored(
                rb,
                "command.channel",
                timing(tl.rel(e.t), full, late),
                f"{e.actor} opened the incident channel at {tl.at(e.t)}.",
                f"Open the incident channel within {w} so everyone works in one place.",
                [tl.ev(e)],
                [e.actor],
            )
        )
    else:
        out.append(
            scored(
                rb,
                "command.channel",
                0.0,
                "Nobody used an incident channel.",
                "Open an incident channel in the first minutes and coordinate there.",
                [tl.anchor_ev(), tl.end_ev()],
            )
        )
    out.append(_single(tl, rb, claims))
    out.append(
        penalty(
            rb,
            "command.no_ic",
            []
            if claims
            else [
                Hit(
                    "Nobody was incident commander at any point.",
                    IC_STRONGER.format(w=w),
                    (tl.anchor_ev(), tl.end_ev()),
                )
            ],
            "There was an incident commander.",
        )
    )
    out.append(_conflicts(tl, rb, claims))
    return out


def _roles(tl: Timeline, rb: R.Rubric, full: float, late: float) -> Check:
    named = [e for e in tl.inputs_of("assign_role") if e.data.get("role") != "ic"]
    stronger = (
        "Name at least two roles (e.g. comms and ops) within "
        f"{clock(full)} so work is split, not duplicated."
    )
    if not named:
        return scored(
            rb,
            "command.roles",
            0.0,
            "No roles were assigned.",
            stronger,
            [tl.anchor_ev(), tl.end_ev()],
        )
    by_full: dict[str, Event] = {}
    by_late: dict[str, Event] = {}
    for e in named:
        person = str(e.data.get("person"))
        if tl.rel(e.t) <= full:
            by_full.setdefault(person, e)
        if tl.rel(e.t) <= late:
            by_late.setdefault(person, e)
    frac = max(min(len(by_full), 2) / 2, 0.5 * min(len(by_late), 2) / 2)
    used = list(by_late.values()) or named[:2]
    who = ", ".join(f"{e.data.get('person')} as {e.data.get('role')} at {tl.at(e.t)}" for e in used)
    return scored(
        rb,
        "command.roles",
        frac,
        f"{len(by_full)} person(s) given a role within {clock(full)} and "
        f"{len(by_late)} within {clock(late)}: {who}.",
        stronger,
        [tl.ev(e) for e in used],
        [e.actor for e in used],
    )


def _single(tl: Timeline, rb: R.Rubric, claims: list[tuple[Event, str]]) -> Check:
    stronger = (
        "Hand command over explicitly (assign_role ic from the current commander) "
        "instead of a second person claiming it."
    )
    if not claims:
        return scored(
            rb,
            "command.single_ic",
            0.0,
            "There was no commander to keep single.",
            IC_STRONGER.format(w=clock(rb.w("command"))),
            [tl.anchor_ev(), tl.end_ev()],
        )
    current: str | None = None
    for e, person in claims:
        explicit = (e.data["type"] == "assign_role" and e.actor == current) or person == current
        if current is not None and not explicit:
            return scored(
                rb,
                "command.single_ic",
                0.0,
                f"{e.actor} claimed command at {tl.at(e.t)} while {current} held it.",
                stronger,
                [tl.ev(c) for c, _ in claims],
                [],
            )
        current = person
    return scored(
        rb,
        "command.single_ic",
        1.0,
        f"Command stayed with one person at a time ({current} at the end).",
        stronger,
        [tl.ev(c) for c, _ in claims],
        [c.actor for c, _ in claims],
    )


# Levers set to a level: (input field, the level before anyone touched it).
LEVELS: dict[str, str] = {
    "scale": "pods",
    "scale_consumers": "consumers",
    "throttle_producer": "allow_pct",
    "shed_load": "pct",
}
OPPOSITE = {
    ("drain_pod", "undrain_pod"),
    ("undrain_pod", "drain_pod"),
    ("rollback", "forward_fix"),
    ("forward_fix", "rollback"),
}


def _start_level(tl: Timeline, action: str, tgt: str | None) -> float | None:
    topo = tl.scenario.topology
    if action == "scale":
        return next((float(s.pods) for s in topo.services if s.name == tgt), None)
    if action == "scale_consumers":
        return next((float(t.group.consumers) for t in topo.topics if t.name == tgt), None)
    return 100.0 if action == "throttle_producer" else 0.0


def contradicts(tl: Timeline, prev: Event, later: Event, level_before: float | None) -> str | None:
    """Why ``later`` undoes or contradicts ``prev`` (same target), or None."""
    a, b = str(prev.data["type"]), str(later.data["type"])
    if target(prev.data) != target(later.data) or target(prev.data) is None:
        return None
    if (a, b) in OPPOSITE and prev.data.get("pod") == later.data.get("pod"):
        return f"{b} undoes {a}" if "drain" in a else "two fixes of one service at once"
    if a != b:
        return None
    if a == "set_flag" and prev.data.get("enabled") != later.data.get("enabled"):
        return "flag flipped back"
    if a == "set_breaker" and prev.data.get("state") != later.data.get("state"):
        return "breaker set back"
    field = LEVELS.get(a)
    if field is not None and level_before is not None:
        x, y = float(prev.data[field]), float(later.data[field])
        if (x - level_before) * (y - x) < 0:
            return f"{field} moved back the other way ({level_before:g} -> {x:g} -> {y:g})"
    return None


def _conflicts(tl: Timeline, rb: R.Rubric, claims: list[tuple[Event, str]]) -> Check:
    """Another player's mitigation undoing or contradicting one within ``conflict``
    seconds, with no decision by the commander between them. Complementary moves by
    two people (throttle the producer, skip the poison) are no conflict."""
    mits = tl.inputs_of(*R.MITIGATIONS)
    decides = tl.inputs_of("decide")
    hits = []
    level: dict[tuple[str, str | None], float | None] = {}
    before: dict[int, float | None] = {}
    for m in mits:
        key = (str(m.data["type"]), target(m.data))
        if key[0] in LEVELS:
            before[m.seq] = level.get(key, _start_level(tl, *key))
            level[key] = float(m.data[LEVELS[key[0]]])
    for i, m2 in enumerate(mits):
        for prev in reversed(mits[:i]):
            if prev.actor == m2.actor or m2.t - prev.t > rb.w("conflict"):
                continue
            why = contradicts(tl, prev, m2, before.get(prev.seq))
            if why is None:
                continue
            between = [
                d
                for d in decides
                if prev.seq < d.seq < m2.seq and d.actor == commander_at(claims, d.seq)
            ]
            if between:
                continue
            hits.append(
                Hit(
                    f"{prev.actor}'s {describe(prev).split(': ', 1)[-1]} ({tl.at(prev.t)}) and "
                    f"{m2.actor}'s {describe(m2).split(': ', 1)[-1]} ({tl.at(m2.t)}) contradict "
                    f"each other ({why}) with no decision from the commander between them.",
                    "The commander hears both options once, decides (decide), and one person "
                    "executes.",
                    (tl.ev(prev), tl.ev(m2)),
                    (prev.actor, m2.actor),
                )
            )
            break
    return penalty(
        rb,
        "command.conflicting_mitigations",
        hits,
        "No player's mitigation undid or contradicted another's without a decision.",
    )
