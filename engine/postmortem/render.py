"""Markdown for a :class:`~.model.Postmortem`, in one of three section layouts.

The content is the same in every template; only section names and order
change. ``default`` is firedrill's own; ``pagerduty`` follows PagerDuty's
postmortem template (Overview, What Happened, Contributing Factors,
Resolution, Impact, Responders, Timeline, How'd We Do?, Action Items,
Messaging); ``google-sre`` follows the example postmortem of the Google SRE
book (Summary, Impact, Root Causes, Trigger, Resolution, Detection, Action
Items, Lessons Learned, Timeline, Supporting information).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..mdtext import inert_values
from .model import Belief, Entry, Finding, Postmortem
from .phrases import clock, mmss
from .templates import TEMPLATES

Block = Callable[[Postmortem], str]


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _bullets(items: list[str], empty: str) -> str:
    return "\n".join(f"- {x}" for x in items) if items else f"*{empty}*"


def header(p: Postmortem) -> str:
    sc = p.scenario
    ic = next((x.actor for x in p.participants if x.label.startswith("IC ")), "none")
    rows = [
        ["Date", p.date],
        ["Status", p.status],
        ["Severity", f"{p.severity} ({p.severity_note})"],
        ["Scenario", f"{sc['id']} (seed {p.seed}, {sc['class']})"],
        ["Incident commander", ic],
        ["Drafted by", "firedrill, from the drill log; for review by the team"],
    ]
    if sc.get("source"):
        rows.append(["Modelled on", f"[{sc['source']['title']}]({sc['source']['url']})"])
    return f"# {p.title}\n\n" + _table(["", ""], rows)


def participants(p: Postmortem) -> str:
    lines = []
    for x in p.participants:
        held = [(t, r) for t, r in x.roles if r != "Responder"]
        roles = ", then ".join(f"{r} from {clock(t)}" for t, r in held) or "no incident role"
        first = f" from {clock(x.first_input_at)}" if x.first_input_at is not None else ""
        lines.append(f"{x.label}: {roles}; {x.inputs} input(s){first}")
    fac = ", ".join(p.facilitators) or "none (headless run)"
    sim = ", ".join(p.simulated) or "none"
    return (
        _bullets(lines, "No one acted during the drill.")
        + f"\n\nFacilitator: {fac}.\nPlayed by the simulation: {sim}."
    )


def impact(p: Postmortem) -> str:
    i = p.impact
    thr = f"{i.threshold_pct:g}%"
    if i.impact_started_at is None:
        window = f"users affected never reached {thr}"
    else:
        end = "still ongoing at the end" if i.ongoing_at_end else clock(i.mitigated_at or 0.0)
        window = f"{clock(i.impact_started_at)} to {end} ({mmss(i.impact_duration or 0.0)})"
    peak_at = f" at {clock(i.peak_users_at)}" if i.peak_users_at is not None else ""
    where = f" ({i.peak_err_5xx_metric})" if i.peak_err_5xx_metric else ""
    rows = [
        ["Impact window (users affected ≥ " + thr + ")", window],
        [
            "Peak users affected",
            f"{i.peak_users_affected_pct:.1f}% (about "
            f"{i.approx_users_affected:,} of {i.users_total:,} users){peak_at}",
        ],
        ["Users affected at the end", f"{i.final_users_affected_pct:.1f}%"],
        ["Peak 5xx rate", f"{i.peak_err_5xx_pct:.1f}%{where}"],
        ["Failed requests", f"{i.failed_requests:,.0f}"],
        ["Revenue lost", f"${i.money_lost:,.0f}"],
        ["Rows corrupted", f"{i.rows_corrupted:,.0f}"],
    ]
    if i.has_topics:
        rows.append(["Peak consumer lag", f"{i.max_consumer_lag:,.0f} messages"])
    rows += [
        ["User-impact minutes (share of users affected × minutes)", f"{i.impact_minutes:.1f}"],
        [
            "Error budget consumed",
            f"{i.error_budget_used_pct:.2f}% of the "
            f"{i.slo_window_days}-day budget at {i.slo_availability_pct:g}% availability",
        ],
        ["Alerts fired", ", ".join(i.alerts_fired) or "none"],
    ]
    return _table(["Measure", "Value"], rows)


def key_times(p: Postmortem) -> str:
    rows = []
    for m in p.milestones:
        when = clock(m.t) if m.t is not None else "—"
        if m.since is None or m.since_what is None:
            since = ""
        elif m.since < 0:
            since = f"{mmss(-m.since)} before {m.since_what}"
        else:
            since = f"{mmss(m.since)} after {m.since_what}"
        rows.append([m.title, when, "; ".join(x for x in (since, m.note) if x)])
    return "**Key times**\n\n" + _table(["Milestone", "Drill time", "Elapsed"], rows)


def timeline(p: Postmortem) -> str:
    rows = []
    for e in p.timeline:
        text = e.text
        if e.key:
            text = f"**[{', '.join(e.key)}]** {text}"
        if e.hidden:
            text += " *(hidden from responders during the drill)*"
        rows.append([clock(e.t), e.who, text])
    note = (
        "Drill time is T+mm:ss from the start of the drill. People appear under the "
        "incident role they held at that moment. Key moments are marked in bold."
    )
    return note + "\n\n" + _table(["Time", "Who", "What happened"], rows)


def beliefs(p: Postmortem) -> str:
    checked = [b for b in p.beliefs if b.matches is not None]
    words = [b for b in p.beliefs if b.matches is None]
    out = []
    if checked:
        out.append(
            _table(
                ["Time", "Who", "Said", "Simulation at that moment", "Consistent?"],
                [[clock(b.t), b.who, b.said, b.truth or "", _yes(b)] for b in checked],
            )
        )
    else:
        out.append("*No impact statement or status update to compare with the simulation.*")
    if words:
        out.append(
            "Hypotheses, decisions and reasoning said during the drill, to set beside "
            "the root cause above:\n\n"
            + "\n".join(f"- {clock(b.t)} {b.who}, {b.kind}: {b.said}" for b in words)
        )
    return "\n\n".join(out)


def _yes(b: Belief) -> str:
    return "yes" if b.matches else "no"


def _findings(p: Postmortem, items: tuple[Finding, ...], empty: str) -> str:
    """Simulation facts first as plain bullets, then the grade's, nested by dimension."""
    if not items:
        return f"*{empty}*"
    scores = (p.grade or {}).get("scores") or {}
    lines: list[str] = []
    current: str | None = None
    for f in items:
        tail = f" *Stronger: {f.stronger}*" if f.stronger else ""
        if f.dimension is None:
            lines.append(f"- {f.text}{tail}")
            continue
        if f.dimension != current:
            current = f.dimension
            score = f" (score {scores[current]})" if current in scores else ""
            lines.append(f"- **{current}**{score}")
        lines.append(f"  - {f.text}{tail}")
    return "\n".join(lines)


