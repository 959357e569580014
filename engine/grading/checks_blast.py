"""Blast radius: who is affected, how many, getting worse, data safe, before root cause.

Sources of truth: the looks (view_dashboard, inspect_queue / _database /
_dependency) and ``state_impact`` inputs with their times, compared with the
metric samples the simulation logged at that moment: the share of users
affected, its slope, rows corrupted and consumer lag.
"""

from __future__ import annotations

from ..log import Event
from . import rubric as R
from .base import Hit, penalty, scored, timing
from .model import Check, Evidence
from .timeline import USERS, Timeline, clock

STATE_STRONGER = (
    "State the impact (share of users, trend, data intact/delayed/corrupted) "
    "within {w} of the page, from what the dashboards show."
)


def affected_services(tl: Timeline) -> set[str]:
    """Services whose 5xx rate reached 2% at any sample: where the impact lives."""
    out = set()
    for s in tl.samples:
        for k, v in s.values.items():
            if k.endswith(".err_5xx_pct") and v >= 2.0:
                out.add(k[: -len(".err_5xx_pct")])
    return out


def look_key(e: Event) -> str:
    d = e.data
    if d["type"] == "view_dashboard":
        return f"{d.get('service')}/{d.get('breakdown')}"
    return f"{d['type']}:{d.get('topic') or d.get('database') or d.get('dependency')}"


def blast_checks(tl: Timeline, rb: R.Rubric) -> list[Check]:
    full, late = rb.w("blast_radius"), rb.w("blast_radius_late")
    out = [_breakdown(tl, rb, full, late), _breadth(tl, rb, full, late)]
    claims = tl.inputs_of("state_impact")
    w = clock(full)
    if claims:
        e = claims[0]
        out.append(
            scored(
                rb,
                "blast_radius.impact_stated",
                timing(tl.rel(e.t), full, late),
                f"{e.actor} stated the impact at {tl.at(e.t)}.",
                STATE_STRONGER.format(w=w),
                [tl.ev(e)],
                [e.actor],
            )
        )
    else:
        out.append(
            scored(
                rb,
                "blast_radius.impact_stated",
                0.0,
                "Nobody stated the impact.",
                STATE_STRONGER.format(w=w),
                [tl.anchor_ev(), tl.end_ev()],
            )
        )
    out += _accuracy(tl, rb, [e for e in claims if tl.rel(e.t) <= late], full, late)
    out.append(_root_cause_first(tl, rb))
    return out


def _breakdown(tl: Timeline, rb: R.Rubric, full: float, late: float) -> Check:
    hit = affected_services(tl)
    views = tl.inputs_of("view_dashboard")
    names = ", ".join(sorted(hit)) or "the affected service"
    stronger = (
        f"Open the per-endpoint or per-pod breakdown of {names} within {clock(full)} "
        "to see who is failing and where."
    )
    best: tuple[float, Event] | None = None
    for e in views:
        relevant = not hit or e.data.get("service") in hit
        frac = timing(tl.rel(e.t), full, late) * (1.0 if relevant else 0.5)
        if best is None or frac > best[0]:
            best = (frac, e)
    if best is None:
        return scored(
            rb,
            "blast_radius.breakdown",
            0.0,
            "Nobody opened a dashboard breakdown.",
            stronger,
            [tl.anchor_ev(), tl.end_ev()],
        )
    frac, e = best
    which = (
        "an affected service"
        if not hit or e.data.get("service") in hit
        else "a service that was not failing"
    )
    return scored(
        rb,
        "blast_radius.breakdown",
        frac,
        f"{e.actor} opened {look_key(e)} ({which}) at {tl.at(e.t)}.",
        stronger,
        [tl.ev(e)],
        [e.actor],
    )


def _breadth(tl: Timeline, rb: R.Rubric, full: float, late: float) -> Check:
    looks = tl.inputs_of(*R.LOOKS)
    by_full: dict[str, Event] = {}
    by_late: dict[str, Event] = {}
    for e in looks:
        if tl.rel(e.t) <= full:
            by_full.setdefault(look_key(e), e)
        if tl.rel(e.t) <= late:
            by_late.setdefault(look_key(e), e)
    frac = max(min(len(by_full), 2) / 2, 0.5 * min(len(by_late), 2) / 2)
    used = list(by_late.values())[:4]
    stronger = (
        "Look at the impact path from two angles within "
        f"{clock(full)} (e.g. endpoint and pod breakdowns, the queue, the database)."
    )
    if not used:
        return scored(
            rb,
            "blast_radius.breadth",
            0.0,
            "Nothing in the impact path was looked at.",
            stronger,
            [tl.anchor_ev(), tl.end_ev()],
        )
    return scored(
        rb,
        "blast_radius.breadth",
        frac,
        f"{len(by_full)} distinct view(s) within {clock(full)}, {len(by_late)} within "
        f"{clock(late)}: {', '.join(look_key(e) for e in used)}.",
        stronger,
        [tl.ev(e) for e in used],
        [e.actor for e in used],
    )


