"""Where the data firedrill ships lives: the scenario library (with its JSON Schema), the web
client and the reference scripts the library self-check plays.

In the repository they are the top-level ``scenarios/``, ``web/`` and ``tests/reference/``
folders. A built wheel carries copies inside this package, under ``server/_data/`` (the
``package-dir`` mapping in pyproject.toml), found here through :mod:`importlib.resources`.
The packaged copy wins when it is there; otherwise (a checkout, an editable install) the
repository folders are used.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent


def _locate(packaged: str, checkout: str) -> Path:
    inside = resources.files(__package__ or "server").joinpath("_data", packaged)
    # pip installs wheels unpacked, so the packaged folder is a real directory
    if isinstance(inside, Path) and inside.is_dir():
        return inside
    return CHECKOUT / checkout


LIBRARY = _locate("scenarios", "scenarios")
"""The scenario library: ``<id>.yaml`` files and ``scenario.schema.json``."""
WEB = _locate("web", "web")
"""The browser client (``index.html`` and its assets)."""
REFERENCE = _locate("reference", "tests/reference")
"""Reference decision scripts: ``<scenario-id>/strong|weak|harmful.yaml``."""
DOCS = _locate("docs", "docs")
"""The docs agents are handed (``actions.md``); a wheel carries only those."""
