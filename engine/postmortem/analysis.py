"""Narrative parts computed from the facts: summary, milestones, detection,
resolution, participants, and what responders believed beside what was true."""

from __future__ import annotations

import re

from ..grading import rubric as GR
from ..grading.claims import Claim, read_claims
from ..grading.counterfactual import Without, attribute, decisive
from ..grading.timeline import Timeline
from ..inputs import CATEGORY
from ..log import Event
from .facts import Facts
from .model import Belief, Impact, Milestone, Participant
from .phrases import clock, describe_input, describe_state, mmss, quote

BELIEF_WORDS = re.compile(
    r"\b(?:think|believe|looks like|probably|suspect|likely|maybe|might|seems|because|"
    r"caus\w*|root cause|must be|my guess|correlates?)\b",
    re.I,
)


def impact(f: Facts) -> Impact:
    o, sc = f.outcome, f.scenario
    peak, _, peak_t = f.peak(".users_affected_pct")
    _, err_metric, _ = f.peak(".err_5xx_pct")
    start = o.impact_started_at
    end = o.mitigated_at if o.mitigated_at is not None else f.end_t
    return Impact(
        threshold_pct=f.threshold,
        impact_started_at=start,
        mitigated_at=o.mitigated_at,
        impact_duration=None if start is None else round(end - start, 3),
        ongoing_at_end=start is not None and o.mitigated_at is None,
        peak_users_affected_pct=o.peak_users_affected_pct,
        peak_users_at=peak_t if peak > 0 else None,
        users_total=sc.traffic.users,
        approx_users_affected=round(o.peak_users_affected_pct * sc.traffic.users / 100.0),
        final_users_affected_pct=o.final_users_affected_pct,
        peak_err_5xx_pct=o.peak_err_5xx_pct,
        peak_err_5xx_metric=err_metric,
        failed_requests=o.failed_requests,
        money_lost=o.money_lost,
        rows_corrupted=o.rows_corrupted,
        max_consumer_lag=o.max_consumer_lag,
        has_topics=bool(sc.topology.topics),
        impact_minutes=o.impact_minutes,
        error_budget_used_pct=o.error_budget_used_pct,
        slo_availability_pct=sc.slo.availability_pct,
        slo_window_days=sc.slo.window_days,
        alerts_fired=tuple(dict.fromkeys(o.alerts_fired)),
    )


def _since(t: float | None, ref: float | None) -> float | None:
    return None if t is None or ref is None else round(t - ref, 3)


def milestones(f: Facts) -> list[Milestone]:
    o = f.outcome
    trig = f.fault.t if f.fault is not None else None
    at, an = f.anchor_t, f.anchor_name
    thr = f"{f.threshold:g}%"

    def ev_t(e: Event | None) -> float | None:
        return None if e is None else e.t

    par = f.scenario.grading.par_mitigate
    mit_note = f"par {mmss(par)}" if par else ""
    res_note = (
        "a resolved status was posted"
        if f.resolved_status is not None
        else "no resolved status was posted; counted to the end of the drill"
        if o.mitigated_at is not None
        else "impact was still ongoing at the end"
    )
    first_alert = f.first_alert.data.get("name") if f.first_alert is not None else None
    page_alert = f.page.data.get("alert") if f.page is not None else None
    rows = [
        ("trigger", "Trigger: the fault began", trig, None, None, ""),
        (
            "impact_began",
            f"Impact began (users affected ≥ {thr})",
            o.impact_started_at,
            trig,
            "the trigger",
            "",
        ),
        (
            "detected",
            f"Detected: first alert ({first_alert or 'none fired'})",
            ev_t(f.first_alert),
            trig,
            "the trigger",
            "",
        ),
        (
            "paged",
            f"Paged ({page_alert or 'no page fired'})",
            ev_t(f.page),
            trig,
            "the trigger",
            "",
        ),
        (
            "acknowledged",
            "Acknowledged: first responder action",
            ev_t(f.first_response),
            at,
            an,
            "",
        ),
        ("command", "Incident command taken", ev_t(f.command), at, an, ""),
        ("first_mitigation", "First mitigation", ev_t(f.first_mitigation), at, an, ""),
        ("first_public_update", "First public status update", ev_t(f.first_public), at, an, ""),
        (
            "mitigated",
            f"Mitigated (users affected below {thr} to the end)",
            o.mitigated_at,
            at,
            an,
            mit_note,
        ),
        ("resolved", "Resolved", f.resolved_at, at, an, res_note),
    ]
    out = [
        Milestone(
            k, title, t, _since(t, ref), what if t is not None and ref is not None else None, note
        )
        for k, title, t, ref, what, note in rows
    ]
    return sorted(out, key=lambda m: (m.t is None, m.t or 0.0))


