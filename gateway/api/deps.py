"""Request dependencies: the services container and the authenticated principal."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from gateway.auth.tokens import AgencyPrincipal, Principal
from gateway.errors import ForbiddenError
from gateway.services import Services


def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


ServicesDep = Annotated[Services, Depends(services)]


def principal(svc: ServicesDep, authorization: Annotated[str | None, Header()] = None) -> Principal:
    return svc.verifier.verify(authorization, svc.clock.now())


PrincipalDep = Annotated[Principal, Depends(principal)]


def agency_principal(p: PrincipalDep) -> AgencyPrincipal:
    if not isinstance(p, AgencyPrincipal):
        raise ForbiddenError("this endpoint is for requesting agencies")
    return p


AgencyDep = Annotated[AgencyPrincipal, Depends(agency_principal)]
