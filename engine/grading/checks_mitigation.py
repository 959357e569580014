"""Mitigation: the right lever, safely, early, and verified; no harm, no long debate.

Sources of truth: every mitigation input judged by :mod:`.judge` (rules,
metrics before and after its effect, rows corrupted, migrations applied and
checked), the end of impact read from ``business.users_affected_pct``, and
the looks that followed a mitigation's effect.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import inf

from ..alerts import OPS
from . import rubric as R
from .base import Hit, penalty, scored
from .claims import Claim, describe_claim
from .counterfactual import Attribution
from .judge import Judged
from .model import Check, Evidence
from .timeline import Timeline, clock, describe

VALUE = {"correct": 1.0, "acceptable": 0.6}


def best_move(tl: Timeline) -> str:
    rules = tl.scenario.grading.correct
    if not rules:
        return "the reversible mitigation that stops the impact"
    r = rules[0]
    return f"{r.action}{' ' + r.target if r.target else ''} ({r.why})"


def credited(
    tl: Timeline, rb: R.Rubric, judged: list[Judged], owed: Attribution | None = None
) -> tuple[Judged | None, float | None]:
    """The mitigation that ended the impact and when impact ended, if one did.

    With ``owed`` (the replay's attribution, :func:`.counterfactual.mitigators`) only a
    move whose removal makes the outcome worse can be the one: a move that merely came
    before the end, or a lever pulled while harm was ending by itself, earns nothing.
    Without it (the log cannot be replayed) the last credible move that helped is
    taken, as the rubric's notes then say."""
    end, ever = tl.mitigated_at(rb.threshold)
    ok = [j for j in judged if j.credible and (owed is None or j.event.seq in owed.seqs)]
    if not ever:
        # Impact never reached the threshold: credit a mitigation that landed and was
        # either the scenario's answer or visibly helped, not any action at all.
        landed = [
            j
            for j in ok
            if j.landed is not None
            and (j.rule in ("correct", "acceptable") or j.verdict == "helped")
        ]
        first = landed[0] if landed else None
        return (first, first.landed.t) if first is not None and first.landed else (None, None)
    if end is None:
        return None, None
    before = [j for j in ok if j.event.t <= end]
    helped = [j for j in before if j.verdict == "helped"]
    chosen = helped or before
    return (chosen[-1], end) if chosen else (None, None)


def candidates(tl: Timeline, rb: R.Rubric, judged: list[Judged]) -> list[int]:
    """The seqs of the mitigations the end of harm could be owed to: every one before
    harm ended (every one that landed, when harm never began); none while harm goes on."""
    end, ever = tl.mitigated_at(rb.threshold)
    if not ever:
        return [j.event.seq for j in judged if j.landed is not None]
    return [] if end is None else [j.event.seq for j in judged if j.event.t <= end]


def replayed(owed: Attribution | None, judged: list[Judged], credit: Judged) -> str:
    """What the replay showed about the credited move(s), for the check's detail."""
    if owed is None or not owed.seqs:
        return ""
    names = [describe(j.event) for j in judged if j.event.seq in owed.seqs]
    them = (
        ("it" if owed.seqs == {credit.event.seq} else names[0])
        if len(names) == 1
        else " or without ".join(names)
        if owed.each
        else "all of " + " and ".join(names)
    )
    if owed.delay == inf:
        return f" Replayed without {them}, harm would still have been going at the end."
    return f" Replayed without {them}, harm would have ended {clock(owed.delay)} later."


def timeliness(rel: float, rb: R.Rubric) -> float:
    """The time curve: full credit for impact ended by par, falling linearly to
    MODEL_CREDIT at ``mitigation_model`` (page+25m), then to nothing at ``mitigation``."""
    par, model, deadline = rb.w("mitigation_par"), rb.w("mitigation_model"), rb.w("mitigation")
    if rel <= par:
        return 1.0
    if rel <= model:
        return 1.0 - (1.0 - R.MODEL_CREDIT) * (rel - par) / max(1e-9, model - par)
    return max(0.0, R.MODEL_CREDIT * (deadline - rel) / max(1e-9, deadline - model))


def mitigation_checks(
    tl: Timeline,
    rb: R.Rubric,
    judged: list[Judged],
    claims: Sequence[Claim] = (),
    owed: Attribution | None = None,
) -> list[Check]:
    """Every mitigation check; ``owed`` is the replay's attribution of the end of harm
    (None: the log could not be replayed, the last credible move that helped counts)."""
    none = [tl.anchor_ev(), tl.end_ev()]
    move = best_move(tl)
    out = []
    # -- choice
    top: tuple[float, Judged | None] = (0.0, None)
    for j in judged:
        v = VALUE.get(j.rule, 0.5 if j.rule == "unlisted" and j.verdict == "helped" else 0.0)
        v *= 1.0 if j.justified is not None else R.BLIND_CREDIT
        v *= 1.0 if j.credible else 0.0  # a listed lever that made things worse earns nothing
        if v > top[0]:
            top = (v, j)
    frac, pick = top
    if pick is None:
        what = (
            "No mitigation was tried."
            if not judged
            else "No mitigation tried was one the situation called for."
        )
        out.append(
            scored(
                rb,
                "mitigation.choice",
                0.0,
                what,
                f"Use {move}.",
                [tl.ev(j.event) for j in judged] or none,
            )
        )
    else:
        why = f": {pick.why}" if pick.why else " and it helped"
        seen = (
            f"; {describe(pick.justified)} came first"
            if pick.justified is not None
            else "; it was taken blind (no look at its signal first), half credit"
        )
        out.append(
            scored(
                rb,
                "mitigation.choice",
                frac,
                f"{describe(pick.event)} is {pick.rule}{why}{seen}.",
                f"Look at the signal that justifies it, then use {move}.",
                [tl.ev(pick.event)] + ([tl.ev(pick.justified)] if pick.justified else []),
                [pick.actor],
            )
        )
    out.append(_reversible_first(tl, rb, judged))
    # -- effective and timely
    credit, end = credited(tl, rb, judged, owed)
    par, deadline = rb.w("mitigation_par"), rb.w("mitigation")
    if credit is None or end is None:
        helped = [x for x in judged if x.credible and x.verdict == "helped"]
        stopped, ever = tl.mitigated_at(rb.threshold)
        if ever and stopped is None:
            detail = "Impact was still ongoing when the drill ended"
            detail += (
                f" although {describe(helped[-1].event)} reduced it for a while." if helped else "."
            )
        elif ever and stopped is not None and owed is not None and not owed.seqs:
            prior = [x for x in judged if x.event.t <= stopped]
            detail = (
                f"Impact ended at {tl.at(stopped)}, and as early in a replay without "
                f"{'any mitigation' if len(prior) > 1 else describe(prior[0].event)}: "
                "no move made the difference."
                if prior
                else f"Impact ended at {tl.at(stopped)} with no mitigation before it."
            )
        elif ever and stopped is not None:
            detail = f"Impact ended at {tl.at(stopped)} with no credible mitigation before it"
            prior = [x for x in judged if x.event.t <= stopped]
            if prior:
                detail += f"; {describe(prior[-1].event)} earns no credit: {prior[-1].discredit}"
            detail += "."
        else:
            detail = "No credible mitigation took effect."
        out.append(
            scored(
                rb,
                "mitigation.effective",
                0.0,
                detail,
                f"Use {move}, and keep at it until impact is below {rb.threshold:g}% of users.",
                [tl.ev(x.event) for x in helped[-1:]] or none,
            )
        )
        out.append(
            scored(
                rb,
                "mitigation.timely",
                0.0,
                "Impact was not ended by a mitigation.",
                f"End the impact within {clock(par)} of the page: {move}.",
                none,
            )
        )
    else:
        sample = tl.sample_after(end)
        ev: list[Evidence] = [tl.ev(credit.event)]
        if sample is not None:
            ev.append(tl.sample_ev(sample, f"impact below {rb.threshold:g}% from here on"))
        held = not tl.mitigated_at(rb.threshold)[1]
        what = (
            f"Impact stayed below {rb.threshold:g}% of users; {describe(credit.event)} took "
            f"effect at {tl.at(end)}."
            if held
            else f"Impact ended at {tl.at(end)} after {describe(credit.event)}."
        )
        out.append(
            scored(
                rb,
                "mitigation.effective",
                1.0,
                what + replayed(owed, judged, credit),
                f"Use {move}.",
                ev,
                [credit.actor],
            )
        )
        rel = tl.rel(end)
        frac = timeliness(rel, rb)
        out.append(
            scored(
                rb,
                "mitigation.timely",
                frac,
                f"Impact ended {clock(rel)} after the {tl.anchor.kind} "
                f"(full by par {clock(par)}, {R.MODEL_CREDIT:.0%} at "
                f"{clock(rb.w('mitigation_model'))}, nothing after {clock(deadline)}).",
                f"Mitigate first and diagnose later: {move} within {clock(par)}.",
                ev,
                [credit.actor],
            )
        )
    out.append(_safe(tl, rb, judged))
    out.append(_verified(tl, rb, judged, credit, end, list(claims), owed))
    out += _penalties(tl, rb, judged)
    return out


def _reversible_first(tl: Timeline, rb: R.Rubric, judged: list[Judged]) -> Check:
    """The first move (mitigations within a minute of the first) included a credible
    reversible lever, or none of the scenario's fitting levers is reversible."""
    exp = tl.scenario.grading
    offered = [r for r in (*exp.correct, *exp.acceptable) if r.action in R.REVERSIBLE]
    lever = (
        f"{offered[0].action}{' ' + offered[0].target if offered[0].target else ''}"
        if offered
        else ""
    )
    stronger = (
        f"Pull the reversible lever first ({lever}); roll back, restart or fail over "
        "only if it is not enough."
        if offered
        else "Make the first move a safe, fitting mitigation; keep harmful levers out of it."
    )
    moves = [j for j in judged if j.rule != "no-op"]
    if not moves:
        return scored(
            rb,
            "mitigation.reversible_first",
            0.0,
            "No mitigation was tried.",
            stronger,
            [tl.anchor_ev(), tl.end_ev()],
        )
    batch = [j for j in moves if j.event.t <= moves[0].event.t + R.BATCH_S]
    ev = [tl.ev(j.event) for j in batch]
    names = " and ".join(describe(j.event) for j in batch)
    good = [j for j in batch if j.credible and j.action in R.REVERSIBLE]
    if good:
        return scored(
            rb,
            "mitigation.reversible_first",
            1.0,
            f"The first move included a lever undone in seconds: {describe(good[0].event)}.",
            stronger,
            ev,
            [j.actor for j in good],
        )
    fitting = [j for j in batch if j.credible]
    if not offered and fitting:
        return scored(
            rb,
            "mitigation.reversible_first",
            1.0,
            f"No reversible lever fits this incident; the first move was {names}.",
            stronger,
            ev,
            [j.actor for j in fitting],
        )
    why = f"while {lever} was available" if offered else "and it earns no credit"
    return scored(
        rb, "mitigation.reversible_first", 0.0, f"The first move was {names}, {why}.", stronger, ev
    )


def _unsafe(j: Judged) -> str | None:
    if j.corruption is not None:
        return "rows started being corrupted after it"
    if j.action == "rollback" and j.checked is None:
        return "it was a rollback nobody had checked for irreversible migrations"
    if j.verdict == "made worse":
        return "impact got worse after it"
    return None


def _safe(tl: Timeline, rb: R.Rubric, judged: list[Judged]) -> Check:
    stronger = (
        "Before a rollback, check_migration on that service; prefer the reversible "
        "lever (flag, breaker, drain, throttle) first."
    )
    if not any(j.credible for j in judged):
        return scored(
            rb,
            "mitigation.safe",
            0.0,
            "No credible mitigation to judge as safe.",
            stronger,
            [tl.ev(j.event) for j in judged] or [tl.anchor_ev(), tl.end_ev()],
        )
    bad = [(j, why) for j in judged if (why := _unsafe(j)) is not None]
    if bad:
        j, why = bad[0]
        return scored(
            rb,
            "mitigation.safe",
            0.0,
            f"{describe(j.event)} was unsafe: {why}.",
            stronger,
            [tl.ev(x.event) for x, _ in bad],
        )
    ev = [tl.ev(j.event) for j in judged]
    ev += [tl.ev(j.checked) for j in judged if j.checked is not None]
    return scored(
        rb,
        "mitigation.safe",
        1.0,
        "Every mitigation was safe given the hidden state"
        + (
            " (rollbacks checked for migrations first)."
            if any(j.action == "rollback" for j in judged)
            else "."
        ),
        stronger,
        ev,
        [j.actor for j in judged],
    )


def _verified(
    tl: Timeline,
    rb: R.Rubric,
    judged: list[Judged],
    j: Judged | None,
    end: float | None,
    claims: list[Claim],
    owed: Attribution | None = None,
) -> Check:
    """The effect was visible before anyone said it worked. Visible means on what
    everyone sees (the paging alert resolved, or its metric's chart back within the
    alert once impact has ended) or in a detail look after it landed; saying
    "mitigated" / "monitoring" / "resolved" before that claims what nobody had seen."""
    stronger = (
        "Say it worked only once the charts or a breakdown show it: wait for the alert "
        "to resolve or look at the breakdown after the mitigation lands."
    )
    stopped = tl.mitigated_at(rb.threshold)[0]
    if j is None and owed is not None and not owed.seqs and stopped is not None:
        return scored(
            rb,
            "mitigation.verified",
            0.0,
            f"Impact ended at {tl.at(stopped)} as early as in a replay without any "
            "mitigation: no mitigation's effect to verify.",
            stronger,
            [tl.anchor_ev(), tl.end_ev()],
        )
    if j is None or (j.landed is None and end is None):
        landed = [x for x in judged if x.credible and x.landed is not None] or [
            x for x in judged if x.landed is not None
        ]
        j, end = (landed[-1] if landed else None), None
    if j is None:
        return scored(
            rb,
            "mitigation.verified",
            0.0,
            "No mitigation took effect to verify.",
            stronger,
            [tl.anchor_ev(), tl.end_ev()],
        )
    marks: list[tuple[float, Evidence]] = []
    after = j.landed.seq if j.landed is not None else j.event.seq
    look = next((e for e in tl.looks_of(*R.DETAILS) if e.seq > after), None)
    if look is not None:
        marks.append((look.t, tl.ev(look)))
    pages = {a for a in tl.page_alerts}
    resolved = next(
        (
            e
            for e in tl.events
            if e.type == "alert.resolved" and e.seq > j.event.seq and e.data.get("name") in pages
        ),
        None,
    )
    if resolved is not None:
        marks.append((resolved.t, tl.ev(resolved)))
    for alert in tl.page_alerts.values():  # the paging signal's own chart, back in bounds
        ok = next(
            (
                x
                for x in tl.samples
                if x.t > j.event.t
                and not OPS[alert.op](float(x.values.get(alert.metric, 0.0)), alert.threshold)
                and (end is None or x.t >= end)
            ),
            None,
        )
        if ok is not None:
            marks.append((ok.t, tl.sample_ev(ok, f"{alert.metric} back within its alert")))
    if end is not None and not tl.page_alerts:
        s = tl.sample_after(end)
        if s is not None:
            marks.append((s.t, tl.sample_ev(s, f"impact below {rb.threshold:g}% from here on")))
    if not marks:
        return scored(
            rb,
            "mitigation.verified",
            0.0,
            f"Nothing showed that {describe(j.event)} worked before the drill ended.",
            stronger,
            [tl.ev(j.event), tl.end_ev()],
        )
    at, mark = min(marks, key=lambda m: (m[0], m[1].seq))
    early = [c for c in claims if c.kind == "over" and j.event.t <= c.t < at]
    if early:
        c = early[0]
        return scored(
            rb,
            "mitigation.verified",
            0.0,
            f"{describe_claim(c)} at {tl.at(c.t)}, before anything showed "
            f"{describe(j.event)} had worked ({tl.at(at)}).",
            stronger,
            [tl.ev(tl.by_seq[c.seq]), mark],
        )
    return scored(
        rb,
        "mitigation.verified",
        1.0,
        f"The effect of {describe(j.event)} was visible at {tl.at(at)} "
        f"({mark.note.split(' ', 1)[-1]}); nobody said it worked before that.",
        stronger,
        [tl.ev(j.event), mark],
        [j.actor],
    )


def _penalties(tl: Timeline, rb: R.Rubric, judged: list[Judged]) -> list[Check]:
    move = best_move(tl)
    harmful = [
        Hit(
            f"{describe(j.event)} at {tl.at(j.event.t)} is harmful here: {j.why}.",
            f"Instead use {move}.",
            (tl.ev(j.event),),
            (j.actor,),
        )
        for j in judged
        if j.rule == "harmful"
    ]
    unsafe = []
    for j in judged:
        if j.action != "rollback" or (j.checked is not None and j.corruption is None):
            continue
        ev = [tl.ev(j.event)]
        parts = []
        if j.checked is None:
            parts.append(f"nobody ran check_migration on {j.target} first")
        if j.migration is not None:
            ev.append(tl.ev(j.migration))
            parts.append(
                f"irreversible migration {j.migration.data.get('migration')} had been "
                f"applied at {tl.at(j.migration.t)}"
            )
        if j.corruption is not None:
            ev.append(tl.sample_ev(j.corruption, "rows corrupted rising"))
            parts.append(f"rows started being corrupted at {tl.at(j.corruption.t)}")
        instead = (
            ""
            if any(r.action == "rollback" for r in tl.scenario.grading.correct)
            else f"; with an irreversible migration, use {move} instead"
        )
        unsafe.append(
            Hit(
                f"{describe(j.event)} at {tl.at(j.event.t)}: {'; '.join(parts)}.",
                f"Run check_migration on {j.target} before rolling it back{instead}.",
                tuple(ev),
                (j.actor,),
                R.CORRUPTION_PENALTY if j.corruption is not None else None,
            )
        )
    worse = []
    for j in judged:
        if j.verdict == "made worse" and j.stall >= R.STALL_S:
            worse.append(
                Hit(
                    f"{describe(j.event)} at {tl.at(j.event.t)} stopped consumption for "
                    f"{j.stall:.0f} s with its own rebalances (every join stops the group).",
                    f"Add consumers one at a time once the cause is dealt with; {move}.",
                    (tl.ev(j.event), *(tl.ev(r) for r in tl.related.get(j.event.seq, [])[:1])),
                    (j.actor,),
                )
            )
        elif j.verdict == "made worse" and j.after is not None:
            worse.append(
                Hit(
                    f"After {describe(j.event)} users affected went from {j.before:.1f}% to "
                    f"{j.after_pct or 0.0:.1f}% (means over a minute, up to {tl.at(j.after.t)}).",
                    f"Know what a lever does before pulling it during the incident; {move}.",
                    (
                        tl.ev(j.event),
                        tl.sample_ev(
                            j.after,
                            f"users affected {j.after_pct or 0.0:.1f}% over the minute to here",
                        ),
                    ),
                    (j.actor,),
                )
            )
    blind = [
        Hit(
            f"{describe(j.event)} at {tl.at(j.event.t)} came with no look at its signal "
            f"first ({', '.join(w for w, _ in R.JUSTIFY.get(j.action, ()))}).",
            f"Look before you pull: {' or '.join(w for w, _ in R.JUSTIFY.get(j.action, ()))} "
            f"{'of ' + j.target if j.target else ''} shows whether {j.action} fits.",
            (tl.ev(j.event),),
            (j.actor,),
        )
        for j in judged
        if j.justified is None and j.rule != "no-op"
    ]
    out = [
        penalty(rb, "mitigation.harmful", harmful, "No mitigation the scenario marks harmful."),
        penalty(
            rb,
            "mitigation.unsafe_rollback",
            unsafe,
            "No rollback without a migration check, none followed by corruption.",
        ),
        penalty(rb, "mitigation.made_worse", worse, "No mitigation made impact worse."),
        penalty(rb, "mitigation.blind", blind, "Every mitigation came after a look at its signal."),
    ]
    first = next((j for j in judged if j.credible), None)
    horizon = tl.anchor.t + rb.w("debate")
    debate = []
    if (first.event.t if first else tl.end_t) - tl.anchor.t > rb.w(
        "debate"
    ) and tl.end_t >= horizon:
        at, then = tl.users(horizon), tl.users(tl.anchor.t)
        if at >= rb.threshold or at > then + R.TREND_ABS:
            s = tl.sample_at(horizon)
            ev = [tl.anchor_ev()] + ([tl.sample_ev(s, f"users affected {at:.1f}%")] if s else [])
            when = f"the first came at {tl.at(first.event.t)}" if first else "none came"
            if first:
                ev.append(tl.ev(first.event))
            debate.append(
                Hit(
                    f"No credible mitigation within {clock(rb.w('debate'))} of the "
                    f"{tl.anchor.kind} while {at:.1f}% of users were affected; {when}.",
                    f"Hear the options once, decide, and start {move} while diagnosis continues.",
                    tuple(ev),
                    (first.actor,) if first else (),
                )
            )
    out.append(
        penalty(rb, "mitigation.long_debate", debate, "A mitigation started without a long debate.")
    )
    return out
