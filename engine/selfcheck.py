"""Self-check of a scenario: is it a drill worth playing, and is it wired up?

:func:`check` plays the scenario headless with nobody responding and with its
strong reference script, over a few seeds, and returns findings:

- the strong play mitigates within par (plus :data:`PAR_TOLERANCE`) without
  corrupting data and with no step refused, and its first seed replays to
  the same log (determinism);
- doing nothing pages, breaches the impact threshold and is still not
  mitigated at the end, or corrupts rows more than a minute after the page;
- the harmful reference play, when there is one, runs ahead of doing nothing
  on a cumulative harm figure (impact-minutes, rows corrupted, money lost,
  failed requests) at some sample: a move the scenario calls harmful must do
  harm in the simulation while it acts, even if the play fixes things later;
- the wrong-move reference play, when there is one (the plausible move that
  does not work in reality: a restart for an expired certificate, scale-out
  for a shared cause), does not end the harm on any seed (for good: with
  :data:`HOLD` seconds of the drill left), nor ends it sooner than doing
  nothing would;
- the scenario's measured difficulty (engine/difficulty.py: causes, noise
  alerts, decoys, hard traits, measured on the first seed) fits the rule of
  its declared ``difficulty``;
- no player-facing text (title, symptom, audience) contains a giveaway word
  of the scenario (``truth.giveaways``: what names the cause or the fix);
- everything declared is reachable: each fault starts, each inject fires
  and each page alert fires when nobody responds (or, for alerts and injects
  that watch for harm a player can cause, in the harmful reference play);
  each dependency, database and topic is used by an endpoint; each flag is
  used by an effect, a fault or a grading rule; each grading rule names a
  mitigation and a target of the kind that mitigation acts on.

Pure: no file I/O, no clock; the caller loads the scenario and the script.
``firedrill check`` is the command-line shell (server/cli/check.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .actions import ACTIONS
from .difficulty import fitting, measure, misfits
from .drill import Drill
from .inputs import CATEGORY
from .log import Event
from .outcome import LOSS_STEP, ROWS, Outcome, outcome
from .scenario import BlockerFault, FlagFault, Scenario, instance_names
from .script import DecisionScript, RunError, play
from .timeexpr import format_clock

DEFAULT_PAR = 900.0  # the grader's mitigation_par window when a scenario sets none
PAR_TOLERANCE = 60.0  # a strong play may land this long after par
SEEDS = (0, 1, 2)
HOLD = 300.0  # a wrong move "works" only if the harm it ends stays away this long
NOBODY = DecisionScript(name="no-op", steps=[])

# What each graded mitigation acts on: the kinds of component its target may name.
TARGET_KINDS: dict[str, tuple[str, ...]] = {
    t: a.target_kinds for t, a in ACTIONS.items() if a.target_kinds
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: ``error`` fails the check, ``warning`` is advice."""

    level: str  # "error" | "warning"
    code: str  # e.g. "strong.par", "noop.recovers", "unused.flag"
    message: str

    def __str__(self) -> str:
        return f"{self.level}: [{self.code}] {self.message}"


def check(
    scenario: Scenario,
    strong: DecisionScript | None,
    seeds: Sequence[int] = SEEDS,
    harmful: DecisionScript | None = None,
    wrong_move: DecisionScript | None = None,
) -> list[Finding]:
    """Every finding for ``scenario`` played with ``strong`` over ``seeds``.

    ``harmful``, when given, is played once (first seed) so that alerts and
    injects which only react to a harmful move count as reachable.
    ``wrong_move``, when given, is played on every seed and must not mitigate.
    """
    found: list[Finding] = []
    seeds = list(seeds) or [0]
    found += _wiring(scenario)
    found += spoilers(scenario)
    noop_logs = []
    for seed in seeds:
        drill = Drill(scenario, seed=seed)
        play(drill, NOBODY)
        events = drill.log.events
        noop_logs.append(events)
        found += _nobody(scenario, outcome(scenario, events), seed)
    harm_events: list[Event] = []
    if harmful is not None:
        drill = Drill(scenario, seed=seeds[0])
        try:
            play(drill, harmful)
            harm_events = drill.log.events
            found += _harmless(harmful.name, noop_logs[0], harm_events, seeds[0])
        except RunError as exc:
            found.append(Finding("error", "harmful.run", f"{harmful.name} cannot be played: {exc}"))
    if wrong_move is not None:
        for seed, noop in zip(seeds, noop_logs, strict=True):
            found += _wrong_move(scenario, wrong_move, seed, outcome(scenario, noop))
    found += _reachable(scenario, noop_logs[0], harm_events)
    if strong is None:
        found.append(Finding("error", "strong.missing", "no strong reference script to play"))
    else:
        for i, seed in enumerate(seeds):
            found += _strong(scenario, strong, seed, replay=i == 0)
    found += difficulty(scenario, strong, seeds[0])
    return _dedupe(found)


