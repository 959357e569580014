"""Which store a server opens: an SQLite file (the embedded default) or PostgreSQL.

PostgreSQL support is the ``postgres`` extra (``pip install 'firedrill[postgres]'``);
nothing here imports its driver until a ``postgresql://`` target is opened.
"""

from __future__ import annotations

from typing import Literal

from .store import SqliteStore, Store
from .storeurl import is_postgres_url


def open_store(
    target: str, sync: Literal["normal", "full"] = "normal", cluster: bool = False
) -> Store:
    """Open the store ``target`` names: a ``postgresql://`` URL, else an SQLite file path.

    ``sync``: "full" waits for each write to reach the disk (SQLite's fsync, PostgreSQL's
    WAL flush); "normal" only survives a crash of this process.
    ``cluster``: this server is one worker of several sharing the store (PostgreSQL only).
    Raises :class:`RuntimeError` with the reason when the store cannot be opened.
    """
    if "://" in target and not is_postgres_url(target):
        scheme = target.partition("://")[0]
        raise RuntimeError(
            f"unsupported store {scheme}://...; expected an SQLite file or a postgresql:// URL"
        )
    if is_postgres_url(target):
        try:
            from .store_pg import PostgresStore
        except ImportError:  # the driver is an extra
            raise RuntimeError(
                "a postgresql:// store needs the PostgreSQL driver: "
                "pip install 'firedrill[postgres]'"
            ) from None
        return PostgresStore(target, cluster=cluster, sync=sync)
    if cluster:
        raise RuntimeError("workers share drills through PostgreSQL: give --store postgresql://...")
    return SqliteStore(target, sync)
