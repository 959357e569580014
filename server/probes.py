"""Probes and metrics for operators: ``/healthz``, ``/readyz``, ``/metrics``.

Outside ``/api`` and outside the OpenAPI schema, where load balancers, orchestrators and
Prometheus expect them. ``/api/health`` stays the detailed view for people.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from engine import __version__

from .drills import Drills
from .gauges import readiness

router = APIRouter(include_in_schema=False)


def _drills(request: Request) -> Drills:
    return request.app.state.drills  # type: ignore[no-any-return]


@router.get("/healthz")
async def healthz() -> dict[str, Any]:
    """200 while the process answers (its event loop runs); the store is not asked, so a
    store outage does not get a worker restarted that is keeping drills paused safely."""
    return {"status": "ok", "version": __version__}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """200 when this process should get traffic; 503 with every reason when it should not
    (the store refuses writes, the bus is down, the server is shutting down)."""
    drills = _drills(request)
    ready = readiness(drills, lambda: drills.closing)
    body = {"status": "ready" if ready.ready else "not_ready", "reasons": list(ready.reasons)}
    return JSONResponse(body, 200 if ready.ready else 503)


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Prometheus text format: drills, clients, pacing, replies, store and bus latency."""
    return Response(_drills(request).telemetry.render(), media_type=CONTENT_TYPE_LATEST)
