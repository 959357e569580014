"""Server errors, and the one place that maps every error family to HTTP and WebSocket terms.

The server adds a few families to the engine's tree (see engine/errors.py)::

    FiredrillError
    ├── AuthorError                        422 invalid_scenario
    ├── PlayerError (.code)                422; NotAllowed 409
    ├── DrillStateError                    409 drill_state (IllegalTransition, NotRunning)
    └── ServerError
        ├── BadRequest                     400 bad_frame / bad_request
        ├── Invalid                        422 invalid_request
        ├── Unauthorized                   401 unauthorized
        ├── Forbidden                      403 forbidden
        ├── NotFound                       404 not_found
        ├── Conflict                       409 conflict
        │   └── DuplicateFrame             409 duplicate_frame
        ├── TooLarge                       413 too_large
        ├── UnsupportedMediaType           415 unsupported_media_type
        ├── RateLimited                    429 rate_limited
        ├── LimitReached                   503 limit_reached
        ├── OwnerUnavailable               503 owner_unavailable
        ├── Forwarded                      the owner's status and code
        └── StorageUnavailable             503 storage_unavailable

Errors answering one client frame become an ``error`` frame carrying the
same ``code``; errors about the connection itself close it with a code from
:data:`CLOSE`.
"""

from __future__ import annotations

from engine.errors import (
    AuthorError,
    DrillStateError,
    FiredrillError,
    NotAllowed,
    PlayerError,
)


class ServerError(FiredrillError):
    code = "server_error"


class BadRequest(ServerError):
    code = "bad_request"


class BadFrame(BadRequest):
    """A client frame that is not JSON, not an object, or not a known frame."""

    code = "bad_frame"

    def __init__(self, message: str, frame_id: str | None = None) -> None:
        super().__init__(message)
        self.frame_id = frame_id  # echoed in the error frame when the frame had a usable id


class Invalid(ServerError):
    """A well-formed request whose values do not fit together (422)."""

    code = "invalid_request"


class Unauthorized(ServerError):
    code = "unauthorized"


class Forbidden(ServerError):
    code = "forbidden"


class NotFound(ServerError):
    code = "not_found"


class Conflict(ServerError):
    code = "conflict"


class DuplicateFrame(Conflict):
    """A frame id this sender already used for an applied input: refused, not applied twice."""

    code = "duplicate_frame"

    def __init__(self, message: str, seq: int) -> None:
        super().__init__(message)
        self.seq = seq  # the seq the first copy was applied as (sent in the error frame)


class TooLarge(ServerError):
    """A request body over the limit (the WebSocket frame limit; no REST body needs more)."""

    code = "too_large"


class UnsupportedMediaType(ServerError):
    """A body sent as something other than JSON (form data, text, no content type)."""

    code = "unsupported_media_type"


class RateLimited(ServerError):
    code = "rate_limited"


class LimitReached(ServerError):
    code = "limit_reached"


class StorageUnavailable(ServerError):
    """The drill store could not be written (or read): nothing was stored, nothing applied."""

    code = "storage_unavailable"


class CannotStart(ServerError):
    """The server cannot start serving (its store failed while opening or recovering drills)."""

    code = "cannot_start"


class StoreLocked(ServerError):
    """Another server holds the store: a second one on the same file would fight over drills."""

    code = "store_locked"


class Forwarded(ServerError):
    """An error the drill's owner (another worker) answered a forwarded input with.

    It keeps the owner's code and HTTP status, so the client cannot tell which worker
    applied its input; ``seq`` is kept for a ``duplicate_frame``.
    """

    def __init__(self, code: str, status: int, message: str, seq: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.seq = seq


class OwnerUnavailable(ServerError):
    """No worker answered for the drill in time (it is failing over): nothing was acked."""

    code = "owner_unavailable"


# Most specific first: the first isinstance match wins.
HTTP_STATUS: tuple[tuple[type[Exception], int], ...] = (
    (BadRequest, 400),
    (Unauthorized, 401),
    (Forbidden, 403),
    (NotAllowed, 409),  # legal action, illegal in this state of the world
    (NotFound, 404),
    (Conflict, 409),
    (DrillStateError, 409),
    (TooLarge, 413),
    (UnsupportedMediaType, 415),
    (PlayerError, 422),
    (Invalid, 422),
    (AuthorError, 422),
    (RateLimited, 429),
    (LimitReached, 503),
    (StorageUnavailable, 503),
    (OwnerUnavailable, 503),
)

# WebSocket close codes (4000-4999 are ours; 1xxx are RFC 6455's).
CLOSE: dict[str, int] = {
    "going_away": 1001,  # the server is shutting down; reconnect later
    "storage_unavailable": 1011,  # the drill store could not be read; reconnect later
    "too_big": 1009,  # a frame over the size limit
    "limit_reached": 1013,  # too many clients on this drill; try again later
    "bad_hello": 4000,  # the first frame was not a valid hello
    "unauthorized": 4001,  # the hello's token is not valid for this drill
    "hello_timeout": 4002,  # no hello within the time limit
    "too_slow": 4008,  # the client did not read its frames fast enough
}


def http_status(exc: Exception) -> int:
    if isinstance(exc, Forwarded):
        return exc.status
    for cls, status in HTTP_STATUS:
        if isinstance(exc, cls):
            return status
    return 500


def error_code(exc: Exception) -> str:
    """The machine-readable code clients branch on (also used in error frames)."""
    if isinstance(exc, AuthorError):
        return "invalid_scenario"
    code = getattr(exc, "code", None)
    if isinstance(code, str):
        return code
    if isinstance(exc, DrillStateError):
        return "drill_state"
    return "internal"
