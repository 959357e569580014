"""The rubric as data: default windows, weights, tolerances and every check.

A scenario's ``grading:`` section (:class:`engine.scenario.Expectations`)
overrides it: ``windows`` keys replace the defaults below (seconds, relative
to the anchor), ``weights`` keys are a dimension name (its weight in the
overall score) or a check id (a multiplier on that check's points), and
``par_mitigate`` sets the ``mitigation_par`` window. docs/grading.md is the
prose version of this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..actions import ACTIONS, LOOK_TARGET  # noqa: F401  (re-exported: R.LOOK_TARGET)
from ..inputs import CATEGORY
from ..scenario import Expectations
from .model import DIMENSIONS

WINDOWS: dict[str, float] = {
    "command": 300.0,  # IC, severity, roles, channel: full points by page+5m
    "command_late": 600.0,  # ... half points by page+10m
    "blast_radius": 900.0,  # impact assessed by page+15m
    "blast_radius_late": 1500.0,
    "mitigation_par": 900.0,  # impact ended by this: full timeliness (par_mitigate overrides)
    "mitigation_model": 1500.0,  # ... falling linearly to MODEL_CREDIT by page+25m (the
    # interview model answer mitigates in minutes 15-25) ...
    "mitigation": 2700.0,  # ... and on to nothing at page+45m
    "communication": 1800.0,  # first public update by page+30m
    "communication_late": 2400.0,
    "debate": 1200.0,  # longer than this to a first mitigation while impact lasts
    "conflict": 600.0,  # two players' mitigations this close need a decide between
    "trend": 180.0,  # slope window for a stated trend
    "settle": 120.0,  # impact is read this long after a mitigation lands
    "cadence_grace": 60.0,  # a promised update may be this late
}
WEIGHTS: dict[str, float] = {d: 1.0 for d in DIMENSIONS}

# Ground-truth tolerances.
USERS_TOL_ABS = 3.0  # a stated users_pct is right within 3 points ...
USERS_TOL_REL = 0.25  # ... or 25% of the true value, whichever is larger (half at 2x)
TREND_ABS = 1.0  # a change of more than 1 point (or 10%) over the window is a trend
TREND_REL = 0.10
WORSE_ABS = 5.0  # "made worse": impact up by 5 points or 50% beyond its trend
WORSE_REL = 0.50
HELPED_ABS = 1.0  # "helped": impact down by 1 point or 25%
HELPED_REL = 0.25
AVERAGE_S = 60.0  # impact before/after a mitigation is a mean over this long
LAG_DELAYED = 1000.0  # consumer lag above this many messages means data is delayed
MODEL_CREDIT = 0.6  # timeliness credit for impact ended at ``mitigation_model``
STALL_S = 120.0  # a move whose own rebalances stop a consumer group this long made it worse
UNMITIGATED_CAP = 40  # overall score ceiling when no credible mitigation ended the impact
BLIND_CREDIT = 0.5  # choice credit for a mitigation with no justifying look before it

MITIGATIONS: tuple[str, ...] = tuple(t for t, c in CATEGORY.items() if c == "mitigate")
ASSESS: tuple[str, ...] = (
    "view_dashboard",
    "inspect_queue",
    "inspect_database",
    "inspect_dependency",
    "state_impact",
)
LOOKS: tuple[str, ...] = ASSESS[:4]
# Every detail view a player has to ask for (the top-level charts and alerts are seen
# by everyone, so they earn no credit for looking).
DETAILS: tuple[str, ...] = (*LOOKS, "check_migration", "read_logs", "list_changes")
ROOT_CAUSE: tuple[str, ...] = ("read_logs", "list_changes", "forward_fix")
# Levers undone in seconds with nothing lost; everything else (rollback, forward fix,
# restart, failover, kill_query, skip_poison) costs capacity, work or time to undo.
REVERSIBLE: tuple[str, ...] = tuple(t for t, a in ACTIONS.items() if a.reversible)
BATCH_S = 60.0  # mitigations this close to the first one are one first move
TARGET_FIELD: dict[str, str] = {
    t: a.target_field for t, a in ACTIONS.items() if a.target_field is not None
}


# The signal that justifies each mitigation: (look, must it name the same target?), from
# engine.actions.ActionSpec.looks. A mitigation with none of its looks before it was taken
# blind (mitigation.blind).
JUSTIFY: dict[str, tuple[tuple[str, bool], ...]] = {
    name: a.looks for name, a in ACTIONS.items() if a.looks
}


@dataclass(frozen=True, slots=True)
class Spec:
    """A check's fixed facts: points (negative: a penalty per occurrence), cap, concerns."""

    id: str
    title: str
    points: float
    concerns: tuple[str, ...]
    cap: float = 0.0  # penalties: the most one check may take away

    @property
    def dimension(self) -> str:
        return self.id.split(".", 1)[0]


