"""The gateway's one error tree; each class knows the HTTP status it maps to.

::

    GatewayError                         500
      RequestRejectedError               4xx
        UnauthenticatedError             401  identity could not be established
        ForbiddenError                   403  authenticated, but not allowed this call
        NotFoundError                    404
        ConflictError                    409  request_id reused with a different body
        InvalidRequestError              422  body fails validation
        PayloadTooLargeError             413
      DependencyUnavailableError         503  fail closed: nothing is disclosed
        PolicyEngineUnavailableError          OPA down, slow, undefined or malformed answer
        AuditLogUnavailableError              the decision could not be made durable
        DatastoreUnavailableError             the taxpayer store could not be read

Messages are shown to callers and written to logs, so they never hold taxpayer
data (TIN, name, date of birth or address).
"""

from __future__ import annotations

from typing import Any, ClassVar


class GatewayError(Exception):
    """Root of every error the gateway raises on purpose."""

    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"
    type_slug: ClassVar[str] = "internal-error"

    def __init__(self, detail: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}


class RequestRejectedError(GatewayError):
    status = 400
    title = "Bad request"
    type_slug = "bad-request"


class UnauthenticatedError(RequestRejectedError):
    status = 401
    title = "Unauthenticated"
    type_slug = "unauthenticated"


class ForbiddenError(RequestRejectedError):
    status = 403
    title = "Forbidden"
    type_slug = "forbidden"


class NotFoundError(RequestRejectedError):
    status = 404
    title = "Not found"
    type_slug = "not-found"


class ConflictError(RequestRejectedError):
    status = 409
    title = "Conflict"
    type_slug = "conflict"


class PayloadTooLargeError(RequestRejectedError):
    status = 413
    title = "Payload too large"
    type_slug = "payload-too-large"


class InvalidRequestError(RequestRejectedError):
    status = 422
    title = "Invalid request"
    type_slug = "invalid-request"


class DependencyUnavailableError(GatewayError):
    status = 503
    title = "Service unavailable"
    type_slug = "dependency-unavailable"


class PolicyEngineUnavailableError(DependencyUnavailableError):
    title = "Policy engine unavailable"
    type_slug = "policy-engine-unavailable"


class AuditLogUnavailableError(DependencyUnavailableError):
    title = "Decision log unavailable"
    type_slug = "audit-log-unavailable"


class DatastoreUnavailableError(DependencyUnavailableError):
    title = "Datastore unavailable"
    type_slug = "datastore-unavailable"