def actions(p: Postmortem) -> str:
    rows = [
        [
            str(n),
            a.title,
            a.owner,
            a.deadline or f"{a.due_days} days after the drill",
            a.verification,
            "scenario" if a.source == "scenario" else "this drill",
        ]
        for n, a in enumerate(p.action_items, start=1)
    ]
    if not rows:
        return "*No action items.*"
    return _table(["#", "Action", "Owner", "Due", "Verification", "From"], rows)


def _updates(entries: list[Entry]) -> str:
    return _bullets([f"{clock(e.t)} {e.who}: {e.text}" for e in entries], "None sent.")


def messaging(p: Postmortem) -> str:
    internal = [e for e in p.messaging if e.kind != "status:public"]
    external = [e for e in p.messaging if e.kind == "status:public"]
    return f"### Internal\n\n{_updates(internal)}\n\n### External\n\n{_updates(external)}"


BLOCKS: dict[str, Block] = {
    "participants": participants,
    "summary": lambda p: p.summary,
    "impact": impact,
    "key_times": key_times,
    "timeline": timeline,
    "trigger": lambda p: f"**Trigger.** {p.trigger}",
    "root_cause": lambda p: f"**Root cause.** {p.root_cause}",
    "contributing": lambda p: (
        "**Contributing factors.**\n\n" + _bullets(list(p.contributing_factors), "None recorded.")
    ),
    "detection": lambda p: f"**Detection.** {p.detection}",
    "resolution": lambda p: f"**Resolution.** {p.resolution}",
    "beliefs": beliefs,
    "whys": lambda p: (
        f"**Problem.** {p.problem}\n\n"
        + "\n".join(
            f"{n}. {w}" + (" *(systemic cause: the whys stop here)*" if n == len(p.whys) else "")
            for n, w in enumerate(p.whys, start=1)
        )
    ),
    "grade_note": lambda p: p.grade_note if p.grade_note else _scores(p),
    "well": lambda p: _findings(p, p.went_well, "Nothing recorded."),
    "wrong": lambda p: _findings(
        p,
        p.went_wrong,
        "No gaps found in the response"
        + ("" if p.grade is None else " by the drill grade")
        + "; the system conditions that "
        "allowed the incident are under the root cause and the five whys.",
    ),
    "lucky": lambda p: _findings(p, p.lucky, "Nothing recorded for this drill."),
    "actions": actions,
    "messaging": messaging,
}


def _scores(p: Postmortem) -> str:
    g = p.grade or {}
    scores = ", ".join(f"{k} {v}" for k, v in (g.get("scores") or {}).items())
    return f"From the drill grade: overall {g.get('overall')}/100 ({scores})."


def _unlabel(text: str, title: str) -> str:
    """Drop a block's bold label when the section is already named that."""
    m = re.match(r"\*\*(.+?)\.\*\*\s*", text)
    if m and m.group(1).lower().rstrip("s") == title.lower().rstrip("s"):
        return text[m.end() :]
    return text


def markdown(p: Postmortem) -> str:
    """The postmortem as Markdown; every value in it is escaped (engine/mdtext.py) first."""
    p = inert_values(p)
    parts = [header(p)]
    for title, blocks in TEMPLATES[p.template]:
        parts.append(f"## {title}")
        for b in blocks:
            if b.startswith("h3:"):
                parts.append(f"### {b[3:]}")
                continue
            text = _unlabel(BLOCKS[b](p), title)
            if text:
                parts.append(text)
    notes = "".join(f"\n- {n}" for n in p.notes)
    parts.append(
        f"---\n\n*Generated from the drill log ({p.events} events) by firedrill; "
        "blameless: people appear by incident role and are never named as a cause.*"
        + (f"\n\nNotes:{notes}" if notes else "")
    )
    return "\n\n".join(parts) + "\n"
