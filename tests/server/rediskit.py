"""A real Redis for tests: the machine's server on 127.0.0.1:6379.

``FIREDRILL_TEST_REDIS`` names it (default ``redis://127.0.0.1:6379/0``). When it
cannot be reached the tests that need it are skipped, except under CI
(``CI=true``), where a missing Redis is a failure: ``.ci/run`` waits for it first.
"""

from __future__ import annotations

import os

import pytest
import redis

URL = os.environ.get("FIREDRILL_TEST_REDIS", "redis://127.0.0.1:6379/0")


def reachable() -> str | None:
    """None if Redis answers, else why not."""
    try:
        redis.Redis.from_url(URL, socket_connect_timeout=3).ping()
    except (redis.RedisError, OSError) as e:
        return str(e).strip().splitlines()[0]
    return None


@pytest.fixture
def redis_url() -> str:
    """The test Redis (channels are named per store schema, so tests do not mix)."""
    why = reachable()
    if why is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is required in CI and is not reachable at {URL}: {why}")
        pytest.skip(f"Redis not reachable at {URL}: {why}")
    return URL
