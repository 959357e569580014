"""The FastAPI application: lifespan (open the store, recover drills), routes, error bodies.

Every answer the app gives is JSON with ``{"error", "message"}`` when it is
an error, including a server bug (500 ``internal``) and a failing store
(503 ``storage_unavailable``); requests to a Host the server does not answer
to are refused before any route (server/hosts.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine import __version__
from engine.errors import FiredrillError

from . import probes, routes, ws
from .apidocs import mount_api_docs
from .assets import WEB
from .cluster import join_cluster
from .connections import quiet_accept_failures
from .drills import Drills
from .errors import (
    CannotStart,
    StorageUnavailable,
    TooLarge,
    UnsupportedMediaType,
    error_code,
    http_status,
)
from .gauges import DrillGauges
from .hosts import AllowedHosts
from .library import Library
from .logs import redact_queries
from .settings import Settings
from .store import Store
from .stores import open_store
from .storeurl import describe

log = logging.getLogger("firedrill.server")


def create_app(settings: Settings | None = None, store: Store | None = None) -> FastAPI:
    """The app; it opens (and locks) ``settings.db`` at startup unless given an open ``store``."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        quiet_accept_failures(asyncio.get_running_loop())
        redact_queries()
        where = describe(settings.db)
        try:
            opened = store or open_store(settings.db, settings.sync, settings.bus is not None)
        except StorageUnavailable as exc:
            raise CannotStart(f"cannot start: {where}: {exc}") from exc
        try:
            cluster = await join_cluster(settings.bus, opened) if settings.bus else None
        except BaseException:
            opened.close()
            raise
        drills = Drills(opened, Library(), settings, cluster)
        drills.telemetry.watch(DrillGauges(drills))
        app.state.settings = settings
        app.state.drills = drills
        try:
            recovered = drills.recover()
        except StorageUnavailable as exc:  # serving drills we could not rebuild would lie
            await drills.close()
            opened.close()
            raise CannotStart(
                f"cannot start: recovering drills from {where} failed: {exc}; "
                "repair or free the store, then start again"
            ) from exc
        if recovered:
            log.info("recovered %d drill(s) from %s", len(recovered), describe(settings.db))
        drills.backfill()  # ended drills never graded (a stop mid-grading, an older store)
        drills.heap.tune()  # what start-up built lives as long as the server: freeze it
        drills.start()  # a cluster's worker claims the drills nobody owns
        try:
            yield
        finally:
            await drills.close()
            opened.close()

    app = FastAPI(
        title="firedrill",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,  # served from local files by mount_api_docs, not from a CDN
        redoc_url=None,
        summary="Incident-response drills on a simulated production system.",
        description="REST API of the live server. The WebSocket protocol (`/ws/{drill_id}`) "
        "is specified in docs/protocol.md.",
    )
    app.include_router(routes.router)
    app.include_router(probes.router)
    app.include_router(ws.router)
    app.add_middleware(ws.KeepRawSend)
    app.add_middleware(BodyLimit, limit=settings.limits.frame_bytes)
    app.add_exception_handler(FiredrillError, _firedrill_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _internal_error)
    app.add_middleware(AllowedHosts, allowed=settings.allowed_hosts)
    mount_api_docs(app)
    _web(app)
    _document_errors_truthfully(app)
    return app


DRAIN_BYTES = 16 * 1024 * 1024  # past this, an oversized body's sender may miss its 413


