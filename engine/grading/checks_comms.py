"""Communication: an external update with substance, a cadence kept, no false claims.

Sources of truth: ``status_update`` inputs (audience, state, impact, action,
next_update_min) and their times, and every claim read from them
(:mod:`.claims`) checked against the metric samples in force when posted.
An update's *worth* is 1 when it claims something checkable and nothing false,
1/4 when it claims nothing checkable ("ok"), 0 when a claim in it is false:
the timing checks and the cadence are paid in worth, not in posts.
"""

from __future__ import annotations

from ..log import Event
from . import rubric as R
from .base import Hit, penalty, scored, timing
from .claims import Claim, describe_claim, summary
from .model import Check
from .timeline import Timeline, clock

EMPTY_WORTH = 0.25  # an update that claims nothing checkable
MAX_CADENCE_MIN = 60  # a promised next update further off than this is not a cadence


def worth(mine: list[Claim]) -> float:
    """0: a false claim; 1: its words say something checkable; 1/4: only its state field
    does, or nothing does ("ok" under "monitoring" tells a customer nothing)."""
    if any(c.score < 0.5 for c in mine):
        return 0.0
    return 1.0 if any(not c.structured for c in mine) else EMPTY_WORTH


def _first_worth(
    tl: Timeline, updates: list[Event], by_seq: dict[int, list[Claim]], full: float, late: float
) -> tuple[float, Event | None]:
    best: tuple[float, Event | None] = (0.0, None)
    for e in updates:
        v = timing(tl.rel(e.t), full, late) * worth(by_seq.get(e.seq, []))
        if v > best[0]:
            best = (v, e)
    return best


def _worth_note(mine: list[Claim]) -> str:
    w = worth(mine)
    if w >= 1.0:
        return ""
    if w <= 0.0:
        bad = next(c for c in mine if c.score < 0.5)
        return f"; it counts for nothing: {describe_claim(bad)}"
    return (
        "; its words claim nothing checkable (no share, service, data state, trend or "
        "action), so it counts a quarter"
    )


