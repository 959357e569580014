"""The grade as readable Markdown: scores, then every check with its evidence."""

from __future__ import annotations

from ..mdtext import inert_values
from .model import TITLES, Check, Grade
from .timeline import clock


def _pts(c: Check) -> str:
    if c.penalty:
        return f"{c.points:+.1f}" if c.points else "0"
    return f"{c.points:.1f}/{c.max_points:.0f}".replace(".0/", "/")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def grade_markdown(g: Grade) -> str:
    """The grade as Markdown; player text is shown as written, never as HTML."""
    return markdown(inert_values(g))


def markdown(g: Grade) -> str:
    a = g.anchor
    lines = [
        f"# Grade: {g.scenario}" + (f" (seed {g.seed})" if g.seed is not None else ""),
        "",
        f"**Overall {g.overall}/100.** Windows are measured from the {a.kind} at "
        f"T+{clock(a.t)} (seq {a.seq}).",
        "",
        "| dimension | score | weight |",
        "|---|---:|---:|",
    ]
    for d in g.dimensions:
        lines.append(f"| {TITLES[d.name]} | {d.score} | {d.weight:g} |")
    for d in g.dimensions:
        lines += ["", f"## {TITLES[d.name]}: {d.score}/100", ""]
        for c in d.checks:
            if c.outcome == "clear":
                continue
            mark = {"met": "✓", "partial": "~", "missed": "✗", "penalty": "−"}[c.outcome]
            lines.append(f"- {mark} **{c.title}** ({_pts(c)}): {c.detail}")
            if c.stronger:
                lines.append(f"  - Stronger: {c.stronger}")
            if c.evidence:
                cites = "; ".join(f"#{e.seq} T+{clock(e.t)} {e.note}" for e in c.evidence)
                lines.append(f"  - Evidence: {cites}")
        clear = [c.title for c in d.checks if c.outcome == "clear"]
        if clear:
            lines.append(f"- No penalty for: {'; '.join(clear)}.")
    if g.mitigations:
        lines += [
            "",
            "## Mitigations",
            "",
            "| seq | T+ | who | action | rule | users before → after | verdict |",
            "|---:|---:|---|---|---|---|---|",
        ]
        for m in g.mitigations:
            after = "pending" if m.after_pct is None else f"{m.after_pct:.1f}%"
            tgt = f" {m.target}" if m.target else ""
            note = f" ({'; '.join(m.notes)})" if m.notes else ""
            lines.append(
                f"| {m.seq} | {clock(m.t)} | {m.actor} | {m.action}{tgt} | {m.rule} "
                f"| {m.before_pct:.1f}% → {after} | {m.verdict}{note} |"
            )
    if g.claims:
        lines += [
            "",
            "## Claims checked against the simulation",
            "",
            "| seq | T+ | who | where | claim | claimed | true value | verdict |",
            "|---:|---:|---|---|---|---|---|---|",
        ]
        for cl in g.claims:
            verdict = (
                "true"
                if cl.true
                else f"false ({cl.off_by})"
                if cl.score <= 0
                else f"partly true, {cl.score:.0%} ({cl.off_by})"
            )
            lines.append(
                f"| {cl.seq} | {clock(cl.t)} | {cl.actor} | {cl.source} | {cl.kind} "
                f"| {_cell(cl.said)} | {_cell(cl.truth)} | {_cell(verdict)} |"
            )
    if len(g.players) > 1 or any(p.actor != "player" for p in g.players):
        lines += [
            "",
            "## Players",
            "",
            "| player | inputs | points won | points lost |",
            "|---|---:|---:|---:|",
        ]
        for p in g.players:
            lines.append(f"| {p.actor} | {p.inputs} | {p.won:.1f} | {p.lost:.1f} |")
    if g.notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in g.notes]
    return "\n".join(lines) + "\n"
