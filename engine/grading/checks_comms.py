"""Communication: an external update with substance, a cadence kept, no false all-clear.

Sources of truth: ``status_update`` inputs (audience, state, impact, action,
next_update_min) and their times; user impact from the metric samples for
whether a "monitoring" or "resolved" state was true when posted.
"""

from __future__ import annotations

import re

from ..log import Event
from . import rubric as R
from .base import Hit, penalty, scored, timing
from .model import Check
from .timeline import Timeline, clock

NUMBER = re.compile(r"\d")


def comms_checks(tl: Timeline, rb: R.Rubric) -> list[Check]:
    full, late = rb.w("communication"), rb.w("communication_late")
    updates = tl.inputs_of("status_update")
    public = [e for e in updates if e.data.get("audience") == "public"]
    inside = [e for e in updates if e.data.get("audience") != "public"]
    none = [tl.anchor_ev(), tl.end_ev()]
    w = clock(full)
    out = []
    pub_stronger = (
        f"Post a public status update within {w} of the page: what is affected, "
        "roughly how many, what you are doing, and when the next update comes."
    )
    if public:
        e = public[0]
        out.append(
            scored(
                rb,
                "communication.public_update",
                timing(tl.rel(e.t), full, late),
                f"{e.actor} posted the first public update at {tl.at(e.t)}.",
                pub_stronger,
                [tl.ev(e)],
                [e.actor],
            )
        )
    else:
        out.append(
            scored(
                rb,
                "communication.public_update",
                0.0,
                "No public status update.",
                pub_stronger,
                none,
            )
        )
    out.append(_content(tl, rb, public))
    out += _cadence(tl, rb, public)
    if inside:
        e = inside[0]
        out.append(
            scored(
                rb,
                "communication.internal",
                timing(tl.rel(e.t), full, late),
                f"{e.actor} sent an {e.data.get('audience')} update at {tl.at(e.t)}.",
                f"Send an internal or executive update within {w} so leadership "
                "does not have to ask.",
                [tl.ev(e)],
                [e.actor],
            )
        )
    else:
        out.append(
            scored(
                rb,
                "communication.internal",
                0.0,
                "No internal or executive update.",
                f"Send an internal or executive update within {w}: impact, action, next update.",
                none,
            )
        )
    out += _states(tl, rb, public)
    return out


def _content(tl: Timeline, rb: R.Rubric, public: list[Event]) -> Check:
    stronger = (
        "Say in the update what is being done (action) and roughly how many users "
        "are affected (a number or percentage)."
    )
    if not public:
        return scored(
            rb,
            "communication.content",
            0.0,
            "No public update to judge.",
            stronger,
            [tl.anchor_ev(), tl.end_ev()],
        )

    def parts(e: Event) -> tuple[bool, bool]:
        d = e.data
        text = f"{d.get('impact', '')} {d.get('text', '')}"
        return bool(str(d.get("action", "")).strip()), bool(NUMBER.search(text))

    best = max(public, key=lambda e: (sum(parts(e)), -e.seq))
    action, number = parts(best)
    return scored(
        rb,
        "communication.content",
        0.5 * action + 0.5 * number,
        f"The best public update ({tl.at(best.t)}) "
        f"{'states what is being done' if action else 'gives no action'} and "
        f"{'quantifies' if number else 'does not quantify'} the impact.",
        stronger,
        [tl.ev(best)],
        [best.actor],
    )


