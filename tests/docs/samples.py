"""Sample outputs in the docs, made by running what they show.

A fenced block right after ``<!-- sample: NAME -->`` (or a Markdown table right after
``<!-- table: NAME -->``) holds the output of the sample NAME in
:data:`SAMPLES`: for a ``console`` block, each ``$ command`` line followed by what the command
printed (stdout and stderr, in order). Commands run in a scratch folder where ``scenarios/``,
``tests/`` and ``docs/`` point at the repository, plus every file the same page declares
with ``<!-- file: NAME -->`` before a fenced block (e.g. a script shown in full), and with
this virtualenv's ``firedrill`` first on the PATH (``.venv/bin/`` prefixes work too);
a word with ``*``, ``?`` or ``[`` expands to its matches there, as the shell would. A
``json`` block is real data (a log event, an observation, a grade, a server frame) made in
process and shown by :func:`pretty`; where it is long, its maker cuts it in the way the
page says next to it.

tests/docs/test_samples.py compares; ``.venv/bin/python -m tests.docs.samples`` rewrites
every sample block from fresh output.
"""

from __future__ import annotations

import glob
import itertools
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.loader import scenario_from_dict

from .data_samples import (
    first_sample,
    frame,
    grade_json,
    log_excerpt,
    money_after_harm,
    observation,
    panel_sample,
    welcome_frame,
)

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MARKED = re.compile(r"^<!-- (sample|file): (\S+) -->\n```(\w*)[^\n]*\n(.*?)^```", re.S | re.M)
TABLE = re.compile(r"^<!-- table: (\S+) -->\n((?:\|[^\n]*\n)+)", re.M)  # a Markdown table
LINKED = ("scenarios", "tests", "docs")
HAS_GLOB = re.compile(r"[*?\[]")


@dataclass(frozen=True)
class Sample:
    """One documented output: the page it is on and how to make it again."""

    page: str
    make: Callable[[Path], str]  # given the scratch folder, the block's text


