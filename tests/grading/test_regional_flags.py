"""Grading tells a regional set_flag that changes nothing from one that changes a region."""

from __future__ import annotations

from tests.grading.helpers import Log


def test_a_regional_flag_flip_is_judged_against_that_regions_state() -> None:
    """rewards-v2 is on: off in eu counts; off in eu again is a no-op; off everywhere
    still counts (us has it on); off everywhere again is a no-op."""
    log = Log(users=10.0).page(100.0)
    log.input(200.0, "priya", type="set_flag", flag="rewards-v2", enabled=False, region="eu")
    log.input(300.0, "priya", type="set_flag", flag="rewards-v2", enabled=False, region="eu")
    log.input(400.0, "priya", type="set_flag", flag="rewards-v2", enabled=False)
    log.input(500.0, "priya", type="set_flag", flag="rewards-v2", enabled=False)
    rules = [m.rule for m in log.grade().mitigations]
    assert rules == ["correct", "no-op", "correct", "no-op"]
