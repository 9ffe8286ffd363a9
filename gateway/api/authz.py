"""The one authorization dependency: a route names the permission it needs.

``Depends(require(Permission.REVIEW_ACT))`` authenticates the caller (the token,
through :func:`gateway.api.deps.principal`) and then reads
:data:`gateway.auth.permissions.ROLE_PERMISSIONS`; a role without the permission
is a 403 problem document naming what was refused, before the route's body is
read. :func:`require_agency` and :func:`require_staff` do the same and hand the
route the principal's own type, for routes that need an agency's id or a staff
member's subject; :func:`require_agency_spending_later` is the lookup route's
:func:`require_agency`, whose token is spent with the decision leaf.

The dependency is an instance of :class:`Require`, so a test can walk every
route's dependencies and find the permission each one declares. Its check is
``async``: it reads a table and never blocks, and FastAPI would otherwise run it
in the thread pool, one more hop to a worker thread per request.
"""

from __future__ import annotations

from fastapi.concurrency import run_in_threadpool

from gateway.api.deps import PrincipalDep, PrincipalSpendingLaterDep, ServicesDep
from gateway.auth.permissions import Permission, may, role_of, roles_with
from gateway.auth.tokens import AgencyPrincipal, Principal, StaffPrincipal
from gateway.errors import ForbiddenError


class Require:
    """A FastAPI dependency: the authenticated principal, if its role has ``permission``."""

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    async def __call__(self, principal: PrincipalDep) -> Principal:
        if not may(principal, self.permission):
            raise self.refused(principal)
        return principal

    def refused(self, principal: Principal) -> ForbiddenError:
        allowed = ", ".join(roles_with(self.permission)) or "no role"
        return ForbiddenError(
            f"a {role_of(principal)} may not {self.permission.value} (allowed: {allowed})"
        )

    def __repr__(self) -> str:
        return f"require({self.permission.name})"


class RequireAgency(Require):
    """:class:`Require` for routes that act for an agency (they need its id)."""

    async def __call__(self, principal: PrincipalDep) -> AgencyPrincipal:
        if not (may(principal, self.permission) and isinstance(principal, AgencyPrincipal)):
            raise self.refused(principal)
        return principal


class RequireAgencySpendingLater(Require):
    """:class:`RequireAgency` for the lookup route, whose token is spent with its leaf.

    A caller refused here still spends the token (now), as on every other route.
    """

    async def __call__(  # type: ignore[override]  # FastAPI reads the parameters it must supply
        self, principal: PrincipalSpendingLaterDep, svc: ServicesDep
    ) -> AgencyPrincipal:
        if not (may(principal, self.permission) and isinstance(principal, AgencyPrincipal)):
            await run_in_threadpool(svc.verifier.spend, principal)  # a database write
            raise self.refused(principal)
        return principal


class RequireStaff(Require):
    """:class:`Require` for routes that record which staff member acted."""

    async def __call__(self, principal: PrincipalDep) -> StaffPrincipal:
        if not (may(principal, self.permission) and isinstance(principal, StaffPrincipal)):
            raise self.refused(principal)
        return principal


def require(permission: Permission) -> Require:
    return Require(permission)


def require_agency(permission: Permission) -> RequireAgency:
    return RequireAgency(permission)


def require_agency_spending_later(permission: Permission) -> RequireAgencySpendingLater:
    return RequireAgencySpendingLater(permission)


def require_staff(permission: Permission) -> RequireStaff:
    return RequireStaff(permission)
