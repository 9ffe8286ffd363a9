"""Who may do what: one table from role to permissions, read by every route.

A principal's role is its staff role, or ``agency_official`` for an official of a
registered agency. Every route that needs a principal names the one permission it
needs (``gateway.api.authz.require``); nothing else in the gateway compares roles.
So widening or narrowing what a role may do is an edit of :data:`ROLE_PERMISSIONS`,
visible in one diff, and ``tests/integration/test_permissions.py`` proves every
route declares a permission and every role without it gets a 403.

What each role may do, and why:

* ``agency_official``: ask for addresses and read back its own agency's answers.
* ``disclosure_officer``: the review queue (read it, approve or deny), the sealed
  policy input of the items in it (what the policy saw, unsealed on the server for
  this role alone), recording the court notices filed before a release, and
  recording a court order verified on the docket.
* ``court_liaison``: recording court orders and the court notices they filed.
* ``auditor``: the decision log's leaves, the audit API and pages, the policy in force.
* ``operator``: the policy in force (to watch reloads), reloading it at once (the
  activation history names them), and shadow mode (a candidate policy beside it on
  live traffic, for comparison only).
* every role: the log's checkpoints, proofs and public key, which reveal nothing
  about anyone (and let anyone hold the log to its word).
* every staff role: the court-order registry, because each lookup under an order
  depends on what it says.
"""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType
from typing import Literal

from gateway.auth.tokens import STAFF_ROLES, AgencyPrincipal, Principal, StaffRole

Role = Literal["agency_official", StaffRole]
ROLES: tuple[Role, ...] = ("agency_official", *STAFF_ROLES)


class Permission(StrEnum):
    """One thing a route does; the value is what a 403 names."""

    LOOKUP_CREATE = "ask for taxpayer addresses"
    LOOKUP_READ = "read the agency's own decided lookups"
    REVIEW_READ = "read the review queue"
    REVIEW_ACT = "approve or deny a held release"
    REVIEW_CONTEXT = "read the unsealed policy input of review items"
    COURT_NOTICE_RECORD = "record a court notice's filing"
    COURT_ORDER_READ = "read the court-order registry"
    COURT_ORDER_RECORD = "record a verified court order"
    LOG_READ = "read the decision log's checkpoints, proofs and public key"
    LOG_CHECKPOINT = "publish a checkpoint of the decision log"
    LOG_ENTRIES = "read the decision log's entries"
    POLICY_STATUS = "read the policy in force"
    POLICY_SHADOW = "start or stop a shadow policy on live traffic"
    POLICY_RELOAD = "check and activate the edited policy now"
    AUDIT_READ = "search and read the audit projection"


_EVERYONE = frozenset({Permission.LOG_READ, Permission.LOG_CHECKPOINT})
_STAFF = _EVERYONE | {Permission.COURT_ORDER_READ}

ROLE_PERMISSIONS: MappingProxyType[Role, frozenset[Permission]] = MappingProxyType(
    {
        "agency_official": frozenset({Permission.LOOKUP_CREATE, Permission.LOOKUP_READ})
        | _EVERYONE,
        "disclosure_officer": frozenset(
            {
                Permission.REVIEW_READ,
                Permission.REVIEW_ACT,
                Permission.REVIEW_CONTEXT,
                Permission.COURT_NOTICE_RECORD,
                Permission.COURT_ORDER_RECORD,
            }
        )
        | _STAFF,
        "court_liaison": frozenset({Permission.COURT_ORDER_RECORD, Permission.COURT_NOTICE_RECORD})
        | _STAFF,
        "auditor": frozenset(
            {Permission.LOG_ENTRIES, Permission.AUDIT_READ, Permission.POLICY_STATUS}
        )
        | _STAFF,
        "operator": frozenset(
            {Permission.POLICY_STATUS, Permission.POLICY_SHADOW, Permission.POLICY_RELOAD}
        )
        | _STAFF,
    }
)
"""Every role's permissions; a role or permission missing here is granted nothing."""


def role_of(principal: Principal) -> Role:
    """The role the table is read with: an agency official has no staff role."""
    if isinstance(principal, AgencyPrincipal):
        return "agency_official"
    return principal.role


def may(principal: Principal, permission: Permission) -> bool:
    """Whether the table grants ``permission`` to this principal's role."""
    return permission in ROLE_PERMISSIONS.get(role_of(principal), frozenset())


def roles_with(permission: Permission) -> tuple[Role, ...]:
    """The roles granted ``permission``, in :data:`ROLES` order (for messages and tests)."""
    return tuple(r for r in ROLES if permission in ROLE_PERMISSIONS.get(r, frozenset()))
