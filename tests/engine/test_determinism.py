"""Same scenario, seed and inputs: byte-identical drill log."""

from __future__ import annotations

from engine.drill import Drill
from engine.loader import scenario_from_dict
from engine.log import parse_jsonl

from .conftest import load, play

STEPS = [
    (30.0, {"type": "take_command"}),
    (45.0, {"type": "view_dashboard", "service": "api-gateway", "breakdown": "pod"}),
    (90.0, {"type": "rollback", "service": "api-gateway"}),
    (120.0, {"type": "chat", "text": "rolling back while we look"}),
]


def test_same_inputs_give_byte_identical_logs() -> None:
    """Two runs with the same seed and inputs produce the same bytes."""
    sc = load("gateway-bad-pod")
    assert play(sc, STEPS, seed=7).log.to_jsonl() == play(sc, STEPS, seed=7).log.to_jsonl()


def test_a_different_seed_varies_the_drill() -> None:
    """The seed picks the bad pod and the fault time, so logs differ."""
    sc = load("gateway-bad-pod")
    assert play(sc, [], seed=1).log.digest() != play(sc, [], seed=2).log.digest()


def test_advancing_in_small_steps_equals_one_big_step() -> None:
    """How the caller slices time (live pacing vs headless) does not change the log."""
    sc = load("orders-consumer-lag")
    a = Drill(sc, seed=3)
    t = 0.0
    while not a.ended:
        t += 0.37
        a.advance(t)
    b = Drill(sc, seed=3)
    b.advance(sc.duration + 10)
    assert a.log.to_jsonl() == b.log.to_jsonl()


def test_replaying_the_inputs_of_a_log_rebuilds_it() -> None:
    """Inputs read back from JSON lines, re-applied at their times, reproduce the log."""
    sc = load("orders-consumer-lag")
    live = Drill(sc, seed=5)
    clock = 0.0
    for when, data in [
        (611.3, {"type": "skip_poison", "topic": "orders"}),
        (700.25, {"type": "scale_consumers", "topic": "orders", "consumers": 8}),
        (702.0, {"type": "note", "text": "watch the lag"}),
    ]:
        while clock < when:  # live pacing: many small advances
            clock = min(when, clock + 1.7)
            live.advance(clock)
        role = "facilitator" if data["type"] == "note" else "player"
        live.submit(data, actor="alice" if role == "player" else "facilitator", role=role)
    live.advance(sc.duration + 1)
    recorded = parse_jsonl(live.log.to_jsonl())
    again = Drill(sc, seed=5)
    for e in recorded:
        if e.type == "input":
            again.advance(e.t)
            role = "facilitator" if e.actor == "facilitator" else "player"
            again.submit(dict(e.data), actor=e.actor, role=role)
    again.advance(sc.duration + 1)
    assert again.log.digest() == live.log.digest()


def test_the_graph_causes_and_regions_replay_byte_for_byte() -> None:
    """Service edges, retry herds, caused faults and an evacuation: same inputs, same bytes."""

    from .test_graph import _doc

    doc = _doc()
    doc["traffic"] = {
        "base_rps": 400,
        "regions": [{"name": "east", "share": 0.5}, {"name": "west", "share": 0.5}],
    }
    doc["topology"]["services"][0]["regions"] = ["east", "west"]
    doc["faults"].append(
        {
            "id": "surge",
            "kind": "traffic_surge",
            "multiplier": 2,
            "when": {"alert": "Errors", "delay": 5},
            "until": {"action": "set_retries"},
        }
    )
    doc["alerts"].append({"name": "East", "metric": "api.east.err_5xx_pct", "threshold": 90})
    sc = scenario_from_dict(doc)
    steps = [
        (30.0, {"type": "evacuate_region", "region": "east"}),
        (60.0, {"type": "set_retries", "service": "api", "dependency": "ledger", "retries": 0}),
    ]
    first = play(sc, steps, seed=5)
    again = Drill(sc, seed=5)
    for e in first.log.events:
        if e.type == "input":
            again.reapply(e)
    again.advance(sc.duration + 5)
    assert again.log.to_jsonl() == first.log.to_jsonl() == play(sc, steps, seed=5).log.to_jsonl()
    ended = [e.data["fault"] for e in first.log.events if e.data.get("what") == "fault ended"]
    assert ended == ["surge"]
