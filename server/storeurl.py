"""Store targets as the command line names them: an SQLite path or a database URL."""

from __future__ import annotations

from urllib.parse import urlsplit

SCHEMES = ("postgresql", "postgres")


def is_postgres_url(target: str) -> bool:
    """Whether a ``--store`` target names PostgreSQL rather than an SQLite file."""
    return target.partition("://")[0] in SCHEMES and "://" in target


def describe(target: str) -> str:
    """The target as it may be printed or logged: a URL loses its password and query."""
    if "://" not in target:
        return target
    parts = urlsplit(target)
    host = parts.hostname or "localhost"
    user = f"{parts.username}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{user}{host}{port}{parts.path}"
