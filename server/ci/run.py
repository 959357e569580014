"""One headless run: scenario x script x seed -> outcome, grade and log."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.drill import Drill
from engine.outcome import Outcome, outcome
from engine.scenario import Scenario
from engine.script import DecisionScript, NotRun, Rejected, play

from ..files import load_scenario, load_script

NO_RESPONSE = DecisionScript(name="no-response", steps=[])


@dataclass
class RunResult:
    scenario: Scenario
    script: DecisionScript
    seed: int
    drill: Drill
    outcome: Outcome
    grade: Any  # engine.grading.Grade
    rejected: list[Rejected] = field(default_factory=list)
    not_run: list[NotRun] = field(default_factory=list)
    scenario_file: str | None = None
    script_file: str | None = None
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def label(self) -> str:
        return f"{self.scenario.id} / {self.script.name} / seed {self.seed}"


def run_one(scenario: Scenario, script: DecisionScript | None, seed: int) -> RunResult:
    from engine.grading import grade

    script = script or NO_RESPONSE
    run = play(Drill(scenario, seed=seed), script)
    events = run.drill.log.events
    return RunResult(
        scenario=scenario,
        script=script,
        seed=seed,
        drill=run.drill,
        outcome=outcome(scenario, events),
        grade=grade(scenario, events),
        rejected=run.rejected,
        not_run=run.not_run,
    )


def run_files(scenario_ref: str, script_path: str | Path | None, seed: int) -> RunResult:
    sc = load_scenario(scenario_ref)
    script = load_script(script_path) if script_path else None
    result = run_one(sc, script, seed)
    result.scenario_file = scenario_ref
    result.script_file = str(script_path) if script_path else None
    return result
