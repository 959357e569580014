"""Blast radius: who is affected, how many, getting worse, data safe, before root cause.

Sources of truth: the looks (view_dashboard, inspect_queue / _database /
_dependency) and ``state_impact`` inputs with their times, compared with the
metric samples the simulation logged at that moment: the share of users
affected, its slope, rows corrupted and consumer lag.
"""

from __future__ import annotations

from dataclasses import replace

from ..log import Event
from . import rubric as R
from .base import Hit, penalty, scored, timing
from .claims import Claim, describe_claim, summary
from .model import Check, Evidence
from .timeline import USERS, Timeline, clock

STATE_STRONGER = (
    "State the impact (share of users, trend, data intact/delayed/corrupted) "
    "within {w} of the page, from what the dashboards show."
)


def affected_services(tl: Timeline) -> set[str]:
    """Services whose 5xx rate reached 2% at any sample: where the impact lives."""
    return tl.affected_services()


def look_key(e: Event) -> str:
    d = e.data
    if d["type"] == "view_dashboard":
        return f"{d.get('service')}/{d.get('breakdown')}"
    return f"{d['type']}:{d.get('topic') or d.get('database') or d.get('dependency')}"


def detail_looks(tl: Timeline) -> list[Event]:
    """Looks that earn credit: detail views asked for (breakdowns, queue, database,
    dependency, migrations, logs). Top-level charts and alerts everyone sees anyway."""
    return tl.looks_of(*R.DETAILS)


def looked_before(tl: Timeline, seq: int) -> bool:
    return any(e.seq < seq for e in detail_looks(tl))


def statements(tl: Timeline, claims: list[Claim]) -> list[Claim]:
    """Impact claims (share, trend, data) of state_impact and of status updates."""
    return [c for c in claims if c.kind in ("users", "trend", "data")]


def blast_checks(tl: Timeline, rb: R.Rubric, claims: list[Claim]) -> list[Check]:
    full, late = rb.w("blast_radius"), rb.w("blast_radius_late")
    out = [_breakdown(tl, rb, full, late), _breadth(tl, rb, full, late)]
    stated = [c for c in statements(tl, claims) if tl.rel(c.t) <= late]
    first = next((c for c in stated if c.kind == "users" and c.score > 0), None)
    w = clock(full)
    if first is not None:
        e = tl.by_seq[first.seq]
        out.append(
            scored(
                rb,
                "blast_radius.impact_stated",
                timing(tl.rel(e.t), full, late),
                f"{e.actor} stated the impact at {tl.at(e.t)} ({first.source}).",
                STATE_STRONGER.format(w=w),
                [tl.ev(e)],
                [e.actor],
            )
        )
    else:
        wrong = [c for c in stated if c.kind == "users"]
        out.append(
            scored(
                rb,
                "blast_radius.impact_stated",
                0.0,
                "Nobody stated the impact."
                if not wrong
                else f"Every stated share was false ({describe_claim(wrong[0])}).",
                STATE_STRONGER.format(w=w),
                [tl.ev(tl.by_seq[c.seq]) for c in wrong[:2]] or [tl.anchor_ev(), tl.end_ev()],
            )
        )
    start = tl.rel(first.t) if first is not None else None
    out += _accuracy(tl, rb, stated, start, full, late)
    out.append(_root_cause_first(tl, rb))
    return out


def _breakdown(tl: Timeline, rb: R.Rubric, full: float, late: float) -> Check:
    hit = affected_services(tl)
    views = tl.looks_of("view_dashboard")
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
    looks = tl.looks_of(*R.LOOKS)
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
    tl: Timeline,
    rb: R.Rubric,
    stated: list[Claim],
    start: float | None,
    full: float,
    late: float,
) -> list[Check]:
    """Share, trend and data: the latest and the worst statement count (not the best),
    each scored by its error, halved when no detail look came before it (a guess), all
    times the timing credit of the first statement that was not false."""
    out = []
    none = [tl.anchor_ev(), tl.end_ev()]
    when = 0.0 if start is None else timing(start, full, late)
    for cid, kind, stronger in (
        (
            "blast_radius.users",
            "users",
            "Read business impact (users affected) off the dashboards and state it within "
            f"{R.USERS_TOL_ABS:g} points; say it again when it changes.",
        ),
        (
            "blast_radius.trend",
            "trend",
            f"Compare the last {clock(rb.w('trend'))} of the impact graph before saying whether it "
            "is rising, stable or falling.",
        ),
        (
            "blast_radius.data",
            "data",
            "Check whether data is corrupted (integrity alerts, migrations) or only delayed "
            "(consumer lag) before saying it is safe.",
        ),
    ):
        mine = [c for c in stated if c.kind == kind]
        if not mine:
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
        guessed = [c for c in mine if not looked_before(tl, c.seq)]
        weighed = [
            c if looked_before(tl, c.seq) else replace(c, score=c.score * R.BLIND_CREDIT)
            for c in mine
        ]
        credit, latest, worst = summary(weighed)
        assert latest is not None and worst is not None
        shown = [latest] if latest.seq == worst.seq else [worst, latest]
        detail = "; ".join(
            f"{'latest' if c is latest else 'worst'}: {describe_claim(c)} at {tl.at(c.t)}"
            for c in shown
        )
        if guessed:
            detail += f"; {len(guessed)} of {len(mine)} made before any detail look (half credit)"
        ev: list[Evidence] = []
        for c in shown:
            ev.append(tl.ev(tl.by_seq[c.seq]))
            sample = tl.sample_at(c.t)
            if sample is not None:
                ev.append(
                    tl.sample_ev(sample, f"users affected {sample.values.get(USERS, 0.0):.1f}%")
                )
        out.append(
            scored(
                rb,
                cid,
                credit * when,
                detail[:1].upper() + detail[1:] + ".",
                stronger,
                ev,
                [c.actor for c in shown if c.score > 0],
            )
        )
    return out


def _root_cause_first(tl: Timeline, rb: R.Rubric) -> Check:
    digs = tl.inputs_of(*R.ROOT_CAUSE)
    looks = tl.inputs_of(*R.ASSESS)  # a stale look was still an attempt to assess first
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