def difficulty(sc: Scenario, strong: DecisionScript | None, seed: int = 0) -> list[Finding]:
    """An error if what ``sc`` measures (engine/difficulty.py) breaks its level's rule."""
    profile = measure(sc, strong, seed)
    broken = misfits(sc.difficulty, profile)
    if not broken:
        return []
    fits = " or ".join(fitting(profile)) or "no level"
    traits = ", ".join(profile.traits) or "none"
    return [
        Finding(
            "error",
            "difficulty",
            f"seed {seed}: declared {sc.difficulty} but measures {'; '.join(broken)} "
            f"(hard traits: {traits}); it fits {fits}",
        )
    ]


# ----------------------------------------------------------------- plays
def _nobody(sc: Scenario, out: Outcome, seed: int) -> list[Finding]:
    threshold = sc.grading.impact_threshold_pct
    if out.page_at is None:
        return [
            Finding(
                "error",
                "noop.no_page",
                f"seed {seed}: no page fires when nobody responds, so the drill never starts",
            )
        ]
    if out.impact_started_at is None:
        return [
            Finding(
                "error",
                "noop.no_impact",
                f"seed {seed}: doing nothing never reaches the impact threshold "
                f"({threshold:g}% of users; peak {out.peak_users_affected_pct:.1f}%)",
            )
        ]
    if out.mitigated_at is not None and out.rows_corrupted <= 0:
        return [
            Finding(
                "error",
                "noop.recovers",
                f"seed {seed}: doing nothing recovers by itself at "
                f"{format_clock(out.mitigated_at)} with no data damage",
            )
        ]
    return []


# Cumulative harm figures (business metrics). The harmful play must run ahead of doing
# nothing on one of them, by more than HARM_MARGIN (relative), at some sample: the
# harm a move does shows while it acts, even if a later move of the play fixes things.
HARM_FIGURES = ("impact_minutes", "rows_corrupted", "money_lost", "failed_requests")
HARM_MARGIN = 0.001  # same seed, same noise: a lead beyond rounding is harm done


def _harm_curves(events: Sequence[Event]) -> dict[float, tuple[float, ...]]:
    keys = [f"business.{f}" for f in HARM_FIGURES]
    return {
        e.t: tuple(float(e.data["values"].get(k, 0.0)) for k in keys)
        for e in events
        if e.type == "metrics"
    }


def _harmless(name: str, noop: Sequence[Event], harm: Sequence[Event], seed: int) -> list[Finding]:
    """An error if the harmful play never does more harm than doing nothing."""
    base = _harm_curves(noop)
    worst = [0.0] * len(HARM_FIGURES)  # the harmful play's largest lead, per figure
    for t, values in _harm_curves(harm).items():
        ref = base.get(t)
        if ref is None:
            continue
        for i, (bad, good) in enumerate(zip(values, ref, strict=True)):
            if bad > good * (1.0 + HARM_MARGIN) and bad - good > 1e-9:
                return []
            worst[i] = max(worst[i], bad - good)
    shown = ", ".join(f"{f} +{w:,.1f}" for f, w in zip(HARM_FIGURES, worst, strict=True))
    return [
        Finding(
            "error",
            "harmful.harmless",
            f"seed {seed}: {name} never does more harm than doing nothing (largest leads: "
            f"{shown}): a move the scenario calls harmful must do harm in the simulation",
        )
    ]


def _wrong_move(sc: Scenario, script: DecisionScript, seed: int, noop: Outcome) -> list[Finding]:
    """An error if the move that would not work in reality ends the harm here."""
    drill = Drill(sc, seed=seed)
    try:
        run = play(drill, script)
    except RunError as exc:
        return [Finding("error", "wrong_move.run", f"{script.name} cannot be played: {exc}")]
    if run.rejected:  # a move the drill refused says nothing about whether it works
        r = run.rejected[0]
        return [
            Finding(
                "error",
                "wrong_move.refused",
                f"seed {seed}: {script.name} step {r.step} refused at {format_clock(r.t)}: "
                f"{r.message}",
            )
        ]
    out = outcome(sc, drill.log.events)
    if out.mitigated_at is None or out.mitigated_at > sc.duration - HOLD:
        return []  # harm that pauses in the last minutes may be a lull, not a fix
    if noop.mitigated_at is not None and out.mitigated_at >= noop.mitigated_at:
        return []  # no sooner than harm would have ended anyway (data damage done)
    return [
        Finding(
            "error",
            "wrong_move.mitigates",
            f"seed {seed}: {script.name} ends the harm at {format_clock(out.mitigated_at)}: "
            "a move that would not work in reality must not work in the simulation",
        )
    ]


