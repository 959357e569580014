"""The pytest plugin: *.drill.yaml files become test items with readable failures."""

from __future__ import annotations

from pathlib import Path

import pytest

REF = Path(__file__).resolve().parents[1] / "reference"


@pytest.fixture(autouse=True)
def _quiet_ini(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")


def test_drill_files_pass_and_fail_with_grade_evidence(pytester: pytest.Pytester) -> None:
    """One item per seed; a failing run lists the failed thresholds and lost checks."""
    pytester.makefile(
        ".drill.yaml",
        good=f"""
scenario: new-checkout-flag
script: {REF / "new-checkout-flag" / "strong.yaml"}
seeds: [0, 1]
expect: {{min_score: 85, must_mitigate: true}}
""",
    )
    pytester.makefile(
        ".drill.yaml",
        weak=f"""
scenario: new-checkout-flag
script: {REF / "new-checkout-flag" / "weak.yaml"}
expect: {{min_score: 80, scores: {{communication: 50}}}}
""",
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*new-checkout-flag / * / seed 0 failed:",
            "*- overall score * is below the minimum 80",
            "*- communication score * does not satisfy communication>=50",
            "*Stronger:*",
        ]
    )


def test_a_malformed_drill_file_is_a_collection_error(pytester: pytest.Pytester) -> None:
    """Bad fields are reported with file, line and field; nothing runs."""
    pytester.makefile(
        ".drill.yaml", broken="scenario: new-checkout-flag\nseeds: [-1]\nexpect: {speed: 3}\n"
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    out = result.stdout.str()
    assert "broken.drill.yaml line 2: `seeds[0]` must be >= 0 (got -1)" in out
    assert "broken.drill.yaml line 3: `expect.speed` is not a known field" in out
