"""Bearer tokens: Ed25519-signed JWTs (API.md "Identity"), minted and verified.

Verification raises :class:`~gateway.errors.UnauthenticatedError` for every
failure, with a message that says which check failed but never echoes the
token. The checks, in order:

1. the header names EdDSA; the issuer is a registered agency with a key, or
   the gateway itself (staff tokens carry a ``role``);
2. the signature verifies with that issuer's public key;
3. ``aud`` is this gateway, ``exp``/``iat`` are present, ``exp`` is in the
   future and at most the configured lifetime after ``iat``; neither ``iat``
   nor ``nbf`` (optional) is later than now plus the configured clock skew — a
   token minted for later use must not work early;
4. ``sub`` is an official of that agency in the registry (agency tokens), or
   an active member of the staff registry holding the claimed ``role`` (staff
   tokens): a staff token for an unknown, inactive or unentitled person is
   refused like a forged one;
5. the ``jti`` allows this use (recorded until the token expires): a token's
   first use fixes what it is for. First used on a read-only call (``GET``,
   ``HEAD``), it is a *read token*: any number of read-only calls until it
   expires, and never a state-changing one. First used on a state-changing
   call (``POST``, ``PUT``, ``PATCH``, ``DELETE``, anything else), it is spent
   by that call: nothing more, not even a read.

Why reads may repeat but never turn into writes: a read token is presented
many times (a review queue polled, an auditor walking proofs and entries), so
it is the token most likely to leak. Whoever holds a leaked one can read what
its holder could read until it expires (at most the configured lifetime) but
cannot ask for a disclosure, approve a review or record a court order. A token
that made a state-changing call is worth nothing to a thief afterwards.

Where check 5 writes (issue 11): most calls record a token's first use in a
transaction of its own as they are authenticated. An address lookup instead
*defers* its spend (``defer_spend=True``): check 5 only reads the replay memory
and the principal carries a :class:`TokenSpend`, which the lookup writes in
the transaction that appends its decision leaf, so one group commit (one
fsync) holds the spend, the leaf and the answer. The database still decides:
``jti`` is the replay memory's primary key, so of two lookups racing with one
token the second one's leaf transaction fails on it and that lookup is
refused, with no leaf and no answer. A lookup that ends before its leaf is
written (a bad body, a conflict, a failure) spends the token on its way out
(:mod:`gateway.api.lookups`), so no path leaves a write token unspent.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

import jwt

from gateway.auth.keys import GATEWAY_KEY_NAME, KeyNotFoundError, KeyStore
from gateway.auth.registry import Agency, Official, Registry
from gateway.errors import UnauthenticatedError

TokenUse = Literal["read", "write"]
"""``read``: a read-only call (``GET``, ``HEAD``); ``write``: every other method."""

READ_ONLY_METHODS = frozenset({"GET", "HEAD"})

StaffRole = Literal["auditor", "disclosure_officer", "operator", "court_liaison"]
STAFF_ROLES: tuple[StaffRole, ...] = ("auditor", "disclosure_officer", "operator", "court_liaison")
"""``court_liaison``: records court orders verified against the docket (``/v1/court-orders``)."""


@dataclass(frozen=True)
class TokenSpend:
    """A write token's first use, checked but not yet recorded (a deferred check 5)."""

    jti: str
    issuer: str
    expires_at: datetime


@dataclass(frozen=True)
class AgencyPrincipal:
    """An official of a registered agency; name, title and role come from the registry."""

    agency: Agency
    official: Official
    jti: str
    spend: TokenSpend | None = None
    """Set when the caller must record the token's use itself (``defer_spend``)."""


@dataclass(frozen=True)
class StaffPrincipal:
    """A gateway-side person (auditor, disclosure officer, operator, court liaison)."""

    subject: str
    """The staff registry id (``policies/registry/staff``): who acted, on file."""
    role: StaffRole
    jti: str
    name: str = ""


