"""Difficulty is measured: tiny mislabelled scenarios fail the self-check's `difficulty` rule."""

from __future__ import annotations

from typing import Any

from engine.difficulty import Profile, fitting, measure
from engine.script import DecisionScript
from engine.selfcheck import difficulty

from .inline import tiny

DEPS = {"dependencies": [{"name": "ledger"}, {"name": "search"}, {"name": "avatars"}]}
SPLIT = {
    "endpoints": [
        {"name": "GET /a", "share": 0.5, "calls": ["ledger"]},
        {"name": "GET /b", "share": 0.5, "calls": ["search"]},
    ]
}
FIX_API = {"correct": [{"action": "rollback", "target": "api", "why": "the deploy broke it"}]}
FIX_LEDGER = {"correct": [{"action": "set_breaker", "target": "ledger", "why": "it is down"}]}
BAD_PODS = {"id": "bad", "kind": "pod_failure", "service": "api", "pod": "all", "at": 300}


def _down(name: str, at: float = 300) -> dict[str, Any]:
    return {
        "id": f"{name}-down",
        "kind": "dependency",
        "dependency": name,
        "error_pct": 100,
        "at": at,
    }


def _profile(**changes: Any) -> Profile:
    return Profile(
        **{
            "causes": 1,
            "signal_alerts": 1,
            "noise_alerts": 0,
            "decoys": 0,
            "page_points": True,
            "cascade": False,
            "components": 1,
            "moves": None,
            "recovery": None,
            **changes,
        }
    )


def test_an_obvious_single_fault_is_a_beginner_drill_and_fails_as_advanced() -> None:
    """Every pod fails, the page is on the service to fix, nothing misleads: no hard
    trait, so it fits beginner only, and declared advanced it is an error."""
    sc = tiny(faults=[BAD_PODS], grading=FIX_API, difficulty="beginner")
    assert measure(sc) == _profile()
    assert difficulty(sc, None) == []
    advanced = tiny(faults=[BAD_PODS], grading=FIX_API, difficulty="advanced")
    assert [f.message for f in difficulty(advanced, None)] == [
        "seed 0: declared advanced but measures 0 hard traits (at least 2) "
        "(hard traits: none); it fits beginner"
    ]


def test_two_independent_failing_dependencies_are_two_causes_too_many_for_a_beginner() -> None:
    """Each endpoint loses its own dependency: taking either fault out leaves half the
    harm, so they are two causes, and a page on the service does not name the fix."""
    sc = tiny(
        api=SPLIT,
        topology=DEPS,
        faults=[_down("ledger"), _down("search", 400)],
        grading=FIX_LEDGER,
        difficulty="beginner",
    )
    assert measure(sc) == _profile(causes=2, page_points=False, components=4)
    assert [f.message for f in difficulty(sc, None)] == [
        "seed 0: declared beginner but measures 2 causes (at most 1); 2 hard traits (at most 1) "
        "(hard traits: several causes, page misleads); it fits advanced"
    ]


def test_a_harmless_blip_with_its_own_alert_is_noise_and_a_decoy() -> None:
    """A slower avatars call stays under its timeout: its ticket fires with or without the
    real fault, so it is noise, and the fault is a decoy."""
    calls = ["ledger", {"to": "avatars", "timeout_ms": 400}]
    sc = tiny(
        api={"endpoints": [{"name": "GET /a", "share": 1.0, "calls": calls}]},
        topology=DEPS,
        faults=[
            _down("ledger"),
            {"kind": "dependency", "dependency": "avatars", "latency_ms": 200, "at": 100},
        ],
        alerts=[
            {"name": "Errors", "metric": "api.err_5xx_pct", "threshold": 5, "for": 20},
            {
                "name": "AvatarsSlow",
                "metric": "avatars.latency_ms",
                "threshold": 150,
                "severity": "ticket",
                "for": 20,
            },
        ],
        grading=FIX_LEDGER,
        difficulty="beginner",
    )
    assert measure(sc) == _profile(noise_alerts=1, decoys=1, page_points=False, components=4)
    assert fitting(measure(sc)) == ["intermediate", "advanced"]


def test_links_of_one_chain_count_as_one_cause() -> None:
    """A deploy ships a path behind a flag and the flag is then turned on: either fault's
    absence ends all the harm, so the chain is one cause, not two."""
    effect = {"when_flag": "new-path", "error_pct": 100}
    sc = tiny(
        api={"versions": [{"name": "v1"}, {"name": "v2"}, {"name": "v3", "effects": [effect]}]},
        topology={"flags": [{"name": "new-path", "enabled": False, "propagation": 5}]},
        faults=[
            {"kind": "deploy", "service": "api", "version": "v3", "at": 100},
            {"kind": "flag_flip", "flag": "new-path", "enabled": True, "at": 300},
        ],
        grading=FIX_API,
    )
    assert measure(sc).causes == 1


def test_recent_changes_and_teammates_that_name_no_clue_are_decoys() -> None:
    """A change of an hour ago and a teammate pushing a restart mislead; a change an hour
    and a half old, a teammate who names the giveaway and one never sent do not."""
    sc = tiny(
        faults=[BAD_PODS],
        grading=FIX_API,
        truth={"trigger": "t", "root_cause": "r", "causal_chain": ["c"], "giveaways": ["cgroup"]},
        changes=[
            {"id": "old", "kind": "deploy", "at": -5400, "summary": "api: logging tweak"},
            {"id": "recent", "kind": "config", "at": -3600, "summary": "cdn: cache TTL raised"},
        ],
        injects=[
            {"id": "push", "at": 400, "from": "dev", "role": "teammate", "text": "Restart it?"},
            {"id": "hint", "at": 500, "from": "sre", "role": "sme", "text": "The cgroup is full."},
            {"id": "ceo", "at": 600, "from": "CEO", "role": "executive", "text": "ETA?"},
            {
                "id": "never",
                "when": {"alert": "Errors"},
                "delay": 3000,
                "from": "dev",
                "text": "Roll back?",
            },
        ],
    )
    assert measure(sc).decoys == 2


def test_the_strong_play_gives_the_moves_and_how_long_the_fix_takes_to_hold() -> None:
    """One rollback, sent while the bad build is still rolling out: impact ends 30 s later."""
    bad = {"name": "v3", "effects": [{"error_pct": 100}]}
    sc = tiny(
        api={"versions": [{"name": "v1"}, {"name": "v2"}, bad]},
        faults=[{"kind": "deploy", "service": "api", "version": "v3", "at": 300}],
        grading=FIX_API,
    )
    strong = DecisionScript.model_validate(
        {"name": "s", "steps": [{"at": "page+30s", "do": "rollback", "service": "api"}]}
    )
    p = measure(sc, strong)
    assert (p.moves, p.recovery) == (1, 30.0)
