"""The FastAPI application: lifespan (open the store, recover drills), routes, error bodies."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from engine import __version__
from engine.errors import FiredrillError

from . import routes, ws
from .drills import Drills
from .errors import error_code, http_status
from .library import Library
from .settings import Settings
from .store import SqliteStore

log = logging.getLogger("firedrill.server")
WEB = Path(__file__).resolve().parent.parent / "web"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = SqliteStore(settings.db, settings.sync)
        drills = Drills(store, Library(), settings)
        app.state.settings = settings
        app.state.drills = drills
        recovered = drills.recover()
        if recovered:
            log.info("recovered %d drill(s) from %s", len(recovered), settings.db)
        try:
            yield
        finally:
            await drills.close()
            store.close()

    app = FastAPI(
        title="firedrill", version=__version__, lifespan=lifespan,
        summary="Incident-response drills on a simulated production system.",
        description="REST API of the live server. The WebSocket protocol (`/ws/{drill_id}`) "
        "is specified in docs/protocol.md.",
    )
    app.include_router(routes.router)
    app.include_router(ws.router)
    app.add_middleware(ws.KeepRawSend)
    app.add_exception_handler(FiredrillError, _firedrill_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    _web(app)
    return app


def _body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": code, "message": message, **extra}


async def _firedrill_error(request: Request, exc: Exception) -> JSONResponse:
    status = http_status(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(_body(error_code(exc), str(exc)), status_code=status, headers=headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errs = list(exc.errors())
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
    return JSONResponse(
        _body("invalid_request", "; ".join(parts), detail=detail), status_code=422
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    message = str(exc.detail)
    if exc.status_code == 404:
        message = f"no route {request.method} {request.url.path}; the API is described at /docs"
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