def run(cwd: Path, command: str) -> str:
    """What ``command`` prints (stdout and stderr interleaved), run in ``cwd``."""
    argv = shlex.split(command)
    if argv[0].startswith(".venv/bin/"):
        argv[0] = argv[0].removeprefix(".venv/bin/")
    # a glob expands as the shell would: to its sorted matches, or to itself if none
    argv = [
        m
        for w in argv
        for m in (sorted(glob.glob(w, root_dir=cwd)) if HAS_GLOB.search(w) else [w]) or [w]
    ]
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    env["PYTHONUNBUFFERED"] = "1"  # stdout and stderr in the order they were written
    env.pop("GITHUB_STEP_SUMMARY", None)
    r = subprocess.run(
        argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    return r.stdout


def console(*commands: str, head: int = 0) -> Callable[[Path], str]:
    """A console block: each ``$ command`` and its output (with ``head``, its first
    ``head`` lines and ``...`` for the rest)."""

    def shown(out: str) -> str:
        lines = out.splitlines(keepends=True)
        return "".join(lines[:head]) + "...\n" if head and len(lines) > head else out

    return lambda cwd: "".join(f"$ {c}\n{shown(run(cwd, c))}" for c in commands)


def drill_failure(cwd: Path) -> str:
    """How the pytest plugin reports a drill file whose play misses its thresholds."""
    (cwd / "weak.drill.yaml").write_text(
        "scenario: new-checkout-flag\nscript: tests/reference/new-checkout-flag/weak.yaml\n"
        "seeds: [0]\nexpect: {min_score: 80}\n"
    )
    out = run(cwd, "pytest -q -p no:cacheprovider weak.drill.yaml")
    m = re.search(r"^_{3,} .* _{3,}\n(.*?)\n(?:_{3,}|={3,})", out, re.S | re.M)
    assert m, out
    return m.group(1).strip("\n") + "\n"


def result_json(cwd: Path) -> str:
    """The shape of ``--json``: a real result with the long parts cut to their first keys."""
    run(
        cwd,
        "firedrill run gateway-bad-pod --script tests/reference/gateway-bad-pod/strong.yaml "
        "--min-score 85 --expect mitigation>=70 --must-mitigate --within-par --json r.json",
    )
    doc = json.loads((cwd / "r.json").read_text())
    doc["outcome"] = {k: doc["outcome"][k] for k in list(doc["outcome"])[:5]}
    doc["outcome"]["..."] = "see engine/outcome.py"
    doc["grade"] = {
        "version": doc["grade"]["version"],
        "overall": doc["grade"]["overall"],
        "scores": doc["grade"]["scores"],
        "dimensions": ["... see docs/grading.md ..."],
    }
    return json.dumps(doc, indent=2) + "\n"


def documented_commands(page: str) -> list[list[str]]:
    """The ``firedrill`` command lines of ``page``'s ``sh`` blocks and of the ``$ `` lines
    of its ``console`` blocks as argv (after ``firedrill`` or ``.venv/bin/firedrill``),
    shell variables set earlier in the same block substituted."""
    text = (ROOT / page).read_text(encoding="utf-8")
    out = []
    for lang, body in re.findall(r"^```(\w*)\n(.*?)^```", text, re.S | re.M):
        if lang not in ("sh", "console"):
            continue
        env: dict[str, str] = {}
        for line in body.replace("\\\n", " ").splitlines():
            if lang == "console":
                if not line.startswith("$ "):
                    continue  # what a command printed
                line = line[2:]
            lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
            lexer.whitespace_split = True  # words as bash splits them; > < | & ; stand alone
            words = list(lexer)
            if len(words) == 1 and re.fullmatch(r"[A-Z_]+=\S+", words[0]):
                name, value = words[0].split("=", 1)
                env[name] = value
            elif words[:1] in (["firedrill"], [".venv/bin/firedrill"]):
                argv = list(itertools.takewhile(lambda w: not set(w) <= set("<>|&;"), words[1:]))
                out.append([re.sub(r"\$(\w+)", lambda m, e=env: e[m.group(1)], w) for w in argv])  # type: ignore[misc]
    return out


def serve_banner(page: str) -> Callable[[Path], str]:
    """What the first ``firedrill serve`` command of ``page`` prints once it listens."""

    def make(cwd: Path) -> str:
        from server.cli import main
        from server.cli.listen import local_url
        from server.cli.serve import banner

        argv = next(a for a in documented_commands(page) if a[0] == "serve")
        ctx = main.commands["serve"].make_context("serve", argv[1:])
        p = ctx.params
        return (
            "\n".join(banner(local_url(p["host"], p["port"]), str(p["db"]), p["public_url"])) + "\n"
        )

    return make


def _cells(*cells: object) -> str:
    return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |\n"


def _clock(t: float) -> str:
    return f"{int(t) // 60:02d}:{int(t) % 60:02d}"


def _money(x: float) -> str:
    return f"${x / 1e6:.2f}M" if x >= 1e6 else f"${x / 1e3:.0f}k" if x >= 1e3 else f"${x:.0f}"


LEVELS = ("beginner", "intermediate", "advanced")
PLAYS = ("noop", "strong", "weak", "harmful")


def library_table(cwd: Path) -> str:
    """scenarios/README.md's list of the library, from each scenario file's own fields."""
    from server.files import library, load_scenario

    scs = sorted(
        (load_scenario(p) for p in library()), key=lambda s: (LEVELS.index(s.difficulty), s.id)
    )
    out = (
        _cells("id", "class", "difficulty", "what it teaches", "source") + "|---|---|---|---|---|\n"
    )
    for sc in scs:
        src = f"[{sc.source.title}]({sc.source.url})" if sc.source else "drill design"
        out += _cells(f"`{sc.id}`", sc.scenario_class, sc.difficulty, sc.teaches, src)
    return out


def plays_table(cwd: Path) -> str:
    """scenarios/README.md's figures of the reference plays at seed 0, from the stored
    outcomes (tests/test_library.py holds those equal to a fresh play)."""
    from server.files import library, load_scenario

    out = _cells(
        "id", "page", "strong TTM (par)", "impact: no-op / strong / weak / harmful",
        "grade: no-op / strong / weak / harmful", "the harmful play", "the wrong move",
    )  # fmt: skip
    out += "|---|---|---|---|---|---|---|\n"
    for path in library():
        sc = load_scenario(path)
        runs = {
            p: json.loads((ROOT / "tests/golden" / sc.id / f"{p}.json").read_text()) for p in PLAYS
        }
        o = {p: r["outcome"] for p, r in runs.items()}
        s, h = o["strong"], o["harmful"]
        par = sc.grading.par_mitigate
        harm = [
            "never mitigated"
            if h["mitigated_at"] is None
            else f"mitigated at T+{_clock(h['mitigated_at'])}"
        ]
        harm.append(
            f"peak {h['peak_users_affected_pct']:.0f}% of users (strong {s['peak_users_affected_pct']:.0f}%)"
        )
        harm.append(f"{_money(h['money_lost'])} lost (strong {_money(s['money_lost'])})")
        if h["rows_corrupted"]:
            harm.append(f"{h['rows_corrupted']:,.0f} rows corrupted")
        out += _cells(
            f"`{sc.id}`",
            f"T+{_clock(s['page_at'])}",
            f"{_clock(s['time_to_mitigate'])} ({_clock(par) if par else 'none'})",
            " / ".join(f"{o[p]['impact_minutes']:.2f}" for p in PLAYS),
            " / ".join(str(runs[p]["grade"]["overall"]) for p in PLAYS),
            "; ".join(harm),
            _wrong_move(sc, o["noop"]),
        )
    return out


def _wrong_move(sc: Any, noop: dict[str, Any]) -> str:
    """The wrong-move play at seed 0: what it does (its description up to the colon) and
    how much harm is left (tests/test_library.py holds that it never mitigates)."""
    from engine.drill import Drill
    from engine.outcome import outcome
    from engine.script import DecisionScript, play

    path = ROOT / "tests/reference" / sc.id / "wrong-move.yaml"
    script = DecisionScript.from_yaml(path.read_text(encoding="utf-8"))
    drill = Drill(sc, seed=0)
    play(drill, script)
    out = outcome(sc, drill.log.events)
    what = " ".join(script.description.split()).split(":")[0]
    return (
        f"{what}: impact {out.impact_minutes:.2f} (no-op {noop['impact_minutes']:.2f}), "
        f"{out.final_users_affected_pct:.0f}% of users affected at the end"
    )


def difficulty_rules_table(cwd: Path) -> str:
    """scenarios/README.md's rule of each difficulty level, from engine/difficulty.py."""
    from engine.difficulty import LEVELS as ORDER
    from engine.difficulty import RULES

    def bound(most: int | None) -> str:
        return "any" if most is None else f"at most {most}"

    out = _cells("", *ORDER) + "|---|---|---|---|\n"
    rules = [RULES[lv] for lv in ORDER]
    out += _cells("causes", *(bound(r.max_causes) for r in rules))
    out += _cells("noise alerts", *(bound(r.max_noise_alerts) for r in rules))
    out += _cells("decoys", *(bound(r.max_decoys) for r in rules))
    out += _cells(
        "hard traits",
        *(
            f"{r.min_traits} or more"
            if r.max_traits is None
            else f"{r.min_traits} to {r.max_traits}"
            for r in rules
        ),
    )
    return out


def difficulty_traits_table(cwd: Path) -> str:
    """scenarios/README.md's list of the hard traits, from engine/difficulty.py."""
    from engine.difficulty import TRAITS

    out = _cells("hard trait", "a scenario has it when") + "|---|---|\n"
    for t in TRAITS:
        out += _cells(t.name, t.means)
    return out


def difficulty_table(cwd: Path) -> str:
    """scenarios/README.md's measured difficulty of every scenario at seed 0, from
    engine/difficulty.py (the self-check fails a scenario that breaks its level's rule)."""
    from engine.difficulty import measure
    from engine.script import DecisionScript
    from server.files import library, load_scenario

    scs = sorted(
        (load_scenario(p) for p in library()), key=lambda s: (LEVELS.index(s.difficulty), s.id)
    )
    out = _cells(
        "id", "difficulty", "causes", "alerts: signal / noise", "decoys", "page points at the fix",
        "cascade", "strong moves", "fix holds after", "components", "hard traits",
    )  # fmt: skip
    out += "|---|---|---|---|---|---|---|---|---|---|---|\n"
    for sc in scs:
        path = ROOT / "tests/reference" / sc.id / "strong.yaml"
        p = measure(sc, DecisionScript.from_yaml(path.read_text(encoding="utf-8")))
        out += _cells(
            f"`{sc.id}`",
            sc.difficulty,
            p.causes,
            f"{p.signal_alerts} / {p.noise_alerts}",
            p.decoys,
            "yes" if p.page_points else "no",
            "yes" if p.cascade else "no",
            p.moves,
            _clock(p.recovery) if p.recovery is not None else "never",
            p.components,
            ", ".join(p.traits) or "none",
        )
    return out


def justify_table(cwd: Path) -> str:
    """docs/grading.md's looks that justify each mitigation, from engine/actions.py."""
    from engine.actions import ACTIONS, of_category
    from engine.grading.rubric import LOOK_TARGET

    out = _cells("action", "justified by a look first at") + "|---|---|\n"
    for name in of_category("mitigate"):
        spec = ACTIONS[name]
        looks = [
            f"`{look}` of the {LOOK_TARGET[look]}"
            if same and look in LOOK_TARGET
            else f"any `{look}`"
            for look, same in spec.looks
        ]
        out += _cells(f"`{name}`", ", ".join(looks))
    return out


def refusal(name: str) -> Callable[[Path], str]:
    """What a postmortem of tests/postmortem/scenarios/<name>.yaml is refused with."""

    def make(cwd: Path) -> str:
        import yaml

        from engine.drill import Drill
        from engine.errors import ScenarioError
        from engine.postmortem import postmortem
        from engine.script import DecisionScript, play

        path = ROOT / "tests" / "postmortem" / "scenarios" / f"{name}.yaml"
        sc = scenario_from_dict(yaml.safe_load(path.read_text()), str(path))
        drill = Drill(sc, seed=0)
        play(drill, DecisionScript(name="none", steps=[]))
        try:
            postmortem(sc, drill.log.events)
        except ScenarioError as exc:
            return f"{exc}\n"
        raise AssertionError(f"{name}: the postmortem was not refused")

    return make


def golden_regen(cwd: Path, scenario_id: str = "inngest-pgbouncer-exhaustion") -> str:
    """`python -m tests.golden.regen ID` and what it prints, writing into a scratch copy."""
    from unittest import mock

    from tests.golden import regen

    scratch_golden = cwd / "golden-scratch"
    with mock.patch.object(regen, "GOLDEN", scratch_golden):
        written = regen.regen([scenario_id])
    shown = "".join(f"wrote tests/golden/{p.relative_to(scratch_golden)}\n" for p in written)
    return f"$ .venv/bin/python -m tests.golden.regen {scenario_id}\n{shown}" + (
        "$ .venv/bin/pytest -q tests/test_library.py\n"
    )


Step = dict[str, object] | tuple[dict[str, object], str] | str


def refusals(*steps: Step) -> Callable[[Path], str]:
    """What the engine answers each input of ``steps`` in gateway-bad-pod, one message a line.

    A step is a player's input, an ``(input, role)`` pair, or ``"end"`` (the facilitator
    ends the drill; it answers nothing)."""

    def make(cwd: Path) -> str:
        from engine.drill import Drill
        from engine.errors import FiredrillError
        from server.files import load_scenario

        drill = Drill(load_scenario("gateway-bad-pod"), seed=0)
        drill.advance(10)
        out = ""
        for step in steps:
            if step == "end":
                drill.submit({"type": "end"}, "facilitator", "facilitator")
                continue
            data, role = step if isinstance(step, tuple) else (step, "player")
            assert isinstance(data, dict)
            try:
                drill.submit(dict(data), "alice", role)
            except FiredrillError as exc:
                out += f"{exc}\n"
            else:
                raise AssertionError(f"{data} was accepted")
        return out

    return make


STRONG = "tests/reference/{0}/strong.yaml"
SAMPLES: dict[str, Sample] = {
    "readme-run": Sample(
        "README.md",
        console(
            "firedrill run checkout-deploy-500s --script " + STRONG.format("checkout-deploy-500s")
        ),
    ),
    "ci-drill-failure": Sample("docs/ci.md", drill_failure),
    "tabletop-banner": Sample("docs/tabletop.md", serve_banner("docs/tabletop.md")),
    "scripts-drain": Sample(
        "docs/scripts.md", console(".venv/bin/firedrill run gateway-bad-pod --script drain.yaml")
    ),
    "scripts-refused": Sample(
        "docs/scripts.md",
        console(".venv/bin/firedrill run gateway-bad-pod --script wrong-target.yaml"),
    ),
    "scripts-validate": Sample("docs/scripts.md", console(".venv/bin/firedrill validate bad.yaml")),
    "scripts-blind": Sample(
        "docs/scripts.md",
        console(".venv/bin/firedrill run gateway-bad-pod --script blind-drain.yaml"),
    ),
    "authoring-run": Sample(
        "docs/scenario-authoring.md",
        console(
            ".venv/bin/firedrill run inngest-pgbouncer-exhaustion --script "
            + STRONG.format("inngest-pgbouncer-exhaustion")
            + " --seed 1 --log out.jsonl"
        ),
    ),
    "authoring-check": Sample(
        "docs/scenario-authoring.md",
        console(".venv/bin/firedrill check inngest-pgbouncer-exhaustion"),
    ),
    "ci-result-json": Sample("docs/ci.md", result_json),
    "refusal-human-root-cause": Sample("docs/postmortem.md", refusal("human-root-cause")),
    "refusal-wish": Sample("docs/postmortem.md", refusal("wishful-action-items")),
    "authoring-regen": Sample("docs/scenario-authoring.md", golden_regen),
    "actions-refusals": Sample(
        "docs/actions.md",
        refusals(
            {"type": "restart_everything"},
            {"type": "rollback"},
            {"type": "take_command", "who": "x"},
            {"type": "shed_load", "service": "api-gateway", "pct": 99},
            {"type": "drain_pod", "service": "api-gw", "pod": "p"},
            {"type": "drain_pod", "service": "api-gateway", "pod": "p"},
            {"type": "set_flag", "flag": "x", "enabled": False},
            {"type": "scale", "service": "api-gateway", "pods": 33},
            ({"type": "inject", "id": "x"}, "player"),
            ({"type": "chat", "text": "hi"}, "observer"),
            "end",
            {"type": "chat", "text": "done?"},
        ),
    ),
    "agents-refusals": Sample(
        "docs/agents.md",
        refusals(
            {"type": "drain_pod", "service": "api-gw", "pod": "p"},
            {"type": "drain_pod", "service": "api-gateway"},
            "end",
            {"type": "chat", "text": "done?"},
        ),
    ),
    "library": Sample("scenarios/README.md", library_table),
    "reference-plays": Sample("scenarios/README.md", plays_table),
    "difficulty-rules": Sample("scenarios/README.md", difficulty_rules_table),
    "difficulty-traits": Sample("scenarios/README.md", difficulty_traits_table),
    "difficulty": Sample("scenarios/README.md", difficulty_table),
    "justify": Sample("docs/grading.md", justify_table),
    "grade-json": Sample("docs/grading.md", grade_json),
    "grading-money-after-harm": Sample("docs/grading.md", money_after_harm),
    "metrics-first-sample": Sample("docs/metrics.md", first_sample),
    "metrics-panel": Sample("docs/metrics.md", panel_sample),
    "metrics-log": Sample("docs/metrics.md", log_excerpt),
    "actions-panel": Sample(
        "docs/actions.md",
        observation(
            "loyalty-irreversible-migration", "view_dashboard", panel="loyalty-api/pod", rows=1
        ),
    ),
    "actions-logs": Sample(
        "docs/actions.md", observation("orders-consumer-lag", "read_logs", "weak")
    ),
    "actions-migration": Sample(
        "docs/actions.md", observation("loyalty-irreversible-migration", "check_migration")
    ),
    "actions-queue": Sample("docs/actions.md", observation("orders-consumer-lag", "inspect_queue")),
    "actions-database": Sample(
        "docs/actions.md", observation("inngest-pgbouncer-exhaustion", "inspect_database")
    ),
    "protocol-welcome": Sample("docs/protocol.md", welcome_frame),
    "protocol-events": Sample("docs/protocol.md", frame(lambda x: x.chat_events)),
    "protocol-ack": Sample("docs/protocol.md", frame(lambda x: x.chat_ack)),
    "protocol-duplicate": Sample("docs/protocol.md", frame(lambda x: x.duplicate)),
    "protocol-ping-ack": Sample("docs/protocol.md", frame(lambda x: x.ping_ack)),
    "format-validate-library": Sample(
        "docs/scenario-format.md", console(".venv/bin/firedrill validate scenarios/", head=2)
    ),
    "format-validate-yaml": Sample(
        "docs/scenario-format.md",
        console(".venv/bin/firedrill validate tests/malformed/*.yaml"),
    ),
    "format-validate-schema": Sample(
        "docs/scenario-format.md",
        console(".venv/bin/firedrill validate tests/engine/bad_scenarios/*.yaml"),
    ),
    "scripts-not-run": Sample(
        "docs/scripts.md",
        console(".venv/bin/firedrill run gateway-bad-pod --script late.yaml", head=10),
    ),
    "scripts-never-paged": Sample(
        "docs/scripts.md", console(".venv/bin/firedrill run gateway-bad-pod --script early.yaml")
    ),
}


def pages() -> list[str]:
    """Every page that holds a sample."""
    return sorted({s.page for s in SAMPLES.values()})


def blocks(page: str) -> dict[str, str]:
    """The sample blocks of ``page`` by name, as written."""
    text = (ROOT / page).read_text(encoding="utf-8")
    found = {name: body for kind, name, _, body in MARKED.findall(text) if kind == "sample"}
    return found | dict(TABLE.findall(text))


def scratch(page: str, base: Path) -> Path:
    """A folder to run ``page``'s commands in: the repository's folders and the page's files."""
    for name in LINKED:
        (base / name).symlink_to(ROOT / name, target_is_directory=True)
    text = (ROOT / page).read_text(encoding="utf-8")
    for kind, name, _, body in MARKED.findall(text):
        if kind == "file":
            (base / name).write_text(body, encoding="utf-8")
    return base


def fresh(page: str) -> dict[str, str]:
    """Every sample of ``page`` made anew."""
    with tempfile.TemporaryDirectory() as tmp:
        cwd = scratch(page, Path(tmp))
        return {n: s.make(cwd) for n, s in SAMPLES.items() if s.page == page}


def rewrite(page: str) -> bool:
    """Replace ``page``'s sample blocks with fresh output; True when something changed."""
    path = ROOT / page
    text = path.read_text(encoding="utf-8")
    made = fresh(page)

    def sub(m: re.Match[str]) -> str:
        kind, name, lang, _ = m.groups()
        if kind != "sample":
            return m.group(0)
        return f"<!-- sample: {name} -->\n```{lang}\n{made[name]}```"

    new = MARKED.sub(sub, text)
    new = TABLE.sub(lambda m: f"<!-- table: {m.group(1)} -->\n{made[m.group(1)]}", new)
    path.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":
    for p in pages():
        print(f"{'rewrote' if rewrite(p) else 'unchanged'} {p}")
