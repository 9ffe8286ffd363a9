"""``/v1/policy``: which policy revision decides, and why the last change was refused.

For operators (and auditors): an edit to ``policies/`` that fails ``opa check``
or ``opa test`` leaves the old policy active; this is where they read OPA's words.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from gateway.api.deps import PrincipalDep, ServicesDep
from gateway.auth.tokens import StaffPrincipal
from gateway.errors import ForbiddenError

router = APIRouter(prefix="/v1/policy", tags=["policy"])


@router.get("")
def policy_status(svc: ServicesDep, who: PrincipalDep) -> dict[str, Any]:
    if not isinstance(who, StaffPrincipal) or who.role not in ("operator", "auditor"):
        raise ForbiddenError("policy status is for operators and auditors")
    status = svc.policies.status
    assert status is not None  # started before the app serves requests
    return {
        "active_revision": status.active_revision,
        "activated_at": status.activated_at.isoformat(),
        "previous_revisions": status.history,
        "last_change": None
        if status.last_attempt_revision is None
        else {
            "revision": status.last_attempt_revision,
            "accepted": status.last_attempt_ok,
            "at": status.last_attempt_at.isoformat() if status.last_attempt_at else None,
            "error": status.last_error,
        },
    }
