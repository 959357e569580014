"""Same log, same grade, byte for byte; grading reads the log and changes nothing."""

from __future__ import annotations

from engine.drill import Drill
from engine.grading import grade, grade_markdown
from engine.log import dump_jsonl, parse_jsonl
from engine.script import play
from tests.grading.helpers import SCRIPTS, load_script, run, scenario, steps_of

STRONG = steps_of(SCRIPTS / "mini" / "strong.yaml")


def test_grading_the_same_log_twice_gives_identical_bytes() -> None:
    """Two grades of one log serialise to the same bytes, JSON and Markdown."""
    events = run("mini", STRONG)
    a, b = grade(scenario("mini"), events), grade(scenario("mini"), events)
    assert a.to_json() == b.to_json()
    assert grade_markdown(a) == grade_markdown(b)
    assert a == b


def test_a_log_read_back_from_jsonl_grades_identically() -> None:
    """A log stored as JSON lines and parsed back gives the same grade bytes."""
    events = run("mini", steps_of(SCRIPTS / "mini" / "group.yaml"))
    again = parse_jsonl(dump_jsonl(events))
    assert grade(scenario("mini"), again).to_json() == grade(scenario("mini"), events).to_json()


def test_two_replays_of_one_script_grade_identically() -> None:
    """Two independent drills of the same scenario, seed and script grade the same."""
    script = load_script(SCRIPTS / "mini" / "harmful.yaml")
    logs = []
    for _ in range(2):
        drill = Drill(scenario("mini"), seed=3)
        play(drill, script)
        logs.append(drill.log.events)
    assert grade(scenario("mini"), logs[0]).to_json() == grade(scenario("mini"), logs[1]).to_json()


def test_grading_does_not_change_the_log() -> None:
    """The events' bytes are the same before and after grading."""
    events = list(run("mini", STRONG))
    before = dump_jsonl(events)
    grade(scenario("mini"), events)
    assert dump_jsonl(events) == before
