"""Ed25519 keys for agencies (demo only) and for the gateway's own tokens.

In production an agency registers its public key and keeps the private key;
``keys init`` creates demo key pairs under ``GATEWAY_HOME/keys`` so that a
developer can mint agency tokens locally. The gateway's own key signs
auditor, disclosure-officer and operator tokens.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

GATEWAY_KEY_NAME = "gateway"


class KeyNotFoundError(LookupError):
    """No key is registered for this issuer."""


class KeyStore:
    """Key files: ``<home>/keys/agencies/<id>.{key,pub}`` and ``<home>/keys/gateway.{key,pub}``."""

    def __init__(self, keys_dir: Path) -> None:
        self.keys_dir = keys_dir

    def _base(self, issuer: str) -> Path:
        if issuer == GATEWAY_KEY_NAME:
            return self.keys_dir / GATEWAY_KEY_NAME
        if not issuer or "/" in issuer or issuer.startswith("."):
            raise KeyNotFoundError("invalid issuer")
        return self.keys_dir / "agencies" / issuer

    def public_key(self, issuer: str) -> Ed25519PublicKey:
        path = self._base(issuer).with_suffix(".pub")
        try:
            key = serialization.load_pem_public_key(path.read_bytes())
        except FileNotFoundError as exc:
            raise KeyNotFoundError(issuer) from exc
        if not isinstance(key, Ed25519PublicKey):
            raise KeyNotFoundError(issuer)
        return key

    def private_key(self, issuer: str) -> Ed25519PrivateKey:
        path = self._base(issuer).with_suffix(".key")
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except FileNotFoundError as exc:
            raise KeyNotFoundError(issuer) from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyNotFoundError(issuer)
        return key

    def ensure(self, issuer: str) -> bool:
        """Create a key pair for ``issuer`` unless one exists; True if created."""
        base = self._base(issuer)
        if base.with_suffix(".pub").exists():
            return False
        base.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd = os.open(base.with_suffix(".key"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        base.with_suffix(".pub").write_bytes(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        return True
