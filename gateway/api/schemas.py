"""Request and response bodies of the v1 API (API.md).

The models themselves are the domain's (``gateway.domain``): the policy input, the
pipeline and the review service speak them too, and must not import the API to do
so. The routers keep importing them from here, so the wire contract has one place
to be read from in the API package.
"""

from gateway.domain import (
    ArrestWarrant,
    AuthorizerRole,
    CourtOrder,
    CourtOrderRecording,
    FieldName,
    FinalRemovalOrder,
    LookupRequest,
    LookupResponse,
    PersonName,
    PostalAddress,
    Purpose,
    PurposeCategory,
    Reason,
    Recipient,
    ReleasedAddress,
    Strict,
    Subject,
    SubjectResult,
)

__all__ = [
    "ArrestWarrant",
    "AuthorizerRole",
    "CourtOrder",
    "CourtOrderRecording",
    "FieldName",
    "FinalRemovalOrder",
    "LookupRequest",
    "LookupResponse",
    "PersonName",
    "PostalAddress",
    "Purpose",
    "PurposeCategory",
    "Reason",
    "Recipient",
    "ReleasedAddress",
    "Strict",
    "Subject",
    "SubjectResult",
]