def _accuracy(
    tl: Timeline, rb: R.Rubric, claims: list[Event], full: float, late: float
) -> list[Check]:
    def best(score: dict[int, float]) -> tuple[float, Event | None]:
        top: tuple[float, Event | None] = (0.0, None)
        for e in claims:
            frac = score[e.seq] * timing(tl.rel(e.t), full, late)
            if frac > top[0]:
                top = (frac, e)
        return top

    users: dict[int, float] = {}
    trend: dict[int, float] = {}
    data: dict[int, float] = {}
    for e in claims:
        truth = tl.users(e.t)
        tol = max(R.USERS_TOL_ABS, R.USERS_TOL_REL * truth)
        off = abs(float(e.data["users_pct"]) - truth)
        users[e.seq] = 1.0 if off <= tol else 0.5 if off <= 2 * tol else 0.0
        trend[e.seq] = 1.0 if e.data["trend"] in tl.trends(e.t, rb.w("trend")) else 0.0
        state = tl.data_state(e.t)
        said = e.data["data"]
        data[e.seq] = (
            1.0 if said == state else 0.5 if (said, state) == ("lost", "corrupted") else 0.0
        )
    out = []
    none = [tl.anchor_ev(), tl.end_ev()]
    for cid, table, truth_of, stronger in (
        (
            "blast_radius.users",
            users,
            lambda e: f"{e.data['users_pct']:g}% of users; the simulation had {tl.users(e.t):.1f}%",
            "Read business impact (users affected) off the dashboards and state it within "
            f"{R.USERS_TOL_ABS:g} points.",
        ),
        (
            "blast_radius.trend",
            trend,
            lambda e: (
                f"{e.data['trend']}; the simulation allowed "
                f"{' or '.join(tl.trends(e.t, rb.w('trend')))}"
            ),
            f"Compare the last {clock(rb.w('trend'))} of the impact graph before saying whether it "
            "is rising, stable or falling.",
        ),
        (
            "blast_radius.data",
            data,
            lambda e: f"data {e.data['data']}; the simulation had data {tl.data_state(e.t)}",
            "Check whether data is corrupted (integrity alerts, migrations) or only delayed "
            "(consumer lag) before saying it is safe.",
        ),
    ):
        frac, found = best(table)
        stmt = found if found is not None else claims[0] if claims else None
        if stmt is None:
            out.append(
                scored(
                    rb,
                    cid,
                    0.0,
                    "No impact statement to compare with the simulation.",
                    stronger,
                    none,
                )
            )
            continue
        sample = tl.sample_at(stmt.t)
        ev: list[Evidence] = [tl.ev(stmt)]
        if sample is not None:
            ev.append(tl.sample_ev(sample, f"users affected {sample.values.get(USERS, 0.0):.1f}%"))
        out.append(
            scored(
                rb,
                cid,
                frac,
                f"{stmt.actor} at {tl.at(stmt.t)}: {truth_of(stmt)}.",
                stronger,
                ev,
                [stmt.actor],
            )
        )
    return out


def _root_cause_first(tl: Timeline, rb: R.Rubric) -> Check:
    digs = tl.inputs_of(*R.ROOT_CAUSE)
    looks = tl.inputs_of(*R.ASSESS)
    hits = []
    if digs and (not looks or digs[0].seq < looks[0].seq):
        d = digs[0]
        when = (
            f"the first assessment came at {tl.at(looks[0].t)}"
            if looks
            else "nobody assessed the impact at all"
        )
        ev = (tl.ev(d),) + ((tl.ev(looks[0]),) if looks else ())
        hits.append(
            Hit(
                f"{d.actor} went after the root cause ({d.data['type']}) at {tl.at(d.t)}; {when}.",
                "Ask who is affected, how many and whether it is getting worse (dashboards, "
                "state_impact) before reading logs or the change feed.",
                ev,
                (d.actor,),
            )
        )
    return penalty(
        rb,
        "blast_radius.root_cause_first",
        hits,
        "Impact was assessed before any root-cause hunting.",
    )