def comms_checks(tl: Timeline, rb: R.Rubric, claims: list[Claim]) -> list[Check]:
    full, late = rb.w("communication"), rb.w("communication_late")
    updates = tl.inputs_of("status_update")
    public = [e for e in updates if e.data.get("audience") == "public"]
    inside = [e for e in updates if e.data.get("audience") != "public"]
    said = [c for c in claims if tl.by_seq[c.seq].data.get("type") == "status_update"]
    by_seq: dict[int, list[Claim]] = {}
    for c in said:
        by_seq.setdefault(c.seq, []).append(c)
    none = [tl.anchor_ev(), tl.end_ev()]
    w = clock(full)
    out = []
    pub_stronger = (
        f"Post a public status update within {w} of the page: what is affected, "
        "roughly how many, what you are doing, and when the next update comes."
    )
    frac, e = _first_worth(tl, public, by_seq, full, late)
    if e is not None or public:
        e = e or public[0]
        out.append(
            scored(
                rb,
                "communication.public_update",
                frac,
                f"{e.actor} posted a public update at {tl.at(e.t)}"
                f"{_worth_note(by_seq.get(e.seq, []))}.",
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
    out.append(_content(tl, rb, public, by_seq))
    out += _cadence(tl, rb, public, by_seq)
    frac, e = _first_worth(tl, inside, by_seq, full, late)
    if e is not None or inside:
        e = e or inside[0]
        out.append(
            scored(
                rb,
                "communication.internal",
                frac,
                f"{e.actor} sent an {e.data.get('audience')} update at {tl.at(e.t)}"
                f"{_worth_note(by_seq.get(e.seq, []))}.",
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
    out += _states(tl, rb, public, said)
    return out


def _content(
    tl: Timeline, rb: R.Rubric, public: list[Event], by_seq: dict[int, list[Claim]]
) -> Check:
    """Half for an action truly under way named in a public update with nothing false in
    it; half for the stated share of users, by the latest and the worst share stated."""
    stronger = (
        "Say in the update what is being done (the mitigation actually under way) and "
        "roughly how many users are affected (a share the dashboards bear out)."
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
    acting = [
        e
        for e in public
        if worth(by_seq.get(e.seq, [])) >= 1.0
        and any(c.kind == "action" and c.true for c in by_seq.get(e.seq, []))
    ]
    share_claims = [c for e in public for c in by_seq.get(e.seq, []) if c.kind == "users"]
    share, latest, worst = summary(share_claims)
    parts = [
        f"{describe_claim(next(c for c in by_seq[acting[0].seq] if c.kind == 'action'))} "
        f"at {tl.at(acting[0].t)}"
        if acting
        else "no public update names a mitigation actually under way"
    ]
    if worst is not None and latest is not None:
        parts.append(f"the worst share stated: {describe_claim(worst)}")
        if latest.seq != worst.seq or latest.said != worst.said:
            parts.append(f"the latest: {describe_claim(latest)}")
    else:
        parts.append("no public update states how many are affected")
    ev = [tl.ev(acting[0])] if acting else []
    ev += [tl.ev(tl.by_seq[c.seq]) for c in (worst, latest) if c is not None]
    detail = "; ".join(parts)
    return scored(
        rb,
        "communication.content",
        0.5 * bool(acting) + 0.5 * share,
        detail[:1].upper() + detail[1:] + ".",
        stronger,
        ev or [tl.ev(public[0])],
        [e.actor for e in acting[:1]] + [c.actor for c in (worst, latest) if c and c.score > 0],
    )


def _cadence(
    tl: Timeline, rb: R.Rubric, public: list[Event], by_seq: dict[int, list[Claim]]
) -> list[Check]:
    """A promise of at most an hour, kept by an update worth something (not "ok", not
    false); a promise due after the drill ended is open, judged by its length alone."""
    grace = rb.w("cadence_grace")
    promises = []
    missing = []
    for i, e in enumerate(public):
        n = e.data.get("next_update_min")
        if e.data.get("state") == "resolved" or worth(by_seq.get(e.seq, [])) <= 0.0:
            continue  # a false update promises nothing anyone should wait for
        if not n or int(n) > MAX_CADENCE_MIN:
            what = (
                "gave no next-update time"
                if not n
                else f"promised the next update in {n} min, longer than an hour: not a cadence"
            )
            missing.append(
                Hit(
                    f"The public update at {tl.at(e.t)} {what}.",
                    "Every public update names when the next one comes "
                    f"(next_update_min, at most {MAX_CADENCE_MIN}), e.g. 15 or 30 minutes.",
                    (tl.ev(e),),
                    (e.actor,),
                )
            )
            continue
        due = e.t + 60.0 * float(n) + grace
        follow = next(
            (
                f
                for f in public[i + 1 :]
                if f.t <= due and worth(by_seq.get(f.seq, [])) > EMPTY_WORTH
            ),
            None,
        )
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
            f"{e.data['next_update_min']} min; no update worth the name came by {tl.at(due)}.",
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


def _states(tl: Timeline, rb: R.Rubric, public: list[Event], said: list[Claim]) -> list[Check]:
    """Every claim in every update (states, shares, trend, data, services, actions):
    the latest and the worst count; each false one is also a penalty."""
    stronger = (
        "Claim only what the dashboards show: 'monitoring' once impact is down, "
        "'resolved' once it has stayed down, the share and the action actually under way."
    )
    credit, latest, worst = summary(said)
    if latest is None or worst is None:
        acc = scored(
            rb,
            "communication.state_accurate",
            0.0,
            "No update claimed anything that can be checked."
            if tl.inputs_of("status_update")
            else "No update to judge.",
            stronger,
            [tl.ev(e) for e in tl.inputs_of("status_update")[:2]] or [tl.anchor_ev(), tl.end_ev()],
        )
    else:
        wrong = [c for c in said if not c.true]
        detail = (
            f"All {len(said)} claims in the updates matched the simulation."
            if not wrong
            else f"{len(wrong)} of {len(said)} claims did not match; worst: "
            f"{describe_claim(worst)} at {tl.at(worst.t)}; latest: {describe_claim(latest)}."
        )
        acc = scored(
            rb,
            "communication.state_accurate",
            credit,
            detail,
            stronger,
            [tl.ev(tl.by_seq[c.seq]) for c in dict.fromkeys((worst, latest))],
            [c.actor for c in said if c.true],
        )
    hits = []
    resolved_seqs = set()
    for e in public:
        if e.data.get("state") != "resolved":
            continue
        later = [s for s in tl.samples if s.t >= e.t and tl.harm_at(s.t, rb.threshold)]
        if tl.harm_at(e.t, rb.threshold) or later:
            resolved_seqs.add(e.seq)
            s = later[0] if later else tl.sample_at(e.t)
            ev = (tl.ev(e),) + ((tl.sample_ev(s, "impact still above the threshold"),) if s else ())
            hits.append(
                Hit(
                    f"{e.actor} declared resolved at {tl.at(e.t)} but harm was still ongoing "
                    f"at {tl.at(s.t if s else e.t)}.",
                    "Declare resolved only after the dashboards show impact has stayed down.",
                    ev,
                    (e.actor,),
                )
            )
    false_hits = [
        Hit(
            f"{describe_claim(c)} at {tl.at(c.t)} ({c.source}; {c.off_by}).",
            "Say only what the dashboards show; if unsure, say what you are checking.",
            (tl.ev(tl.by_seq[c.seq]),),
            (c.actor,),
            R.SPECS["communication.false_claim"].points * (1.0 - c.score),
        )
        for c in said
        if c.score < 1.0 and not (c.kind == "over" and c.seq in resolved_seqs)
    ]
    return [
        acc,
        penalty(
            rb,
            "communication.false_resolved",
            hits,
            "Nobody declared resolved while impact continued.",
        ),
        penalty(
            rb,
            "communication.false_claim",
            false_hits,
            "Every claim in the updates matched the simulation.",
        ),
    ]
