"""The timeline: every input once, every state change once, in log order, facts only.

Entries come from the log in ``seq`` order. An investigation's answer (its
``observation``) is folded into the input that asked; a facilitator's
``inject``/``message`` input absorbs the message it released. Metric samples
contribute four derived moments only (impact began, peak, corruption began,
mitigated). Consecutive identical system lines (a consumer group
crash-looping) collapse into one line that lists every event it covers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from ..log import Event
from .facts import ROWS, Facts, is_human
from .model import Entry
from .phrases import (
    clock,
    describe_alert,
    describe_effect,
    describe_fault,
    describe_input,
    describe_observation,
    describe_state,
    quote,
)

KEYS = (
    "trigger",
    "detected",
    "page",
    "command",
    "first mitigation",
    "first status update",
    "impact began",
    "mitigated",
    "resolved",
)


def _marks(f: Facts) -> dict[int, list[str]]:
    marks: dict[int, list[str]] = {}
    for e, key in (
        (f.fault, "trigger"),
        (f.first_alert, "detected"),
        (f.page, "page"),
        (f.command, "command"),
        (f.first_mitigation, "first mitigation"),
        (f.first_update, "first status update"),
        (f.resolved_status, "resolved"),
    ):
        if e is not None:
            marks.setdefault(e.seq, []).append(key)
    return marks


def _derived(f: Facts) -> dict[int, list[tuple[str, tuple[str, ...]]]]:
    """Moments read from metric samples, by the seq of the sample that shows them."""
    out: dict[int, list[tuple[str, tuple[str, ...]]]] = {}
    thr = f"{f.threshold:g}%"
    if f.impact_sample is not None:
        out.setdefault(f.impact_sample.seq, []).append(
            (
                f"Impact began: {_users(f, f.impact_sample.t)} of users affected "
                f"(impact threshold {thr}).",
                ("impact began",),
            )
        )
    peak, _, peak_t = f.peak(".users_affected_pct")
    if peak_t is not None and peak > 0 and (f.impact_sample is None or peak_t != f.impact_sample.t):
        s = f.sample_at(peak_t)
        if s is not None:
            out.setdefault(s.seq, []).append((f"Peak impact: {peak:.1f}% of users affected.", ()))
    c = f.first_corruption()
    if c is not None:
        out.setdefault(c.seq, []).append(
            (f"Data corruption began: {c.values.get(ROWS, 0.0):,.0f} rows corrupted so far.", ())
        )
    if f.mitigated_sample is not None:
        out.setdefault(f.mitigated_sample.seq, []).append(
            (
                f"Impact below the threshold: {_users(f, f.mitigated_sample.t)} of users affected, "
                f"and it stayed below {thr} to the end.",
                ("mitigated",),
            )
        )
    return out


def _users(f: Facts, t: float) -> str:
    return f"{f.users(t):.1f}%"


def build(f: Facts) -> list[Entry]:
    """The timeline entries in log order (before collapsing repeats)."""
    marks = _marks(f)
    derived = _derived(f)
    ops = {a.name: a.op for a in f.scenario.alerts}
    entries: list[Entry] = []
    absorb: int | None = None  # index of a facilitator inject/message entry awaiting its message
    for e in f.events:
        key = tuple(marks.get(e.seq, ()))
        if e.type == "input":
            entries.append(_input(f, e, key))
            absorb = len(entries) - 1 if e.data.get("type") in ("inject", "message") else None
            continue
        if e.type == "inject" and absorb is not None and entries[absorb].t == e.t:
            prev = entries[absorb]
            text = prev.text
            if e.data.get("id") is not None:
                text += f": {e.data.get('from')} ({e.data.get('role')}) {quote(e.data.get('text'))}"
            entries[absorb] = replace(prev, text=text, seqs=(*prev.seqs, e.seq))
            absorb = None
            continue
        absorb = None if e.type != "observation" else absorb
        entry = _system(f, e, key, ops)
        if entry is not None and not _merge_trigger(f, entries, entry, e):
            entries.append(entry)
        for text, dkey in derived.get(e.seq, []) if e.type == "metrics" else []:
            entries.append(Entry(e.t, "simulation", text, "impact", dkey, (e.seq,)))
    return entries


def _merge_trigger(f: Facts, entries: list[Entry], entry: Entry, e: Event) -> bool:
    """Fold the hidden trigger into the visible change it is (a deploy, a flag flip)."""
    if not entries or entries[-1].t != entry.t:
        return False
    prev = entries[-1]
    if (
        prev.kind == "trigger"
        and e.type == "state"
        and str(e.data.get("what")).endswith(" started")
        and e.data.get("component") == _fault_target(f, f.by_seq[prev.seqs[0]])
    ):
        entries[-1] = replace(prev, seqs=(*prev.seqs, e.seq), hidden=False, kind="system")
        return True
    if entry.kind == "trigger" and prev.kind == "system" and not prev.key and len(prev.seqs) == 1:
        before = f.by_seq[prev.seqs[0]]
        if before.type == "state" and before.data.get("component") == _fault_target(f, e):
            entries[-1] = replace(prev, key=entry.key, seqs=(*prev.seqs, e.seq))
            return True
    return False


def _fault_target(f: Facts, e: Event) -> str | None:
    fault = next((x for x in f.scenario.faults if (x.id or x.kind) == e.data.get("fault")), None)
    # a pod fault on several services names the one it started on in its event
    return getattr(fault, "service", None) or e.data.get("service") or getattr(fault, "flag", None)


def _input(f: Facts, e: Event, key: tuple[str, ...]) -> Entry:
    text = describe_input(e.data)
    text = text[:1].upper() + text[1:]
    seqs = [e.seq]
    obs = f.observations.get(e.seq)
    if obs is not None:
        seen = describe_observation(str(obs.data.get("kind")), obs.data.get("result") or {})
        if seen:
            text += f" → {seen}"
        seqs.append(obs.seq)
    if e.data.get("by"):
        text += f" (entered by the facilitator, {e.data['by']})"
    human = is_human(e)
    return Entry(
        e.t,
        f.label(e),
        text + ("" if text.endswith((".", "”", "…")) else "."),
        "input" if human else "facilitator",
        key,
        tuple(seqs),
        e.vis != "all",
    )


def _system(f: Facts, e: Event, key: tuple[str, ...], ops: Mapping[str, str]) -> Entry | None:
    d = e.data
    hidden = e.vis != "all"
    if e.type == "state":
        if d.get("what") == "fault started":
            return Entry(
                e.t, "system", describe_fault(f.scenario, d) + ".", "trigger", key, (e.seq,), True
            )
        return Entry(e.t, "system", describe_state(d), "system", key, (e.seq,), hidden)
    if e.type == "effect":
        return Entry(e.t, "system", describe_effect(d), "system", key, (e.seq,), hidden)
    if e.type in ("alert.fired", "alert.resolved"):
        op = ops.get(str(d.get("name")), ">")
        return Entry(e.t, "monitoring", describe_alert(e.type, d, op), "alert", key, (e.seq,))
    if e.type == "page":
        return Entry(
            e.t, "monitoring", f"On-call paged by alert {d.get('alert')}.", "page", key, (e.seq,)
        )
    if e.type == "inject":
        who = f"{d.get('from')} ({d.get('role')})"
        return Entry(
            e.t,
            who,
            f"Message on the {d.get('channel')} channel: {quote(d.get('text'))}",
            "message",
            key,
            (e.seq,),
            hidden,
        )
    if e.type == "drill.created":
        return Entry(
            e.t,
            "system",
            f"Drill started: scenario {d.get('scenario')}, seed {d.get('seed')}.",
            "system",
            key,
            (e.seq,),
        )
    if e.type == "drill.ended":
        return Entry(e.t, "system", f"Drill ended ({d.get('reason')}).", "system", key, (e.seq,))
    if e.type == "prompt_ready":
        text = f"Prompt card {d.get('id')!r} ready for the facilitator: {d.get('why')}."
        return Entry(e.t, "facilitator console", text, "system", key, (e.seq,), True)
    if e.type in ("metrics", "observation", "prompt_used"):  # prompt_used: its input says it
        return None
    return Entry(e.t, e.actor, f"{e.type}: {dict(d)}", "system", key, (e.seq,), hidden)


def collapse(entries: list[Entry]) -> list[Entry]:
    """Fold runs of identical unmarked system lines into one line covering all their events."""
    out: list[Entry] = []
    run: list[Entry] = []

    def flush() -> None:
        if not run:
            return
        if len(run) == 1:
            out.append(run[0])
        else:
            head = run[0]
            text = (
                f"{head.text.rstrip('.')} ({len(run)} times, {clock(head.t)} to "
                f"{clock(run[-1].t)})."
            )
            out.append(replace(head, text=text, seqs=tuple(s for r in run for s in r.seqs)))
        run.clear()

    for e in entries:
        same = (
            run
            and e.kind == "system"
            and not e.key
            and e.text == run[0].text
            and e.who == run[0].who
        )
        if same:
            run.append(e)
            continue
        flush()
        if e.kind == "system" and not e.key:
            run.append(e)
        else:
            out.append(e)
    flush()
    return out


def timeline(f: Facts) -> tuple[list[Entry], list[Entry]]:
    """(timeline, messaging): the collapsed timeline and the status updates alone."""
    entries = build(f)
    messaging = []
    for e in entries:
        ev = f.by_seq.get(e.seqs[0])
        if ev is not None and ev.type == "input" and ev.data.get("type") == "status_update":
            messaging.append(replace(e, kind=f"status:{ev.data.get('audience')}"))
    return collapse(entries), messaging
