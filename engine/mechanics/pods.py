"""Pod helpers mechanics share (not a mechanic): bring a pod into rotation later."""

from __future__ import annotations

from ..world.service import ServiceState
from .base import Ctx


def bring_up(ctx: Ctx, svc: ServiceState, name: str, delay: float) -> None:
    """Pod ``name`` of ``svc`` passes its readiness check after ``delay`` (if still starting)."""

    def run() -> None:
        pod = svc.pod(name)
        if pod is not None and pod.state == "starting":
            pod.state = "running"

    ctx.later(delay, run)


def add_pods(ctx: Ctx, svc: ServiceState, n: int) -> None:
    """Add ``n`` pods of the current version; each serves after the service's ``scale_up``."""
    for _ in range(n):
        pod = svc.add_pod(svc.current_version, state="starting")
        bring_up(ctx, svc, pod.name, svc.spec.scale_up)
