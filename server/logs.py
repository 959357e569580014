"""What the server's logs may hold: never a query string (a token pasted into a URL).

The protocol refuses a token in the WebSocket URL (it belongs in the hello),
but uvicorn's access and WebSocket log lines print the path with its query
before the app sees it. :class:`RedactQuery` rewrites every path in those
records to keep the path and replace the query with ``?[redacted]``.
"""

from __future__ import annotations

import logging
import re

QUERY = re.compile(r"(/[^\s?\"]*)\?[^\s\"]*")
REDACTED = r"\1?[redacted]"
LOGGERS = ("uvicorn.access", "uvicorn.error")


class RedactQuery(logging.Filter):
    """Replace query strings in a record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                QUERY.sub(REDACTED, a) if isinstance(a, str) else a for a in record.args
            )
        if isinstance(record.msg, str) and "?" in record.msg:
            record.msg = QUERY.sub(REDACTED, record.msg)
        return True


def redact_queries() -> None:
    """Install :class:`RedactQuery` on uvicorn's loggers (once per process)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactQuery) for f in logger.filters):
            logger.addFilter(RedactQuery())
