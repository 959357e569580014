"""Malformed scenario files: each gets one exact, located error."""

from pathlib import Path

import pytest

from engine.errors import ScenarioError
from engine.loader import load_scenario, scenario_from_dict

BAD = Path(__file__).parent / "bad_scenarios"

EXPECTED = {
    "bad_class": "line 8: `class` must be one of 'deploy-error-spike', 'irreversible-migration', "
    "'consumer-lag', 'bad-pod', 'dependency-failure', 'feature-flag', 'certificate-expiry', "
    "'config-push', 'retry-storm', 'regional-outage', 'autoscaling-loop', 'cache-stampede', "
    "'resource-exhaustion', 'service-discovery', 'rate-limit', 'data-integrity', 'shared-fate', "
    "'multi-fault', 'real-incident' (got 'flag-thing')",
    "bad_duration": "line 12: `duration` must be a duration such as 90, '90s' or '2m' (got 'thirty minutes')",
    "bad_fault_kind": "line 48: `faults[0].kind` must be one of 'deploy', 'config_push', 'pod_failure', "
    "'dependency', 'flag_flip', 'poison', 'db_blocker', 'cert_expiry', 'config_rollout', 'quota_cut', 'cache_flush', 'dns_failure', 'resource_leak', 'traffic_surge', 'tool_outage' (got 'flag_flop')",
    "bad_pct": "line 30: `topology.services[0].versions[1].effects[0].error_pct` must be <= 100 (got 142)",
    "endpoint_typo_in_effect": "line 28: `topology.services[0].versions[1].effects[0].endpoint` names an "
    "unknown endpoint 'POST /checkuot' of storefront (known: POST /checkout, GET /product, GET /cart)",
    "inject_both_at_and_when": "line 64: `injects[1]` needs exactly one of `at` or `when`",
    "inject_unknown_alert": "line 58: `injects[0].when.alert` names an unknown alert 'NoSuchAlert' "
    "(known: CheckoutSuccessDrop, StorefrontErrors)",
    "missing_truth": "line 2: `truth` is required",
    "negative_fault_time": "line 49: `faults[0].at` must be within the drill, 0 to 1800s (got -300)",
    "shares_not_one": "line 34: `topology.services[0].endpoints` endpoint shares must add up to 1.0 (got 1.1)",
    "unknown_alert_metric": "line 55: `alerts[1].metric` names an unknown metric 'storefront.errors' "
    "(did you mean: storefront.cpu_pct, storefront.err_4xx_pct, storefront.err_5xx_pct, "
    "storefront.healthy_pods, storefront.p50_ms, storefront.p99_ms, storefront.pods, "
    "storefront.restarts, storefront.rps, storefront.worker_busy_pct?)",
    "unknown_field": "line 10: `dificulty` is not a known field; expected one of: id, title, summary, "
    "class, difficulty, teaches, symptom, audience, tags, source, duration, tick, sample_every, slo, traffic, topology, "
    "changes, faults, alerts, injects, experts, logs, truth, grading, responders, choices (did you mean `difficulty`?)",
    "unknown_flag_ref": "line 51: `faults[0].flag` names an unknown flag 'one-page-chekout' "
    "(known: one-page-checkout, recommendations-v3)",
    "yaml_bool_key": "line 49: `faults[0]` key `on` is read by YAML 1.1 as a boolean; "
    "quote it or use another name",
}


def test_every_bad_file_has_an_expectation() -> None:
    """Each malformed scenario on disk is covered by an exact expectation."""
    assert sorted(p.stem for p in BAD.glob("*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_malformed_scenario_error_names_file_line_and_field(name: str) -> None:
    """The first problem reported names the file, the line and the field, expected and got."""
    path = BAD / f"{name}.yaml"
    with pytest.raises(ScenarioError) as info:
        load_scenario(path.read_bytes(), str(path))
    assert str(info.value.problems[0]) == f"{path} {EXPECTED[name]}"


def test_missing_field_and_typo_are_both_reported() -> None:
    """A misspelt required key yields the missing field and the unknown one, with a suggestion."""
    path = BAD / "missing_truth.yaml"
    with pytest.raises(ScenarioError) as info:
        load_scenario(path.read_bytes(), str(path))
    assert [p.path for p in info.value.problems] == ["truth", "truth_"]
    assert "did you mean `truth`?" in info.value.problems[1].message


def test_from_dict_reports_paths_without_lines() -> None:
    """Built from plain data (no YAML), errors still name the field path."""
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict({"id": "x"}, "inline")
    first = info.value.problems[0]
    assert (first.file, first.line, first.path) == ("inline", None, "title")
