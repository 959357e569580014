"""engine/ is sans-I/O: no event loop, web framework, sockets, wall clock or global random."""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "engine"
FORBIDDEN_MODULES = {
    "asyncio",
    "fastapi",
    "starlette",
    "websockets",
    "uvicorn",
    "socket",
    "time",
    "threading",
    "subprocess",
    "server",
    "http",
    "urllib",
    "requests",
    "httpx",
    "sqlite3",
    "pathlib",
    "os",
}
FORBIDDEN_CALLS = {"open", "input", "print"}
FORBIDDEN_ATTRS = {
    ("random", "random"),
    ("random", "seed"),
    ("random", "choice"),
    ("random", "randint"),
    ("random", "uniform"),
    ("random", "shuffle"),
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("date", "today"),
}


def violations(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] in FORBIDDEN_MODULES]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] in FORBIDDEN_MODULES:
                found.append(node.module)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in FORBIDDEN_CALLS:
                found.append(f"{node.func.id}()")
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and (node.value.id, node.attr) in FORBIDDEN_ATTRS
        ):
            found.append(f"{node.value.id}.{node.attr}")
    return found


def test_engine_modules_do_no_io() -> None:
    """Every engine module is free of forbidden imports and calls."""
    files = sorted(ENGINE.rglob("*.py"))
    assert len(files) > 10
    bad = {str(f.relative_to(ENGINE)): v for f in files if (v := violations(f.read_text()))}
    assert bad == {}


def test_the_checker_catches_each_kind_of_violation() -> None:
    """The AST walk flags imports, I/O calls and global randomness."""
    src = "import asyncio\nfrom fastapi import X\nimport random\nrandom.random()\nopen('x')\n"
    assert sorted(violations(src)) == ["asyncio", "fastapi", "open()", "random.random"]
