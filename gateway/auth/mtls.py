"""Mutual TLS: an agency's token counts only on the connection of the agency's certificate.

A bearer token proves who signed it; a stolen token is just as good in anyone's
hands. An agency whose registry entry names its client certificate
(``client_certificate_sha256``: the SHA-256 of the certificate's DER bytes, in
hex) binds its tokens to that certificate: a token of that agency is refused
(401) on a connection that did not present it, and a certificate registered to
one agency cannot carry another agency's token (401). Agencies without an entry
are unaffected (their certificate, if any, only has to chain to the CA that
``GATEWAY_TLS_CLIENT_CA_FILE`` names, which the TLS handshake checks).

The certificate comes from the ASGI TLS extension (``scope["extensions"]["tls"]``,
``client_cert_chain``: PEM, the client's own certificate first). uvicorn does not
fill it (0.54); ``gateway.api.server`` does, from the TLS connection.
"""

from __future__ import annotations

import hashlib
import ssl
from collections.abc import Mapping
from typing import Any

from gateway.auth.registry import Registry
from gateway.auth.tokens import AgencyPrincipal, Principal
from gateway.errors import UnauthenticatedError

__all__ = ["certificate_fingerprint", "check_client_certificate", "client_certificate"]


def certificate_fingerprint(der: bytes) -> str:
    """SHA-256 of a certificate's DER encoding, lowercase hex (what the registry names)."""
    return hashlib.sha256(der).hexdigest()


def client_certificate(scope: Mapping[str, Any]) -> bytes | None:
    """The DER bytes of the client certificate the connection presented, if any."""
    tls = scope.get("extensions", {}).get("tls")
    if not isinstance(tls, Mapping):
        return None
    chain = tls.get("client_cert_chain") or ()
    if not chain:
        return None
    return ssl.PEM_cert_to_DER_cert(str(chain[0]))


def check_client_certificate(
    principal: Principal, registry: Registry, scope: Mapping[str, Any]
) -> None:
    """Raise :class:`UnauthenticatedError` if the connection's certificate and the token's
    agency do not belong together (see the module docstring)."""
    if not isinstance(principal, AgencyPrincipal):
        return
    der = client_certificate(scope)
    presented = None if der is None else certificate_fingerprint(der)
    bound = principal.agency.client_certificate_sha256
    if bound is not None and presented != bound.lower():
        raise UnauthenticatedError(
            f"tokens of {principal.agency.id} are accepted only over a connection presenting"
            " its registered client certificate"
        )
    if presented is None:
        return
    owners = {
        a.id
        for a in registry.agencies.values()
        if a.client_certificate_sha256 is not None
        and a.client_certificate_sha256.lower() == presented
    }
    if owners and principal.agency.id not in owners:
        raise UnauthenticatedError(
            "the connection's client certificate is registered to another agency than the token's"
        )
