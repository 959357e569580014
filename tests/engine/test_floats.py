"""Float sums that feed the log add left to right on every Python (3.12's sum() compensates)."""

from __future__ import annotations

from engine.floats import total


def test_total_adds_left_to_right_without_compensation() -> None:
    assert total([1e16, 1.0, -1e16]) == 0.0  # compensated summation would give 1.0
    assert total([0.1] * 10) == 0.9999999999999999
    assert total([]) == 0.0
