"""Packaging that pyproject.toml cannot say alone: the data folders mapped into the wheel.

The scenario library, the web client and the reference scripts stay at the top of the
repository (scenarios/, web/, tests/reference/); a built wheel carries them as
server/_data/<name>/, where server/assets.py finds them through importlib.resources.
"""

from setuptools import find_packages, setup

DATA = {
    "server._data.scenarios": "scenarios",
    "server._data.web": "web",
    "server._data.reference": "tests/reference",
    "server._data.docs": "docs",
}
FILES = {
    "server._data.scenarios": ["*.yaml", "*.json", "*.md"],
    "server._data.web": ["**/*"],
    "server._data.reference": ["**/*.yaml"],
    "server._data.docs": ["actions.md"],  # the action reference agents are handed
}

setup(
    packages=[
        *find_packages(include=["engine", "engine.*", "server", "server.*", "agents", "agents.*"]),
        *DATA,
    ],
    package_dir=DATA,
    package_data={"engine": ["py.typed"], "server": ["py.typed"], **FILES},
)
