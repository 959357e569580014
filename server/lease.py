"""Which worker owns a drill: one PostgreSQL advisory lock per drill, held by its owner.

A lease is a session-level advisory lock ``(space, key(drill_id))`` taken on this
worker's own connection. PostgreSQL releases it when that connection ends, and
a worker killed with SIGKILL loses its connection at once (the kernel closes the
socket), so its drills are free within the next claim round of another worker
(server/drills.py, every :data:`CLAIM_EVERY` seconds). A worker that loses its
own connection (the database restarted) loses every lease with it; it notices on
its next round (:meth:`Leases.mine` fails or no longer lists a drill) and stops
running those drills' clocks before anyone else can have taken them for long.

``space`` is derived from the store's schema, so installations sharing one
database do not contend; two drill ids whose CRC-32 collide share one lock
(one worker then owns both: harmless, merely less spread).
"""

from __future__ import annotations

import logging
import zlib
from typing import Any

from .storeurl import describe

log = logging.getLogger("firedrill.server")
CLAIM_EVERY = 1.0  # seconds between two rounds of looking for drills without an owner


class LeaseLost(RuntimeError):
    """The lease connection failed: every lease this worker held is gone with it."""


def _int4(value: int) -> int:
    """An unsigned 32-bit value as the signed int4 the lock functions take."""
    return value - 2**32 if value >= 2**31 else value


def key(drill_id: str) -> int:
    """The lock key of one drill, as ``pg_locks.objid`` shows it (unsigned)."""
    return zlib.crc32(drill_id.encode())


class Leases:
    """This worker's leases, on a connection of their own (``url``, ``schema`` as the store's)."""

    def __init__(self, url: str, schema: str | None) -> None:
        self.url = url
        self.space = zlib.crc32(f"firedrill-lease:{schema or ''}".encode())
        self.db = self._connect()

    def _connect(self) -> Any:
        import psycopg  # the postgres extra; leases exist only beside a PostgreSQL store

        try:
            return psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        except psycopg.Error as e:
            raise RuntimeError(
                f"cannot connect to PostgreSQL ({describe(self.url)}): {e}"
            ) from None

    def reconnect(self) -> None:
        """A new connection (holding nothing) after the old one failed; errors are logged."""
        try:
            self.db.close()
            self.db = self._connect()
        except RuntimeError as exc:
            log.error("%s; trying again next round", exc)

    def take(self, drill_id: str) -> bool:
        """Take the lease of ``drill_id`` if nobody holds it; True if this worker has it now."""
        row = self.db.execute(
            "SELECT pg_try_advisory_lock(%s, %s)", (_int4(self.space), _int4(key(drill_id)))
        ).fetchone()
        return bool(row and row[0])

    def release(self, drill_id: str) -> None:
        """Give the lease of ``drill_id`` back (the drill ended, or this worker stops)."""
        self.db.execute(
            "SELECT pg_advisory_unlock(%s, %s)", (_int4(self.space), _int4(key(drill_id)))
        )

    def held(self) -> tuple[set[int], set[int]]:
        """(keys held by any worker, keys held by this one). Raises :class:`LeaseLost` when
        the connection is gone, in which case this worker holds nothing any more."""
        import psycopg

        try:
            rows = self._held()
        except psycopg.Error as exc:
            raise LeaseLost(str(exc).strip()) from exc
        return {int(r[0]) for r in rows}, {int(r[0]) for r in rows if r[1]}

    def _held(self) -> list[Any]:
        return self.db.execute(  # type: ignore[no-any-return]
            "SELECT objid::int8, pid = pg_backend_pid() FROM pg_locks "
            "WHERE locktype = 'advisory' AND objsubid = 2 AND granted AND classid::int8 = %s "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            (self.space,),
        ).fetchall()

    def close(self) -> None:
        """Close the connection: every lease of this worker is released with it."""
        self.db.close()