Principal = AgencyPrincipal | StaffPrincipal


def token_use(method: str) -> TokenUse:
    """What a call with this HTTP method does to a token: only the safe methods of RFC
    9110 §9.2.1 that the gateway serves are reads; anything else spends the token."""
    return "read" if method.upper() in READ_ONLY_METHODS else "write"


class ReplayGuard(Protocol):
    def first_use(
        self, jti: str, issuer: str, expires_at: datetime, use: TokenUse
    ) -> TokenUse | None:
        """Record ``use`` of ``jti`` if it is the first, atomically; return the use it was
        first recorded with before this call, or None if this call is the first use."""
        ...

    def recorded(self, jti: str) -> TokenUse | None:
        """The use ``jti`` was first recorded with, or None; reads only."""
        ...


def mint_token(
    keys: KeyStore,
    *,
    issuer: str,
    subject: str,
    audience: str,
    now: datetime,
    lifetime: timedelta = timedelta(minutes=5),
    role: StaffRole | None = None,
) -> str:
    """A signed token for local use and tests (agencies mint their own in production)."""
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": subject,
        "aud": audience,
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        "jti": str(uuid.uuid4()),
    }
    if role is not None:
        claims["role"] = role
    return jwt.encode(claims, keys.private_key(issuer), algorithm="EdDSA")


