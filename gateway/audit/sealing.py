"""Keeps personal data out of the decision log while letting auditors use it.

Subjects appear in log records only as HMAC-SHA256 pseudonyms under a key the
auditors hold (so the accounting of one taxpayer's disclosures can be found by
recomputing the pseudonym of the TIN), and the full policy input is sealed with
AES-256-GCM so that whoever holds the audit key can replay the decision. Both
keys are recorded by key id (the first 8 bytes of their SHA-256, in hex) so
they can be rotated without losing old records.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PSEUDONYM_KEY_FILE = "audit-pseudonym.key"
SEALING_KEY_FILE = "audit-sealing.key"


def _key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:16]


def _load_or_create(path: Path) -> bytes:
    if path.exists():
        key = path.read_bytes()
        if len(key) != 32:
            raise ValueError(f"{path.name} must hold exactly 32 bytes")
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = os.urandom(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    return key


@dataclass(frozen=True)
class AuditKeys:
    pseudonym_key: bytes
    sealing_key: bytes

    @classmethod
    def load_or_create(cls, keys_dir: Path) -> AuditKeys:
        return cls(
            pseudonym_key=_load_or_create(keys_dir / PSEUDONYM_KEY_FILE),
            sealing_key=_load_or_create(keys_dir / SEALING_KEY_FILE),
        )

    @property
    def pseudonym_key_id(self) -> str:
        return _key_id(self.pseudonym_key)

    @property
    def sealing_key_id(self) -> str:
        return _key_id(self.sealing_key)

    def pseudonym(self, kind: str, value: str) -> str:
        """A stable, keyed stand-in for ``value``; ``kind`` keeps TINs and names apart."""
        mac = hmac.new(self.pseudonym_key, f"{kind}:{value}".encode(), hashlib.sha256)
        return mac.hexdigest()

    def seal(self, plaintext: bytes, *, associated_data: bytes) -> dict[str, Any]:
        """AES-256-GCM; ``associated_data`` binds the ciphertext to its decision."""
        nonce = os.urandom(12)
        ct = AESGCM(self.sealing_key).encrypt(nonce, plaintext, associated_data)
        return {
            "alg": "AES-256-GCM",
            "key_id": self.sealing_key_id,
            "nonce": base64.b64encode(nonce).decode(),
            "ciphertext": base64.b64encode(ct).decode(),
        }

    def unseal(self, sealed: dict[str, Any], *, associated_data: bytes) -> bytes:
        if sealed.get("key_id") != self.sealing_key_id:
            raise ValueError("sealed with a different key")
        nonce = base64.b64decode(sealed["nonce"])
        ct = base64.b64decode(sealed["ciphertext"])
        return AESGCM(self.sealing_key).decrypt(nonce, ct, associated_data)