def _cadence(tl: Timeline, rb: R.Rubric, public: list[Event]) -> list[Check]:
    grace = rb.w("cadence_grace")
    promises = []
    missing = []
    for i, e in enumerate(public):
        n = e.data.get("next_update_min")
        if e.data.get("state") == "resolved":
            continue
        if not n:
            missing.append(
                Hit(
                    f"The public update at {tl.at(e.t)} gave no next-update time.",
                    "Every public update names when the next one comes "
                    "(next_update_min), e.g. 15 or 30 minutes.",
                    (tl.ev(e),),
                    (e.actor,),
                )
            )
            continue
        due = e.t + 60.0 * float(n) + grace
        follow = next((f for f in public[i + 1 :] if f.t <= due), None)
        promises.append((e, due, follow))
    broken = [(e, due) for e, due, follow in promises if follow is None and due <= tl.end_t]
    stronger = "Promise the next update (next_update_min) and post it before that time runs out."
    if not promises:
        cad = scored(
            rb,
            "communication.cadence",
            0.0,
            "No public update promised a next update."
            if public
            else "No public update, so no cadence.",
            stronger,
            [tl.ev(e) for e in public] or [tl.anchor_ev(), tl.end_ev()],
        )
    elif broken:
        e, due = broken[0]
        cad = scored(
            rb,
            "communication.cadence",
            0.0,
            f"The update at {tl.at(e.t)} promised another within "
            f"{e.data['next_update_min']} min; none came by {tl.at(due)}.",
            stronger,
            [tl.ev(e), tl.end_ev()],
        )
    else:
        kept = [(e, f) for e, _, f in promises if f is not None]
        ev = [tl.ev(x) for pair in kept for x in pair] or [tl.ev(e) for e, _, _ in promises]
        cad = scored(
            rb,
            "communication.cadence",
            1.0,
            f"{len(promises)} promise(s) of a next update, {len(kept)} kept and "
            f"{len(promises) - len(kept)} still open at the end.",
            stronger,
            ev,
            [f.actor for _, f in kept] or [e.actor for e, _, _ in promises],
        )
    broken_hits = [
        Hit(
            f"The update at {tl.at(e.t)} promised another within "
            f"{e.data['next_update_min']} min; none came by {tl.at(due)}.",
            "Post the promised update on time, even if there is nothing new.",
            (tl.ev(e),),
            (e.actor,),
        )
        for e, due in broken
    ]
    return [
        cad,
        penalty(
            rb,
            "communication.no_next_update",
            missing,
            "Every open public update said when the next one comes.",
        ),
        penalty(
            rb,
            "communication.promise_broken",
            broken_hits,
            "Every promised update that fell due came in time.",
        ),
    ]


def _states(tl: Timeline, rb: R.Rubric, public: list[Event]) -> list[Check]:
    stronger = (
        "Say 'monitoring' only once the dashboards show impact is down, and "
        "'resolved' only when it has stayed down."
    )
    wrong = [
        e
        for e in public
        if e.data.get("state") in ("monitoring", "resolved") and tl.ongoing(e.t, rb.threshold)
    ]
    if not public:
        acc = scored(
            rb,
            "communication.state_accurate",
            0.0,
            "No public update to judge.",
            stronger,
            [tl.anchor_ev(), tl.end_ev()],
        )
    elif wrong:
        e = wrong[0]
        acc = scored(
            rb,
            "communication.state_accurate",
            0.0,
            f"The update at {tl.at(e.t)} said {e.data['state']} while "
            f"{tl.users(e.t):.1f}% of users were affected.",
            stronger,
            [tl.ev(e)],
        )
    else:
        acc = scored(
            rb,
            "communication.state_accurate",
            1.0,
            "Every public update's state matched the simulation when posted.",
            stronger,
            [tl.ev(e) for e in public],
            [e.actor for e in public],
        )
    hits = []
    for e in public:
        if e.data.get("state") != "resolved":
            continue
        later = [
            s
            for s in tl.samples
            if s.t >= e.t and s.values.get("business.users_affected_pct", 0.0) >= rb.threshold
        ]
        if tl.ongoing(e.t, rb.threshold) or later:
            s = later[0] if later else tl.sample_at(e.t)
            ev = (tl.ev(e),) + ((tl.sample_ev(s, "impact still above the threshold"),) if s else ())
            hits.append(
                Hit(
                    f"{e.actor} declared resolved at {tl.at(e.t)} but impact was at or above "
                    f"{rb.threshold:g}% of users at {tl.at(s.t if s else e.t)}.",
                    "Declare resolved only after the dashboards show impact has stayed down.",
                    ev,
                    (e.actor,),
                )
            )
    return [
        acc,
        penalty(
            rb,
            "communication.false_resolved",
            hits,
            "Nobody declared resolved while impact continued.",
        ),
    ]