_W = MITIGATIONS  # world-changing inputs: anything judged against the metrics concerns them
_IC = ("take_command", "assign_role")
_S = ("status_update",)
_SW = (*_S, *_W)  # updates judged by whether what they claim is true
_CLAIMS = ("state_impact", "status_update", *_W)
_CLAIMS_SEEN = (*_CLAIMS, *DETAILS)  # ... and whether a detail look came first
SPECS: dict[str, Spec] = {
    s.id: s
    for s in (
        Spec("command.ic", "Someone explicitly takes incident command", 35, _IC),
        Spec("command.severity", "Severity declared", 20, ("declare_incident",)),
        Spec("command.roles", "Named roles assigned", 25, ("assign_role",)),
        Spec("command.channel", "Incident channel in use", 10, ("chat",)),
        Spec("command.single_ic", "One commander, handovers explicit", 10, _IC),
        Spec("command.no_ic", "No incident commander", -20, _IC, cap=-20),
        Spec(
            "command.conflicting_mitigations",
            "Conflicting mitigations without a decision",
            -15,
            (*_W, "decide", *_IC),
            cap=-30,
        ),
        Spec(
            "blast_radius.breakdown",
            "Error breakdown of the affected service",
            25,
            ("view_dashboard", *_W),
        ),
        Spec("blast_radius.breadth", "Impact path looked at from more than one angle", 15, LOOKS),
        Spec(
            "blast_radius.impact_stated",
            "Impact stated (who, how many, trend, data)",
            20,
            _CLAIMS,
        ),
        Spec(
            "blast_radius.users",
            "Stated share of users matches the simulation",
            15,
            _CLAIMS_SEEN,
        ),
        Spec("blast_radius.trend", "Stated trend matches the simulation", 10, _CLAIMS_SEEN),
        Spec(
            "blast_radius.data",
            "Stated data integrity matches the simulation",
            15,
            _CLAIMS_SEEN,
        ),
        Spec(
            "blast_radius.root_cause_first",
            "Root-cause hunting before impact assessment",
            -20,
            (*ROOT_CAUSE, *ASSESS),
            cap=-20,
        ),
        Spec("mitigation.choice", "Mitigation chosen", 20, (*_W, *DETAILS)),
        Spec("mitigation.reversible_first", "Reversible lever first", 10, _W),
        Spec("mitigation.effective", "Impact ended after the mitigation", 25, _W),
        Spec("mitigation.timely", "Impact ended by par", 20, _W),
        Spec(
            "mitigation.safe", "Mitigations safe given hidden state", 10, (*_W, "check_migration")
        ),
        Spec(
            "mitigation.verified",
            "Effect seen before anyone said it worked",
            15,
            (*_W, *DETAILS, *_CLAIMS),
        ),
        Spec("mitigation.harmful", "Harmful mitigation", -15, _W, cap=-30),
        Spec(
            "mitigation.unsafe_rollback",
            "Rollback without confirming it is safe",
            -10,
            (*_W, "check_migration"),
            cap=-35,
        ),
        Spec("mitigation.made_worse", "Mitigation made impact worse", -10, _W, cap=-20),
        Spec(
            "mitigation.blind",
            "Mitigation taken without looking at its signal",
            -10,
            (*_W, *DETAILS),
            cap=-20,
        ),
        Spec("mitigation.long_debate", "Long debate while impact lasted", -15, _W, cap=-15),
        Spec("communication.public_update", "External status update", 25, _SW),
        Spec(
            "communication.content", "Update says what is being done and how many are hit", 20, _SW
        ),
        Spec("communication.cadence", "Promised update cadence kept", 20, _SW),
        Spec("communication.internal", "Internal or executive update", 15, _SW),
        Spec(
            "communication.state_accurate",
            "What the updates claim matches the simulation",
            20,
            (*_S, *_W),
        ),
        Spec(
            "communication.no_next_update",
            "Status update with no next-update time",
            -10,
            _S,
            cap=-20,
        ),
        Spec("communication.promise_broken", "Promised update never came", -15, _SW, cap=-30),
        Spec(
            "communication.false_claim",
            "An update claimed something the simulation contradicts",
            -10,
            (*_S, *_W),
            cap=-30,
        ),
        Spec(
            "communication.false_resolved",
            "Resolved declared while impact continued",
            -20,
            (*_S, *_W),
            cap=-20,
        ),
    )
}
CORRUPTION_PENALTY = -25.0  # unsafe_rollback when corruption followed (instead of -10)