DAMAGE_GRACE_S = 60.0  # after the page: time for a first move to take effect


def _rows_at(events: Sequence[Event], t: float | None) -> float:
    """Rows corrupted by the last metrics sample at or before ``t`` (0 before any, or if
    ``t`` is None: nobody was paged, so every row counts)."""
    rows = 0.0
    if t is None:
        return rows
    for e in events:
        if e.type == "metrics":
            if e.t > t:
                break
            rows = e.data["values"].get(ROWS, 0.0)
    return rows


def _strong(sc: Scenario, script: DecisionScript, seed: int, replay: bool) -> list[Finding]:
    name = script.name
    drill = Drill(sc, seed=seed)
    try:
        run = play(drill, script)
    except RunError as exc:
        return [Finding("error", "strong.run", f"seed {seed}: {name} cannot be played: {exc}")]
    found = [
        Finding(
            "error",
            "strong.refused",
            f"seed {seed}: {name} step {r.step} refused at {format_clock(r.t)}: {r.message}",
        )
        for r in run.rejected
    ]
    out = outcome(sc, drill.log.events)
    par = sc.grading.par_mitigate if sc.grading.par_mitigate is not None else DEFAULT_PAR
    if out.impact_started_at is None:
        found.append(
            Finding(
                "warning",
                "strong.no_impact",
                f"seed {seed}: impact never reached the threshold in the strong "
                "play, so there is nothing to mitigate",
            )
        )
    elif out.time_to_mitigate is None:
        found.append(
            Finding(
                "error",
                "strong.unmitigated",
                f"seed {seed}: {name} does not mitigate: "
                f"{out.final_users_affected_pct:.1f}% of users affected at the end",
            )
        )
    elif out.time_to_mitigate > par + PAR_TOLERANCE:
        found.append(
            Finding(
                "error",
                "strong.par",
                f"seed {seed}: {name} mitigates {_mmss(out.time_to_mitigate)} after "
                f"the page; par is {_mmss(par)} (+{PAR_TOLERANCE:g}s)",
            )
        )
    # Rows corrupted before anyone is paged are nobody's play (data damage is often found
    # late), nor those written while a first move takes effect; what the strong play must
    # prevent is damage that goes on once it had time to act.
    start = None if out.page_at is None else out.page_at + DAMAGE_GRACE_S
    after = out.rows_corrupted - _rows_at(drill.log.events, start)
    if after > LOSS_STEP:
        found.append(
            Finding(
                "error",
                "strong.damage",
                f"seed {seed}: {name} corrupts {after:,.0f} rows after page+"
                f"{DAMAGE_GRACE_S / 60:g}m",
            )
        )
    if not replay:
        return found
    again = Drill(sc, seed=seed)
    play(again, script)
    if again.log.digest() != drill.log.digest():
        found.append(
            Finding(
                "error", "determinism", f"seed {seed}: two runs of {name} produced different logs"
            )
        )
    return found


# --------------------------------------------------------------- spoilers
# What players see before the debrief, beside the live drill (engine.drill.public_info).
PLAYER_FACING = ("title", "symptom", "audience")


def spoilers(sc: Scenario) -> list[Finding]:
    """An error for each player-facing text that contains one of the scenario's giveaways
    (``truth.giveaways``, matched as whole words, any case)."""
    found = []
    for field in PLAYER_FACING:
        text = str(getattr(sc, field) or "")
        for word in sc.truth.giveaways:
            if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE):
                found.append(
                    Finding(
                        "error",
                        "spoiler",
                        f"the {field} {text!r} says {word!r}, which gives the cause or the "
                        "fix away: players see it before they have looked at anything",
                    )
                )
    return found


