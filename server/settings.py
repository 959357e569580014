"""Settings of one server process: where it stores drills and the limits it enforces."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

DEFAULT_DB = "var/firedrill.db"


@dataclass(frozen=True, slots=True)
class Limits:
    """Every limit a client can hit; each one answers with an error that names it."""

    drills: int = 200  # live (not ended) drills per process
    clients_per_drill: int = 600
    frame_bytes: int = 64 * 1024  # larger client frames close the socket with 1009
    inputs_per_second: float = 20.0  # token bucket per connection (and per REST token)
    input_burst: int = 40
    queue_frames: int = 256  # frames waiting for one client before it is cut off as too slow
    hello_timeout: float = 5.0
    request_seconds: float = 10.0  # for a whole HTTP request (line, headers, body) to arrive
    connections_per_address: int = 512  # open at once from one client address (at most 1/4 of fds)
    backlog_events: int = 5000  # further behind than this, a reconnecting client gets a snapshot
    chunk_events: int = 200  # events per frame when replaying a backlog


@dataclass(frozen=True, slots=True)
class Backoff:
    """Retrying a failing store: after ``first`` seconds, doubling, at most ``most`` apart."""

    first: float = 0.25
    most: float = 5.0
    log_every: float = 60.0  # seconds between two log lines about one lasting failure


@dataclass(frozen=True, slots=True)
class Settings:
    db: str = DEFAULT_DB  # an SQLite file, or a postgresql:// URL (server/stores.py)
    # A redis:// URL: this server is one worker of a cluster sharing the store (server/cluster.py)
    bus: str | None = None
    # Browser origins allowed besides the server's own host:port, e.g. "http://localhost:5173".
    allowed_origins: tuple[str, ...] = ()
    # Host names (the Host header) this server answers to besides loopback names and IP
    # addresses, e.g. "drills.example.com"; "*" answers to any (see server/hosts.py).
    allowed_hosts: tuple[str, ...] = ()
    # "normal": an acked input survives a crash of the process (WAL, no fsync per input).
    # "full": it also survives a power cut, at the cost of one fsync per input.
    sync: Literal["normal", "full"] = "normal"
    # Where people reach this server (``--public-url``), ending in "/"; join links are built
    # from it. None: from the address each request came to.
    public_url: str | None = None
    min_tick: float = 0.02  # never wake a drill more than 50 times a second
    ended_cache: int = 32  # ended drills kept rebuilt in memory for export
    limits: Limits = field(default_factory=Limits)
    store_retry: Backoff = field(default_factory=Backoff)
