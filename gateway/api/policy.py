"""``/v1/policy``: which policy revision decides, and why the last change was refused.

For operators (and auditors): an edit to ``policies/`` that fails ``opa check``
or ``opa test`` leaves the old policy active; this is where they read OPA's words.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from gateway.api.authz import require
from gateway.api.deps import ServicesDep
from gateway.auth.permissions import Permission
from gateway.errors import PolicyEngineUnavailableError

router = APIRouter(prefix="/v1/policy", tags=["policy"])


@router.get("", dependencies=[Depends(require(Permission.POLICY_STATUS))])
def policy_status(svc: ServicesDep) -> dict[str, Any]:
    status = svc.policies.status
    if status is None:  # the manager starts before the app serves requests
        raise PolicyEngineUnavailableError("no policy has been loaded yet")
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