# ---------------------------------------------------------------- wiring
def _reachable(sc: Scenario, events: Sequence[Event], harm: Sequence[Event]) -> list[Finding]:
    """Faults that never start when nobody responds; injects and page alerts that
    happen neither then nor in the harmful play."""
    found = []
    either = [*events, *harm]
    also = " or in the harmful play" if harm else ""
    started = {
        e.data.get("fault")
        for e in events
        if e.type == "state" and e.data.get("what") == "fault started"
    }
    for i, f in enumerate(sc.faults):
        label = f.id or f.kind
        if label not in started:
            found.append(
                Finding(
                    "error",
                    "unreached.fault",
                    f"faults[{i}] ({label}) never starts when nobody responds",
                )
            )
    fired = {e.data["name"] for e in either if e.type == "alert.fired"}
    for a in sc.alerts:
        if a.severity == "page" and a.name not in fired:
            found.append(
                Finding(
                    "error",
                    "unreached.alert",
                    f"page alert {a.name} never fires when nobody responds{also} "
                    f"({a.metric} {a.op} {a.threshold:g})",
                )
            )
    injected = {e.data.get("id") for e in either if e.type == "inject"}
    for inj in sc.injects:
        if inj.id in injected:
            continue
        why = ""
        if inj.when is not None and inj.when.alert is not None and inj.when.alert not in fired:
            why = f": its alert {inj.when.alert} never fires"
        elif inj.when is not None and inj.when.metric is not None:
            why = f": {inj.when.metric} never crosses {inj.when.threshold:g}"
        found.append(
            Finding(
                "error",
                "unreached.inject",
                f"inject {inj.id} never fires when nobody responds{also}{why}",
            )
        )
    return found


def _wiring(sc: Scenario) -> list[Finding]:
    """Declared components nothing uses, and grading rules that name nothing real."""
    topo = sc.topology
    endpoints = [e for s in topo.services for e in s.endpoints]
    called = {d for e in endpoints for d in e.call_names}
    dbs = {e.database for e in endpoints if e.database}
    topics = {e.produces for e in endpoints if e.produces}
    rules = [*sc.grading.correct, *sc.grading.acceptable, *sc.grading.harmful]
    flags_used = {eff.when_flag for s in topo.services for v in s.versions for eff in v.effects}
    flags_used |= {f.flag for f in sc.faults if isinstance(f, FlagFault)}
    flags_used |= {f.stopped_by_flag for f in sc.faults if isinstance(f, BlockerFault)}
    flags_used |= {r.target for r in rules if r.action == "set_flag"}
    found = []
    for d in topo.dependencies:
        if d.name not in called:
            found.append(
                Finding(
                    "error",
                    "unused.dependency",
                    f"dependency {d.name} is called by no endpoint, so its faults "
                    "and breaker change nothing",
                )
            )
    for db in topo.databases:
        if db.name not in dbs:
            found.append(
                Finding("error", "unused.database", f"database {db.name} is used by no endpoint")
            )
    for t in topo.topics:
        if t.name not in topics:
            found.append(
                Finding("error", "unused.topic", f"topic {t.name} is produced to by no endpoint")
            )
    for f in topo.flags:
        if f.name not in flags_used:
            found.append(
                Finding(
                    "warning",
                    "unused.flag",
                    f"flag {f.name} guards no effect, fault or grading rule",
                )
            )
    names = {
        "service": {s.name for s in topo.services},
        # A regional one is targeted by name (reroute) and by instance (its other levers).
        "dependency": {d.name for d in topo.dependencies} | set(instance_names(topo.dependencies)),
        "database": {d.name for d in topo.databases} | set(instance_names(topo.databases)),
        "topic": {t.name for t in topo.topics},
        "flag": {f.name for f in topo.flags},
        "certificate": {c.name for c in topo.certificates},
        "config": {c.name for c in topo.configs},
        "cache": {c.name for c in topo.caches},
        "record": {r.name for r in topo.discovery},
        "region": {r.name for r in sc.traffic.regions},
    }
    for kind, group in (
        ("correct", sc.grading.correct),
        ("acceptable", sc.grading.acceptable),
        ("harmful", sc.grading.harmful),
    ):
        for i, r in enumerate(group):
            where = f"grading.{kind}[{i}]"
            if CATEGORY.get(r.action) != "mitigate":
                found.append(
                    Finding(
                        "error",
                        "grading.action",
                        f"{where}: {r.action!r} is not a mitigation action",
                    )
                )
                continue
            allowed = TARGET_KINDS.get(r.action, ())
            if r.target is not None and not any(r.target in names[k] for k in allowed):
                found.append(
                    Finding(
                        "error",
                        "grading.target",
                        f"{where}: {r.action} target {r.target!r} names no "
                        f"{' or '.join(allowed)} of this scenario",
                    )
                )
    if not sc.grading.correct:
        found.append(
            Finding("warning", "grading.no_correct", "grading lists no correct mitigation")
        )
    return found


def _mmss(seconds: float) -> str:
    return format_clock(seconds)[2:]


def _dedupe(findings: Iterable[Finding]) -> list[Finding]:
    seen: set[Finding] = set()
    out = []
    for f in findings:
        if f not in seen:
            seen.add(f)
            out.append(f)
    return out


def errors(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.level == "error"]
