"""A postmortem refuses human root causes and wishful action items, naming the offending line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from engine.drill import Drill
from engine.errors import AuthorError, ScenarioError
from engine.loader import load_scenario, scenario_from_dict
from engine.postmortem import (
    HumanRootCause,
    WishfulActionItem,
    action_item_problems,
    check_causal_chain,
    check_truth,
    postmortem,
)
from engine.scenario import Scenario
from engine.script import DecisionScript, play
from engine.yamldoc import load_yaml

from .runs import scenario, scenario_ids

HERE = Path(__file__).resolve().parent / "scenarios"


def _load(name: str) -> tuple[Scenario, str]:
    """Built from plain data: from_yaml itself refuses these (see the last test)."""
    path = HERE / f"{name}.yaml"
    return scenario_from_dict(yaml.safe_load(path.read_text()), str(path)), str(path)


def _events(sc: Scenario) -> list:
    drill = Drill(sc, seed=0)
    play(drill, DecisionScript(name="none", steps=[]))
    return drill.log.events


def test_human_root_cause_is_refused() -> None:
    """A chain ending at 'the engineer did not check' raises HumanRootCause naming the line."""
    sc, _ = _load("human-root-cause")
    with pytest.raises(HumanRootCause) as info:
        postmortem(sc, _events(sc))
    assert str(info.value) == (
        "scenario human-root-cause: `truth.causal_chain[2]` the last why stops at a human cause "
        "(a person failing is not a root cause: 'engineer did not') in 'The engineer did not "
        "check the config diff before pushing it.'; a why must end at a systemic cause: the "
        "missing guard, check, default or limit that let a normal action do harm"
    )
    assert isinstance(info.value, ScenarioError) and isinstance(info.value, AuthorError)


def test_refusal_names_file_and_line_given_the_document() -> None:
    """With the YAML document, the problem carries the file and the line of the bad why."""
    sc, path = _load("human-root-cause")
    text = Path(path).read_text()
    doc = load_yaml(text, path, error=ScenarioError)
    line = next(n for n, s in enumerate(text.splitlines(), 1) if "The engineer did not" in s)
    with pytest.raises(HumanRootCause) as info:
        check_truth(sc, doc)
    p = info.value.first
    assert (p.file, p.line, p.path) == (path, line, "truth.causal_chain[2]")


@pytest.mark.parametrize(
    "line",
    [
        "The outage happened because of human error.",
        "The engineer did not check the dashboard before deploying.",
        "The on-call forgot to disable the flag.",
        "A careless config change removed the limit.",
        "The reviewer should have caught the missing null check.",
        "Operator error during the failover.",
        "Someone failed to run the migration check.",
    ],
)
def test_human_causes_are_recognised(line: str) -> None:
    """Each documented human-cause shape is refused wherever it sits in the chain."""
    with pytest.raises(HumanRootCause):
        check_causal_chain(["Checkout failed because the API returned 500.", line])


def test_wishful_action_item_is_refused() -> None:
    """'Be more careful' raises WishfulActionItem naming the item and why."""
    sc, _ = _load("wishful-action-items")
    with pytest.raises(WishfulActionItem) as info:
        postmortem(sc, _events(sc))
    assert str(info.value) == (
        "scenario wishful-action-items: `truth.action_items[1]` action item 'Be more careful "
        "when pushing config' is a wish, not an action item: asks people to be more careful "
        "('Be more careful'); the verification must be observable: a test, drill, replay, "
        "number or refusal that shows it works"
    )


@pytest.mark.parametrize(
    ("title", "verification", "reason"),
    [
        (
            "Be more careful when deploying",
            "Done when a staging deploy is halted by the gate",
            "asks people to be more careful",
        ),
        (
            "Pay more attention to dashboards during rollouts",
            "Done when a drill shows it",
            "asks people to pay attention",
        ),
        (
            "Add more monitoring",
            "Done when the new alert fires in a staging load test",
            "must name the signal",
        ),
        (
            "Improve alerting",
            "Done when the alert fires in a staging load test",
            "must name the signal",
        ),
        (
            "Add more monitoring on consumer lag",
            "Done when the alert fires in staging",
            "must give a threshold",
        ),
        (
            "Add a p99 latency alert for checkout-api",
            "Done when monitoring is improved",
            "must give a threshold",
        ),
        ("Gate rollouts on per-endpoint 5xx", "Done soon", "how we will know it is done"),
    ],
)
def test_wishes_are_recognised(title: str, verification: str, reason: str) -> None:
    """Wishes, signal-less or threshold-less monitoring and untestable verifications fail."""
    problems = action_item_problems(title, verification)
    assert any(reason in p for p in problems), problems


@pytest.mark.parametrize("scenario_id", scenario_ids())
def test_library_truth_is_blameless_and_concrete(scenario_id: str) -> None:
    """Every library scenario's chain stops at a system and its action items are real."""
    check_truth(scenario(scenario_id))


def test_concrete_monitoring_item_passes() -> None:
    """A monitoring item with a signal, a threshold and a test is an action item."""
    assert (
        action_item_problems(
            "Add a lag-growth alert at 20k messages with a runbook link",
            "Done when the alert fires in a staging load test within 2 minutes",
        )
        == []
    )


def test_unknown_template_and_bad_date_are_refused() -> None:
    """Template names and drill dates are validated with what was expected."""
    sc = scenario("checkout-deploy-500s")
    with pytest.raises(
        ValueError, match="unknown postmortem template 'sre'; valid: default, pagerduty, google-sre"
    ):
        postmortem(sc, [], template="sre")
    with pytest.raises(
        ValueError,
        match=r"drill_date must be an ISO date such as 2025-06-01 "
        r"\(got 'next monday'\)",
    ):
        postmortem(sc, [], drill_date="next monday")


def test_loading_a_scenario_with_a_human_root_cause_is_refused() -> None:
    """load_scenario (and so `firedrill validate`) refuses it at load time, with the line."""
    path = HERE / "human-root-cause.yaml"
    with pytest.raises(HumanRootCause) as info:
        load_scenario(path.read_bytes(), str(path))
    assert info.value.first.path == "truth.causal_chain[2]" and info.value.first.line is not None