@dataclass(frozen=True, slots=True)
class Rubric:
    windows: dict[str, float]
    weights: dict[str, float]  # dimension weights
    multipliers: dict[str, float]  # per-check point multipliers
    threshold: float  # users_affected_pct at or above which impact is ongoing
    notes: tuple[str, ...]

    def w(self, key: str) -> float:
        return self.windows[key]

    def points(self, check_id: str) -> float:
        return SPECS[check_id].points * self.multipliers.get(check_id, 1.0)

    def cap(self, check_id: str) -> float:
        return SPECS[check_id].cap * self.multipliers.get(check_id, 1.0)


def resolve(exp: Expectations) -> Rubric:
    """Defaults overlaid with a scenario's expectations; unknown keys become notes."""
    notes: list[str] = []
    windows = dict(WINDOWS)
    for key, value in sorted(exp.windows.items()):
        if key in windows:
            windows[key] = float(value)
        else:
            notes.append(f"ignored unknown grading.windows key {key!r}")
    if exp.par_mitigate is not None:
        windows["mitigation_par"] = float(exp.par_mitigate)
    for key in ("command", "blast_radius", "communication"):
        windows[f"{key}_late"] = max(windows[f"{key}_late"], windows[key])
    windows["mitigation_model"] = max(windows["mitigation_model"], windows["mitigation_par"])
    if windows["mitigation"] <= windows["mitigation_model"]:
        windows["mitigation"] = windows["mitigation_model"] + 600.0
    weights = dict(WEIGHTS)
    multipliers: dict[str, float] = {}
    for key, value in sorted(exp.weights.items()):
        if key in weights:
            weights[key] = float(value)
        elif key in SPECS:
            multipliers[key] = float(value)
        else:
            notes.append(f"ignored unknown grading.weights key {key!r}")
    if sum(weights.values()) <= 0:
        notes.append("all dimension weights were 0; using equal weights")
        weights = dict(WEIGHTS)
    return Rubric(windows, weights, multipliers, exp.impact_threshold_pct, tuple(notes))


def override_problems(windows: Mapping[str, object], weights: Mapping[str, object]) -> list[str]:
    """Messages for unknown override keys, for the scenario validator to raise."""
    out = [
        f"grading.windows: unknown key {k!r} (known: {', '.join(WINDOWS)})"
        for k in windows
        if k not in WINDOWS
    ]
    out += [
        f"grading.weights: unknown key {k!r} (a dimension or a check id)"
        for k in weights
        if k not in WEIGHTS and k not in SPECS
    ]
    return out
