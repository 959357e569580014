"""Certificates and credentials that expire.

An expired certificate is a cause every pod presenting it shares, so it sits
on the fleet (``ServiceState.shared``), not on a pod: a restart, a rollback to
older code or a scale-out brings pods that present the same expired
certificate. Only rotating it helps, once the new one is issued and every pod
has reloaded it (``certificates[].rotate``). Renewing before the expiry
prevents the outage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..inputs import Input, RotateCertificate
from ..world.service import Shared
from .base import Ctx, Mechanic, Plan

if TYPE_CHECKING:
    from ..scenario import CertExpiryFault, Certificate


def _cert(ctx: Ctx, name: str) -> Certificate:
    certs = {c.name: c for c in ctx.scenario.topology.certificates}
    return ctx.need("certificate", name, certs)


def expire(ctx: Ctx, fault: CertExpiryFault, key: str) -> dict[str, Any]:
    """The certificate expires: every pod of its services fails the handshakes it serves."""
    cert = _cert(ctx, fault.certificate)
    if cert.name in ctx.world.rotated:
        return {"certificate": cert.name, "prevented": "renewed before it expired"}
    for name in cert.services:
        svc = ctx.world.services[name]
        eps: tuple[int, ...] | None = None
        if cert.dependency is not None:
            eps = tuple(
                i for i, e in enumerate(svc.spec.endpoints) if cert.dependency in e.call_names
            )
            hop = f"call to {cert.dependency}"
        else:
            hop = "inbound connection"
        log = fault.log or (
            f"ERROR {hop} failed: remote error: tls: bad certificate "
            f"(x509: certificate '{cert.name}' has expired)"
        )
        svc.shared[key] = Shared(fault.error_pct, 0.0, log, eps)
        svc.invalidate()
    ctx.world.cert_faults.setdefault(cert.name, []).append(key)
    return {"certificate": cert.name, "services": list(cert.services)}


def clear(ctx: Ctx, fault: CertExpiryFault, key: str) -> None:
    """The expired certificate is gone from every pod."""
    cert = _cert(ctx, fault.certificate)
    for name in cert.services:
        svc = ctx.world.services[name]
        if svc.shared.pop(key, None) is not None:
            svc.invalidate()


def rotate(ctx: Ctx, inp: Input) -> Plan:
    """Lever ``rotate_certificate``: issue a new one; pods reload it after ``rotate`` s."""
    assert isinstance(inp, RotateCertificate)
    cert = _cert(ctx, inp.certificate)

    def plan(seq: int) -> None:
        ctx.effect(seq, cert.name, "certificate rotation started", ready_in_s=cert.rotate)

        def done() -> None:
            ctx.world.rotated.add(cert.name)
            cleared = []
            for name in cert.services:
                svc = ctx.world.services[name]
                for key in [k for k in svc.shared if k in ctx.world.cert_faults.get(cert.name, ())]:
                    del svc.shared[key]
                    svc.invalidate()
                    if key not in cleared:
                        cleared.append(key)
            for key in cleared:
                ctx.fault_ended(key)
            ctx.effect(
                seq,
                cert.name,
                "certificate rotated; pods reloaded it",
                services=list(cert.services),
            )

        ctx.later(cert.rotate, done)

    return plan


MECHANIC = Mechanic(
    name="certificates",
    faults={"cert_expiry": expire},
    ends={"cert_expiry": clear},
    levers={"rotate_certificate": rotate},
    says={"rotate_certificate": lambda d: f"rotated certificate {d.get('certificate')}"},
    tells={"cert_expiry": lambda f: f"Certificate {f.certificate} expired"},
)
