"""Request dependencies: the services container and the authenticated principal.

Authorization is not here: every route names the permission it needs through
:func:`gateway.api.authz.require`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gateway.auth.mtls import check_client_certificate
from gateway.auth.tokens import AgencyPrincipal, Principal, token_use
from gateway.errors import GatewayError
from gateway.services import Services


def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


async def _services(request: Request) -> Services:
    """:func:`services` as a dependency, ``async`` because FastAPI runs a plain ``def``
    dependency in the thread pool: a hop to a worker thread and back (about 0.1 ms of
    CPU and a thread wake-up each) to read an attribute."""
    return services(request)


ServicesDep = Annotated[Services, Depends(_services)]


bearer_scheme = HTTPBearer(
    scheme_name="bearer",
    bearerFormat="JWT",
    description=(
        "An Ed25519-signed JWT (EdDSA): an agency official's token signed with the agency's"
        " registered key, or a staff token signed by the gateway. Read-only calls (GET, HEAD)"
        " accept one token until it expires; a state-changing call needs a token never used"
        " before, and spends it."
    ),
    auto_error=False,
)
"""Declares the bearer scheme in the OpenAPI document; the header itself is checked by
:class:`~gateway.auth.tokens.TokenVerifier`, so a missing or malformed one is a 401 problem
document like every other identity failure, not FastAPI's own 403."""


def principal(
    request: Request,
    svc: ServicesDep,
    _declared: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    use = token_use(request.method)
    found = svc.verifier.verify(request.headers.get("authorization"), svc.clock.now(), use)
    if isinstance(found, AgencyPrincipal):  # for the request's log line (api.middleware)
        request.state.agency_id = found.agency.id
    check_client_certificate(found, svc.verifier.registry, request.scope)  # mutual TLS binding
    return found


PrincipalDep = Annotated[Principal, Depends(principal)]
"""Who the caller is; what the caller may do is :mod:`gateway.api.authz`'s question."""


def principal_spending_later(
    request: Request,
    svc: ServicesDep,
    _declared: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """:func:`principal` for the lookup route, whose token is spent with its decision leaf.

    An agency's write token is checked against the replay memory but not recorded
    (``defer_spend``, :mod:`gateway.auth.tokens`): the route must see that it is
    spent on every way out, which it does, and so does this dependency if the
    client certificate refuses the caller.
    """
    use = token_use(request.method)
    now = svc.clock.now()
    found = svc.verifier.verify(request.headers.get("authorization"), now, use, defer_spend=True)
    if isinstance(found, AgencyPrincipal):
        request.state.agency_id = found.agency.id
    try:
        check_client_certificate(found, svc.verifier.registry, request.scope)
    except GatewayError:
        svc.verifier.spend(found)
        raise
    return found


PrincipalSpendingLaterDep = Annotated[Principal, Depends(principal_spending_later)]