def participants(f: Facts) -> list[Participant]:
    counts: dict[str, int] = {}
    firsts: dict[str, float] = {}
    for e in f.human:
        counts[e.actor] = counts.get(e.actor, 0) + 1
        firsts.setdefault(e.actor, e.t)
    return [
        Participant(p, f.final.label(p), tuple(hist), counts.get(p, 0), firsts.get(p))
        for p, hist in f.role_history.items()
    ]


def simulated(f: Facts) -> list[str]:
    seen = [f"{e.data.get('from')} ({e.data.get('role')})" for e in f.events if e.type == "inject"]
    return list(dict.fromkeys(seen))


def severity_note(f: Facts) -> str:
    if not f.declared:
        return "no severity was declared during the drill"
    parts = [f"{e.data['severity']} at {clock(e.t)} by {f.label(e)}" for e in f.declared]
    return "declared " + ", then ".join(parts)


def detection(f: Facts) -> str:
    if f.first_alert is None:
        return "No alert fired: monitoring did not detect the impact during the drill."
    a = f.first_alert.data
    out = (
        f"The first alert, {a.get('name')} [{a.get('severity')}], fired at {clock(f.first_alert.t)}"
    )
    if f.fault is not None:
        out += f", {mmss(f.first_alert.t - f.fault.t)} after the trigger"
    out += "."
    if f.page is not None:
        out += f" On-call was paged at {clock(f.page.t)} by {f.page.data.get('alert')}."
    else:
        out += " No alert paged anyone."
    return out


def _related(f: Facts, seq: int) -> list[Event]:
    return [
        e
        for e in f.events
        if (e.type == "effect" and e.data.get("for") == seq)
        or (e.type == "state" and e.data.get("for_seq") == seq)
    ]


def resolution(f: Facts) -> str:
    core, tail = _resolution(f)
    return " ".join([core, *tail])


def _resolution(f: Facts) -> tuple[str, list[str]]:
    """(what ended the impact, follow-up sentences)."""
    o = f.outcome
    thr = f"{f.threshold:g}%"
    mits = [e for e in f.human if CATEGORY.get(str(e.data.get("type"))) == "mitigate"]
    if o.impact_started_at is None:
        return f"Users affected never reached the impact threshold ({thr}).", []
    if o.mitigated_at is None:
        tried = f" {len(mits)} mitigation(s) were tried." if mits else " No mitigation was tried."
        growing = [
            h.removeprefix("business.").replace("_", " ")
            for h in o.harm_at_end
            if h != "business.users_affected_pct"
        ]
        still = f"; {' and '.join(growing)} still growing" if growing else ""
        return (
            f"Impact was not mitigated before the drill ended: "
            f"{o.final_users_affected_pct:.1f}% of users were affected at "
            f"{clock(f.end_t)}{still}.{tried}"
        ), []
    end = o.mitigated_at
    out = f"Users affected fell below {thr} at {clock(end)}"
    if f.anchor_t is not None:
        out += f", {mmss(end - f.anchor_t)} after {f.anchor_name}"
    before = [e for e in mits if e.t <= end]
    landed = [(e, r) for e in before for r in _related(f, e.seq)[-1:] if r.t <= end]
    key = _decisive(f, before)
    if key:
        named = " and ".join(
            f"{f.label(e)} {describe_input(e.data)} at {clock(e.t)}" for e, _ in key
        )
        without = key[0][1]
        alt = (
            "impact would still have been ongoing at the end"
            if without.mitigated_at is None
            else f"impact would have ended {mmss(without.delay)} later"
        )
        out += f", after {named} (replayed without {'each' if len(key) > 1 else 'it'}, {alt})."
    elif landed:
        e, r = landed[-1]
        out += (
            f", after {f.label(e)} {describe_input(e.data)} at {clock(e.t)} "
            f"(in effect at {clock(r.t)})."
        )
    elif before:
        e = before[-1]
        out += f", after {f.label(e)} {describe_input(e.data)} at {clock(e.t)}."
    else:
        rec = [
            e
            for e in f.events
            if e.type == "state" and e.t <= end and e.data.get("what") == "dependency recovered"
        ]
        out += (
            f", when {rec[-1].data.get('component')} recovered on its own."
            if rec
            else ", with no mitigation before it."
        )
    tail = [
        f"Follow-up at {clock(e.t)}: {describe_state(e.data)}"
        for e in f.events
        if e.type == "state"
        and e.t > end
        and str(e.data.get("what")).endswith("complete")
        and e.data.get("for_seq")
    ]
    c = f.first_corruption()
    if c is not None:
        tail.append(f"{o.rows_corrupted:,.0f} rows were corrupted, starting at {clock(c.t)}.")
    tail.append(
        f"A resolved status was posted at {clock(f.resolved_status.t)}."
        if f.resolved_status is not None
        else "No resolved status was posted before the drill ended."
    )
    return out, tail


