"""A built wheel, installed outside the checkout, does what docs/ci.md's workflow does.

One module-scoped virtualenv: the wheel is built from a copy of the sources, installed with
its runtime dependencies (the ``pytest`` extra included) pinned and hash-checked from
requirements.lock, and every command runs from a folder that is not the repository, with
nothing of the checkout on the import path.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
import sys
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from importlib.metadata import requires
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

pytestmark = pytest.mark.install
ROOT = Path(__file__).resolve().parents[2]
SOURCES = ["engine", "server", "agents", "scenarios", "web", "tests/reference"]
LOCKED = re.compile(r"^([A-Za-z0-9._-]+)==", re.M)


def runtime_closure(extras: set[str]) -> set[str]:
    """Names of every package firedrill (with ``extras``) needs at run time, transitively."""
    seen: set[str] = set()
    todo: list[tuple[str, set[str]]] = [("firedrill", extras)]
    while todo:
        name, wanted = todo.pop()
        for text in requires(name) or []:
            req = Requirement(text)
            envs = [{"extra": e} for e in wanted] or [{"extra": ""}]
            if req.marker and not any(req.marker.evaluate(env) for env in envs):
                continue
            key = canonicalize_name(req.name)
            if key not in seen:
                seen.add(key)
                todo.append((req.name, set(req.extras)))
    return seen


def locked_subset(names: set[str]) -> str:
    """The entries of requirements.lock (pins and hashes) for these package names."""
    text = (ROOT / "requirements.lock").read_text()
    starts = [m.start() for m in LOCKED.finditer(text)] + [len(text)]
    blocks = [text[a:b] for a, b in itertools.pairwise(starts)]
    picked = [b for b in blocks if canonicalize_name(LOCKED.match(b).group(1)) in names]  # type: ignore[union-attr]
    assert len(picked) == len(names), sorted(names)
    return "".join(picked)


def copy_sources(src: Path) -> Path:
    """The files a build needs, copied from the checkout (as it is now) into ``src``."""
    for name in SOURCES:
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    (src / "docs").mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md", "docs/actions.md"):
        shutil.copy2(ROOT / name, src / name)
    return src


def locked_venv(base: Path, extras: set[str], build: bool = False) -> Path:
    """A new virtualenv under ``base`` with firedrill's runtime dependencies (and, with
    ``build``, the build backend) installed pinned and hash-checked from requirements.lock."""
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    lock = base / "runtime.lock"
    lock.write_text(locked_subset(runtime_closure(extras) | ({"setuptools"} if build else set())))
    install(venv, "--require-hashes", "-r", str(lock))
    return venv


def install(venv: Path, *args: str) -> None:
    """``pip install --no-deps ARGS`` in ``venv`` (every dependency comes from the lock)."""
    vpip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    r = subprocess.run([*vpip, "install", "--no-deps", *args], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


class Env:
    """The installed virtualenv and a work folder outside the checkout."""

    def __init__(self, venv: Path, work: Path) -> None:
        self.venv, self.work = venv, work
        self.env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        self.env["PATH"] = f"{venv / 'bin'}{os.pathsep}{self.env.get('PATH', '')}"

    def run(self, *cmd: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(cmd),  # found on the PATH above: the virtualenv's first
            cwd=self.work,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Env:
    """firedrill[pytest] from a freshly built wheel in a new virtualenv."""
    base = tmp_path_factory.mktemp("install")
    src = copy_sources(base / "src")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(base / "dist"), str(src)],
        check=True,
        capture_output=True,
    )
    (wheel,) = (base / "dist").glob("firedrill-*.whl")
    venv = locked_venv(base, {"pytest"})
    install(venv, f"firedrill[pytest] @ {wheel.as_uri()}")
    work = base / "project"
    (work / "runbooks").mkdir(parents=True)
    shutil.copy2(
        ROOT / "tests" / "reference" / "orders-consumer-lag" / "strong.yaml",
        work / "runbooks" / "kafka-lag.yaml",
    )
    (work / "runbooks" / "kafka-lag.drill.yaml").write_text(
        "scenario: orders-consumer-lag\nscript: kafka-lag.yaml\nseeds: [0, 1]\n"
        "expect: {min_score: 80, must_mitigate: true, within_par: true}\n"
    )
    return Env(venv, work)


def test_the_data_is_found_inside_the_installed_package(installed: Env) -> None:
    """Library, web client and reference scripts resolve to the virtualenv, not the checkout."""
    r = installed.run(
        "python",
        "-c",
        "from server import assets; print(assets.LIBRARY, assets.WEB, assets.REFERENCE, "
        "assets.DOCS)",
    )
    site = str(installed.venv)
    assert r.returncode == 0, r.stderr
    paths = r.stdout.split()
    assert [p.startswith(site) for p in paths] == [True, True, True, True], paths
    assert [Path(p).name for p in paths] == ["scenarios", "web", "reference", "docs"]
    assert (Path(paths[0]) / "scenario.schema.json").is_file()
    assert [p.name for p in Path(paths[3]).iterdir()] == ["actions.md"]


def test_agents_get_the_action_reference_from_the_installed_package(installed: Env) -> None:
    """`firedrill mcp`'s tool descriptions come from the packaged docs/actions.md."""
    r = installed.run(
        "python",
        "-c",
        "from agents.actions import ACTIONS_DOC, doc_sections; "
        "print(ACTIONS_DOC.is_file(), len(doc_sections()) > 10)",
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["True", "True"]


def workflow_steps() -> list[str]:
    """The shell of each step of docs/ci.md's pasted workflow after the install step."""
    text = (ROOT / "docs" / "ci.md").read_text()
    block = text.split("## A workflow to paste", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    steps = yaml.safe_load(block)["jobs"]["drills"]["steps"]
    runs = [s["run"] for s in steps if "run" in s]
    assert runs[0].startswith('pip install "firedrill[pytest] @ '), runs[0]
    return runs[1:]


def test_the_documented_workflow_runs(installed: Env) -> None:
    """docs/ci.md's workflow steps pass in the virtualenv and write every report they name."""
    for step in workflow_steps():
        r = installed.run("bash", "-euo", "pipefail", "-c", step, timeout=300)
        assert r.returncode == 0, f"{step}\n{r.stdout}\n{r.stderr}"
    out = sorted(p.name for p in (installed.work / "out").iterdir())
    assert out == ["batch.json", "drills.xml", "kafka-lag.json", "kafka-lag.md", "kafka-lag.xml"]
    drills = ET.parse(installed.work / "out" / "drills.xml").getroot()
    assert drills.find("testsuite").attrib["tests"] == "2"  # type: ignore[union-attr]
    assert drills.find("testsuite").attrib["failures"] == "0"  # type: ignore[union-attr]


def test_run_and_validate_speak_from_the_installed_library(installed: Env) -> None:
    """A library id plays without a checkout; validate reads drill files and scripts."""
    r = installed.run("firedrill", "validate", "runbooks/")
    assert (r.returncode, r.stdout) == (
        0,
        "ok: runbooks/kafka-lag.drill.yaml (drill file)\nok: runbooks/kafka-lag.yaml (script)\n",
    ), r.stderr
    r = installed.run("firedrill", "run", "orders-consumer-lag")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("orders-consumer-lag (seed 0) played with no response\n")


def test_check_self_checks_the_shipped_library(installed: Env) -> None:
    """`firedrill check` finds every library scenario and its reference scripts."""
    r = installed.run("firedrill", "check", "--seeds", "0", timeout=300)
    ids = sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines()[-1] == f"all {len(ids)} scenario(s) pass"
    checked = [line.split(":")[0] for line in r.stdout.splitlines() if ": ok (" in line]
    assert checked == ids
    assert "no strong script" not in r.stdout


@pytest.fixture
def served(installed: Env) -> Iterator[str]:
    """`firedrill serve --port 0` from the virtualenv; yields the URL it printed."""
    proc = subprocess.Popen(
        [str(installed.venv / "bin" / "firedrill"), "serve", "--port", "0", "--db", "drills.db"],
        cwd=installed.work,
        env=installed.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        m = re.match(r"firedrill is serving (http://127\.0\.0\.1:(\d+)/) ", line)
        assert m and m.group(2) != "0", line
        yield m.group(1)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()


def test_serve_answers_with_the_client_the_library_and_offline_api_docs(served: str) -> None:
    """/ is the browser client, /api/scenarios lists the library, /docs loads local assets."""
    get = lambda path: urllib.request.urlopen(served + path, timeout=30).read().decode()  # noqa: E731
    assert "<title>firedrill</title>" in get("")
    listed = re.findall(r'"id":"([^"]+)"', get("api/scenarios"))
    assert listed == sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))
    docs = get("docs")
    scripts = re.findall(r'src="([^"]+)"', docs)
    assert scripts == ["/docs-assets/swagger-ui-bundle.js"]
    assert "SwaggerUIBundle" in get(scripts[0].lstrip("/"))


@pytest.fixture(scope="module")
def from_git(tmp_path_factory: pytest.TempPathFactory) -> Env:
    """firedrill installed with ``pip install git+file://...`` from a clone
    (a git repository of the checkout's sources as they are now) into a new virtualenv."""
    base = tmp_path_factory.mktemp("git-install")
    origin = copy_sources(base / "origin")
    git = ["git", "-c", "user.name=firedrill", "-c", "user.email=ci@localhost", "-C"]
    for cmd in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "sources"]):
        subprocess.run([*git, str(origin), *cmd], check=True, capture_output=True)
    clone = base / "clone"
    subprocess.run(
        ["git", "clone", "-q", origin.as_uri(), str(clone)], check=True, capture_output=True
    )
    venv = locked_venv(base, set(), build=True)  # the build backend too: builds offline
    install(venv, "--no-build-isolation", f"git+{clone.as_uri()}")
    work = base / "project"
    work.mkdir()
    return Env(venv, work)


def test_a_git_url_install_runs_the_library(from_git: Env) -> None:
    """From the git URL: data inside the virtualenv, a library id plays, check passes."""
    r = from_git.run("python", "-c", "from server import assets; print(assets.LIBRARY)")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().startswith(str(from_git.venv)), r.stdout
    r = from_git.run(
        "firedrill",
        "run",
        "gateway-bad-pod",
        "--script",
        str(Path(r.stdout.strip()).parent / "reference" / "gateway-bad-pod" / "strong.yaml"),
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("gateway-bad-pod (seed 0) played with gateway-bad-pod strong\n")
    assert "grade: overall 100," in r.stdout, r.stdout
    r = from_git.run("firedrill", "check", "gateway-bad-pod", "--seeds", "0")
    assert (r.returncode, r.stdout.splitlines()[-1]) == (0, "all 1 scenario(s) pass"), r.stdout