class BodyLimit:
    """Read each HTTP request body up to ``limit`` bytes before the app sees it; refuse more.

    Uvicorn puts no bound on a body, and the framework would read all of it into memory before
    validating; REST bodies are small (an input is capped like a WebSocket frame), so a bigger
    one is refused with 413 as soon as it is declared or, when chunked, as soon as it gets there.
    The rest of such a body is read and thrown away (up to ``DRAIN_BYTES``) before the answer
    goes out: closing a socket with unread data makes the kernel reset it, and the client would
    lose the 413 it was sent.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send, int(declared), True)
            return
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.limit:
                await self._refuse(scope, receive, send, None, more)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # waits for the disconnect, as it would have
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, size: int | None, more: bool
    ) -> None:
        got = f" (got {size})" if size is not None else ""
        drained = 0
        while more and drained <= DRAIN_BYTES:  # kept nowhere; see the class docstring
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            drained += len(message.get("body", b""))
            more = message.get("more_body", False)
        exc = TooLarge(
            f"the request body is over the limit of {self.limit} bytes{got}; "
            "no request of this API needs that much"
        )
        # the rest of the body stays unread, so this connection cannot carry another request
        await _answer(exc, {"Connection": "close"})(scope, receive, send)


def _document_errors_truthfully(app: FastAPI) -> None:
    """Drop the 422 the framework documents for every route with a parameter.

    Its shape (``HTTPValidationError``) is not what this server answers, and a route without a
    body cannot fail validation at all (its only parameter is a string in the path); routes with
    a body document their own 422 (``InvalidBody``), which the framework then leaves alone.
    """
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        fresh = app.openapi_schema is None
        spec = generate()
        if fresh:
            framework = "#/components/schemas/HTTPValidationError"
            for ops in spec["paths"].values():
                for op in ops.values():
                    r422 = op["responses"].get("422", {})
                    if r422.get("content", {}).get("application/json", {}).get("schema") == {
                        "$ref": framework
                    }:
                        del op["responses"]["422"]
            for name in ("HTTPValidationError", "ValidationError"):
                spec.get("components", {}).get("schemas", {}).pop(name, None)
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


def _body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": code, "message": message, **extra}


async def _firedrill_error(request: Request, exc: Exception) -> JSONResponse:
    return _answer(exc)


def _answer(exc: Exception, headers: dict[str, str] | None = None) -> JSONResponse:
    status = http_status(exc)
    if status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
    return JSONResponse(_body(error_code(exc), str(exc)), status_code=status, headers=headers)


async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    """A server bug: still a JSON body (the framework logs the traceback)."""
    return JSONResponse(
        _body("internal", "the server failed on this request; it has been logged"),
        status_code=500,
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errs = list(exc.errors())
    # a body the framework did not parse as JSON because of its content type arrives as bytes
    if any(e.get("loc") == ("body",) and isinstance(e.get("input"), bytes) for e in errs):
        sent = request.headers.get("content-type") or "no content type"
        return _answer(
            UnsupportedMediaType(
                f"send the body as JSON with `Content-Type: application/json` (got {sent})"
            )
        )
    if any(e.get("type") == "json_invalid" for e in errs):
        ctx = next(e.get("ctx", {}) for e in errs if e.get("type") == "json_invalid")
        why = ctx.get("error", "")
        return JSONResponse(
            _body("bad_request", f"the body is not valid JSON ({why}); send a JSON object"),
            status_code=400,
        )
    parts = []
    for e in errs:
        loc = ".".join(str(p) for p in e.get("loc", ()))
        if e.get("type") == "missing":
            parts.append(f"`{loc}` is required")
        elif e.get("type") == "extra_forbidden":
            parts.append(f"`{loc}` is not a field of this request")
        else:
            got = repr(e.get("input"))
            got = got if len(got) <= 60 else got[:57] + "..."
            parts.append(f"`{loc}`: {e.get('msg', 'invalid')} (got {got})")
    detail = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in errs]
    return JSONResponse(_body("invalid_request", "; ".join(parts), detail=detail), status_code=422)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}.get(
        exc.status_code, "http_error"
    )
    message = str(exc.detail)
    if exc.status_code == 404:
        message = f"no route {request.method} {request.url.path}; the API is described at /docs"
    elif exc.status_code == 400 and exc.__cause__ is not None:
        # the framework could not even decode the body (e.g. bytes that are not UTF-8)
        message = f"the body is not valid JSON ({exc.__cause__}); send a JSON object in UTF-8"
    return JSONResponse(_body(code, message), status_code=exc.status_code, headers=exc.headers)


def _web(app: FastAPI) -> None:
    """Serve the browser client when it is there; otherwise point at the API docs."""
    index = WEB / "index.html"

    @app.get("/", include_in_schema=False)
    @app.get("/drills/{drill_id}/{page}", include_in_schema=False)
    async def page() -> Any:
        if index.exists():
            return FileResponse(index)
        return HTMLResponse(
            "<!doctype html><title>firedrill</title><h1>firedrill server</h1>"
            "<p>The browser client is not installed; the API is at <a href='/docs'>/docs</a>.</p>"
        )

    if index.exists():
        from fastapi.staticfiles import StaticFiles

        app.mount("/static", StaticFiles(directory=WEB), name="web")