def _decisive(f: Facts, mits: list[Event]) -> list[tuple[Event, Without]]:
    """The mitigation(s) that changed impact, by counterfactual replay of the log."""
    if not mits:
        return []
    found = attribute(f.scenario, f.events, [e.seq for e in mits])
    if found is None:
        return []
    by_seq = {e.seq: e for e in mits}
    return [(by_seq[w.seq], w) for w in decisive(found)]


def _lower_first(text: str) -> str:
    """'Deploy of x' -> 'deploy of x'; names and acronyms ('API', 'v88') stay as written."""
    text = text.strip().rstrip(".")
    word = text.split(" ", 1)[0]
    plain = word.isalpha() and word[:1].isupper() and (word[1:].islower() or word == "A")
    return text[:1].lower() + text[1:] if plain else text


def summary(f: Facts, imp: Impact) -> str:
    sc = f.scenario
    parts = []
    when = f" at {clock(f.fault.t)} on the drill clock" if f.fault is not None else ""
    parts.append(f"The trigger{when}: {_lower_first(sc.truth.trigger)}.")
    if f.first_alert is not None:
        page = f" and on-call was paged at {clock(f.page.t)}" if f.page is not None else ""
        parts.append(f"The first alert fired at {clock(f.first_alert.t)}{page}.")
    if imp.impact_started_at is not None:
        money = f" and ${imp.money_lost:,.0f} of revenue was lost" if imp.money_lost >= 0.5 else ""
        parts.append(
            f"At peak {imp.peak_users_affected_pct:.1f}% of users (about "
            f"{imp.approx_users_affected:,} of {imp.users_total:,}) were affected; "
            f"{imp.failed_requests:,.0f} requests failed{money}."
        )
    if imp.rows_corrupted >= 0.5:
        parts.append(f"{imp.rows_corrupted:,.0f} rows were corrupted.")
    parts.append(_resolution(f)[0])
    parts.append(f"Severity: {f.severity} ({severity_note(f)}).")
    return " ".join(parts)


def problem(imp: Impact) -> str:
    if imp.impact_started_at is None:
        return "Users were not measurably affected."
    dur = mmss(imp.impact_duration or 0.0)
    tail = " and was still ongoing at the end" if imp.ongoing_at_end else ""
    return (
        f"Up to {imp.peak_users_affected_pct:.1f}% of users were affected for {dur}{tail} "
        f"({imp.failed_requests:,.0f} failed requests)."
    )


def _checked(claims: list[Claim]) -> tuple[str, bool | None]:
    """The truth column: each claim with the simulation's value, wrong ones marked with
    how far off they were; None when nothing in it could be checked."""
    if not claims:
        return "nothing checkable", None
    parts = []
    for c in claims:
        mark = "" if c.true else f" — WRONG ({c.off_by})"
        parts.append(f"{c.said} → true: {c.truth}{mark}")
    return "; ".join(parts), all(c.true for c in claims)


def beliefs(f: Facts) -> list[Belief]:
    """Statements and updates beside the simulation (every claim read from them, as the
    grade reads them: engine/grading/claims.py), then hypotheses and decisions."""
    out = []
    tl = Timeline(f.scenario, f.events)
    by_seq: dict[int, list[Claim]] = {}
    for c in read_claims(tl, GR.resolve(f.scenario.grading)):
        by_seq.setdefault(c.seq, []).append(c)
    for e in f.human:
        d, kind = e.data, d_type(e)
        who = f.label(e)
        if kind == "state_impact":
            truth, ok = _checked(by_seq.get(e.seq, []))
            out.append(
                Belief(
                    e.seq,
                    e.t,
                    who,
                    "impact",
                    f"{float(d['users_pct']):g}% of users, {d['trend']}, data {d['data']}",
                    truth,
                    ok,
                )
            )
        elif kind == "status_update":
            truth, ok = _checked(by_seq.get(e.seq, []))
            out.append(
                Belief(
                    e.seq,
                    e.t,
                    who,
                    "status",
                    f"{d.get('audience')} update, {d.get('state')}: {quote(d.get('impact'), 160)}"
                    + (f" Action: {quote(d.get('action'), 120)}" if d.get("action") else ""),
                    truth,
                    ok,
                )
            )
        elif kind in ("hypothesis", "decide"):
            out.append(
                Belief(
                    e.seq,
                    e.t,
                    who,
                    "hypothesis" if kind == "hypothesis" else "decision",
                    quote(d.get("text")),
                    None,
                    None,
                )
            )
        elif kind == "chat" and BELIEF_WORDS.search(str(d.get("text", ""))):
            out.append(Belief(e.seq, e.t, who, "chat", quote(d.get("text")), None, None))
    return out


def d_type(e: Event) -> str:
    return str(e.data.get("type"))