class TokenVerifier:
    def __init__(
        self,
        *,
        keys: KeyStore,
        registry: Registry,
        replay: ReplayGuard,
        audience: str,
        max_lifetime_seconds: int,
        leeway_seconds: int,
    ) -> None:
        self._keys = keys
        self._registry = registry
        self._replay = replay
        self._audience = audience
        self._max_lifetime = max_lifetime_seconds
        self._leeway = leeway_seconds

    @property
    def registry(self) -> Registry:
        """The registry tokens are verified against now (it changes on policy activation)."""
        return self._registry

    def use_registry(self, registry: Registry) -> None:
        """Authenticate against a newly activated registry from the next request on."""
        self._registry = registry

    def verify(
        self,
        authorization: str | None,
        now: datetime,
        use: TokenUse = "write",
        *,
        defer_spend: bool = False,
    ) -> Principal:
        """The principal, or :class:`UnauthenticatedError`. ``use`` defaults to the strict
        one: a caller that does not say the call is read-only spends the token.

        With ``defer_spend`` an agency's write token that was never used is not recorded
        here: the principal's :attr:`AgencyPrincipal.spend` says what the caller must
        record (the lookup pipeline, in its decision leaf's transaction)."""
        token = _bearer(authorization)
        # 1. issuer and algorithm, read before the signature is trusted only to pick the key
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise UnauthenticatedError("token is not a well-formed JWT") from exc
        if header.get("alg") != "EdDSA":
            raise UnauthenticatedError("token must be signed with EdDSA (Ed25519)")
        issuer = unverified.get("iss")
        if not isinstance(issuer, str):
            raise UnauthenticatedError("token has no issuer")
        if issuer != GATEWAY_KEY_NAME and issuer not in self._registry.agencies:
            raise UnauthenticatedError("token issuer is not a registered agency")
        try:
            key = self._keys.public_key(issuer)
        except KeyNotFoundError as exc:
            raise UnauthenticatedError("no key is registered for the token issuer") from exc
        # 2.-3. signature, audience, expiry
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["EdDSA"],
                audience=self._audience,
                issuer=issuer,
                leeway=self._leeway,
                # the time claims are checked below against the gateway's clock, not PyJWT's
                options={
                    "require": ["iss", "sub", "aud", "iat", "exp", "jti"],
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.InvalidAudienceError as exc:
            raise UnauthenticatedError("token audience is not this gateway") from exc
        except jwt.PyJWTError as exc:
            raise UnauthenticatedError(f"token rejected: {type(exc).__name__}") from exc
        iat, exp = claims["iat"], claims["exp"]
        if not _is_seconds(iat) or not _is_seconds(exp):
            raise UnauthenticatedError("iat and exp must be integers")
        if exp - iat > self._max_lifetime:
            raise UnauthenticatedError("token lifetime exceeds the allowed maximum")
        if iat > now.timestamp() + self._leeway:
            raise UnauthenticatedError("token is issued in the future")
        if "nbf" in claims:
            nbf = claims["nbf"]
            if not _is_seconds(nbf):
                raise UnauthenticatedError("nbf must be an integer")
            if nbf > now.timestamp() + self._leeway:
                raise UnauthenticatedError("token is not valid yet (nbf is in the future)")
        if exp <= now.timestamp() - self._leeway:
            raise UnauthenticatedError("token has expired")
        jti, sub = claims["jti"], claims["sub"]
        if not isinstance(jti, str) or not jti or not isinstance(sub, str):
            raise UnauthenticatedError("token jti and sub must be strings")
        principal = self._principal(issuer, sub, jti, claims)
        # 5. replay, last: a token that fails any other check does not burn its jti
        expires_at = datetime.fromtimestamp(exp, tz=now.tzinfo)
        if defer_spend and use == "write" and isinstance(principal, AgencyPrincipal):
            first = self._replay.recorded(jti)
            if first is None:
                return replace(principal, spend=TokenSpend(jti, issuer, expires_at))
        else:
            first = self._replay.first_use(jti, issuer, expires_at, use)
        if first is None or (first == "read" and use == "read"):
            return principal
        if first == "read":
            raise UnauthenticatedError(
                "token was used for reading; a state-changing call needs a fresh token"
            )
        raise UnauthenticatedError("token has already been used (replayed jti)")

    def spend(self, principal: Principal) -> None:
        """Record a deferred spend now, for a lookup that ends before its leaf is written.

        A use recorded meanwhile (the same token raced in) changes nothing: either way
        the token is spent, which is all this is for.
        """
        if isinstance(principal, AgencyPrincipal) and principal.spend is not None:
            spend = principal.spend
            self._replay.first_use(spend.jti, spend.issuer, spend.expires_at, "write")

    def _principal(self, issuer: str, sub: str, jti: str, claims: dict[str, Any]) -> Principal:
        # 4. who the subject is comes from the registry (or the staff role claim)
        if issuer == GATEWAY_KEY_NAME:
            role = claims.get("role")
            if role not in STAFF_ROLES:
                raise UnauthenticatedError("gateway token lacks a valid role")
            member = self._registry.staff_member(sub, role)
            if member is None:
                raise UnauthenticatedError(
                    "token subject is not an active staff member holding this role"
                )
            return StaffPrincipal(subject=sub, role=role, jti=jti, name=member.name)
        official = self._registry.officials.get(sub)
        agency = self._registry.agencies[issuer]
        if official is None or not self._may_sign_for(official, agency):
            raise UnauthenticatedError("token subject is not a registered official of the issuer")
        return AgencyPrincipal(agency=agency, official=official, jti=jti)

    def _may_sign_for(self, official: Official, agency: Agency) -> bool:
        """An official signs for their own agency, for its parts (the ICE Director for
        ERO and HSI), or — from a department's headquarters (component ``NONE``) — for
        any component of that department (e.g. the DHS Secretary for CBP)."""
        if official.agency in (agency.id, agency.parent):
            return True
        home = self._registry.agencies.get(official.agency)
        return (
            home is not None
            and home.component == "NONE"
            and home.department == agency.department
            and home.department not in ("UNKNOWN", "STATE_TAX", "LOCAL_LE")
        )


def _is_seconds(value: object) -> bool:
    """A NumericDate in whole seconds; ``True`` is an ``int`` to Python but not to JSON."""
    return isinstance(value, int) and not isinstance(value, bool)


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise UnauthenticatedError("missing Authorization header")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthenticatedError("Authorization must be 'Bearer <JWT>'")
    return token.strip()
