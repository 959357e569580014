"""A real PostgreSQL for tests: the machine's server on 127.0.0.1, one schema per test.

``FIREDRILL_TEST_POSTGRES`` names the database (default: the local ``test`` database).
When it cannot be reached the tests that need it are skipped, except under CI
(``CI=true``), where a missing database is a failure: ``.ci/run`` waits for it first.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

URL = os.environ.get("FIREDRILL_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def reachable() -> str | None:
    """None if the test database answers, else why not."""
    try:
        with psycopg.connect(URL, connect_timeout=3) as db:
            db.execute("SELECT 1")
    except psycopg.Error as e:
        return str(e).strip().splitlines()[0]
    return None


def schema_url(schema: str) -> str:
    sep = "&" if "?" in URL else "?"
    return f"{URL}{sep}schema={schema}"


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh, empty schema in the test database, dropped afterwards."""
    why = reachable()
    if why is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI and is not reachable at {URL}: {why}")
        pytest.skip(f"PostgreSQL not reachable at {URL}: {why}")
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield name
    with psycopg.connect(URL, autocommit=True) as db:
        db.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))
