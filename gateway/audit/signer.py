"""Ed25519 keys for signed notes: C2SP signed-note, signature type 0x01.

This is the only module of the audit package that touches ``cryptography``'s
Ed25519, and the only place its exceptions are mapped: a bad signature becomes
:class:`~gateway.audit.errors.SignatureVerificationError`, a bad verifier key
text :class:`~gateway.audit.errors.MalformedKeyError`.

What it guarantees:

* Signatures are RFC 8032 Ed25519 over the exact message bytes given.
* ``key ID = SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[:4]``
  (C2SP signed-note, "Ed25519 signatures").
* Verifier key text is ``<name>+<key ID as 8 lowercase hex digits>+<base64(0x01 || public key)>``,
  the convention of Go's ``golang.org/x/mod/sumdb/note`` package used by sumdb
  and transparency-dev tools, so those tools and this module read each
  other's keys. Parsing is strict: canonical standard base64 only, and the
  key ID in the text must be the one computed from the name and key.
* Key names are non-empty and contain no Unicode space, no ``+`` and no
  control character (the signed-note rule, plus control characters, which no
  note may contain anyway).

Private keys are stored as PKCS#8 PEM, optionally encrypted with a password.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import unicodedata

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from gateway.audit.errors import MalformedKeyError, SignatureVerificationError

__all__ = [
    "ED25519_SIGNATURE_TYPE",
    "NoteSigner",
    "NoteVerifier",
    "b64decode_strict",
    "compute_key_id",
    "generate_signer",
    "is_valid_key_name",
    "signer_from_pem",
]

ED25519_SIGNATURE_TYPE = 0x01
"""Signature type byte for Ed25519 in C2SP signed-note."""

_PUBLIC_KEY_SIZE = 32
_SIGNATURE_SIZE = 64
_KEY_ID_HEX = re.compile(r"[0-9a-f]{8}", re.ASCII)


def is_valid_key_name(name: str) -> bool:
    """True if ``name`` may name a signed-note key (non-empty; no space, ``+`` or control)."""
    return bool(name) and not any(
        ch == "+" or ch.isspace() or unicodedata.category(ch) == "Cc" for ch in name
    )


def compute_key_id(name: str, public_key: bytes) -> bytes:
    """Return the 4-byte key ID of an Ed25519 key: SHA-256(name || 0x0A || 0x01 || key)[:4]."""
    material = name.encode("utf-8") + b"\n" + bytes([ED25519_SIGNATURE_TYPE]) + public_key
    return hashlib.sha256(material).digest()[:4]


def b64decode_strict(text: str) -> bytes:
    """Decode standard base64 (RFC 4648 §4), accepting only the canonical encoding.

    Raises :class:`ValueError` on characters outside the alphabet, missing or
    extra padding, and non-zero padding bits, so that one byte string has
    exactly one accepted text.
    """
    try:
        decoded = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error) as exc:
        raise ValueError("not standard base64") from exc
    if base64.b64encode(decoded).decode("ascii") != text:
        raise ValueError("not canonical standard base64")
    return decoded


def _require_key_name(name: str) -> None:
    if not is_valid_key_name(name):
        raise ValueError(f"invalid key name {name!r}: must be non-empty, without spaces or '+'")


class NoteVerifier:
    """A trusted Ed25519 public key with its name, able to verify note signatures."""

    __slots__ = ("_key_id", "_name", "_public_bytes", "_public_key")

    def __init__(self, name: str, public_key: Ed25519PublicKey) -> None:
        _require_key_name(name)
        self._name = name
        self._public_key = public_key
        self._public_bytes = public_key.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self._key_id = compute_key_id(name, self._public_bytes)

    @property
    def name(self) -> str:
        """The key name, which for a log key is the log's checkpoint origin."""
        return self._name

    @property
    def key_id(self) -> bytes:
        """The 4-byte key ID that prefixes this key's signatures."""
        return self._key_id

    @property
    def public_key(self) -> Ed25519PublicKey:
        """The Ed25519 public key."""
        return self._public_key

    @property
    def public_key_bytes(self) -> bytes:
        """The 32-byte RFC 8032 encoding of the public key."""
        return self._public_bytes

    def verify(self, message: bytes, signature: bytes) -> None:
        """Return ``None`` if ``signature`` is this key's signature of ``message``.

        Raises :class:`SignatureVerificationError` otherwise.
        """
        if len(signature) != _SIGNATURE_SIZE:
            raise SignatureVerificationError(
                f"Ed25519 signature by {self._name} must be {_SIGNATURE_SIZE} bytes,"
                f" got {len(signature)}"
            )
        try:
            self._public_key.verify(signature, message)
        except InvalidSignature as exc:
            raise SignatureVerificationError(
                f"signature by {self._name}+{self._key_id.hex()} does not verify"
            ) from exc

    def verifier_key_text(self) -> str:
        """Return ``<name>+<key ID hex>+<base64(0x01 || public key)>``."""
        encoded = base64.b64encode(bytes([ED25519_SIGNATURE_TYPE]) + self._public_bytes)
        return f"{self._name}+{self._key_id.hex()}+{encoded.decode('ascii')}"

    @classmethod
    def from_text(cls, vkey: str) -> NoteVerifier:
        """Parse verifier key text as produced by :meth:`verifier_key_text`.

        Raises :class:`MalformedKeyError` if the text is not exactly of that
        form, names another signature type, or carries a key ID that is not
        the one of its name and key.
        """
        # The name holds no '+', but the base64 key may: split at the first two.
        parts = vkey.split("+", 2)
        if len(parts) != 3:
            raise MalformedKeyError("verifier key must be <name>+<key id>+<base64 key>")
        name, id_hex, key_b64 = parts
        if not is_valid_key_name(name):
            raise MalformedKeyError(f"verifier key has an invalid key name {name!r}")
        if not _KEY_ID_HEX.fullmatch(id_hex):
            raise MalformedKeyError("verifier key ID must be 8 lowercase hex digits")
        try:
            material = b64decode_strict(key_b64)
        except ValueError as exc:
            raise MalformedKeyError("verifier key material is not canonical base64") from exc
        if len(material) != 1 + _PUBLIC_KEY_SIZE or material[0] != ED25519_SIGNATURE_TYPE:
            raise MalformedKeyError("verifier key is not an Ed25519 (type 0x01) key")
        verifier = cls(name, Ed25519PublicKey.from_public_bytes(material[1:]))
        if verifier.key_id.hex() != id_hex:
            raise MalformedKeyError(
                f"verifier key ID {id_hex} does not match its name and key"
                f" ({verifier.key_id.hex()})"
            )
        return verifier

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, NoteVerifier):
            return NotImplemented
        return self._name == other._name and self._public_bytes == other._public_bytes

    def __hash__(self) -> int:
        return hash((self._name, self._public_bytes))

    def __repr__(self) -> str:
        return f"NoteVerifier({self.verifier_key_text()!r})"


class NoteSigner:
    """An Ed25519 private key with its name, able to sign note texts."""

    __slots__ = ("_private_key", "_verifier")

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key
        self._verifier = NoteVerifier(name, private_key.public_key())

    @property
    def name(self) -> str:
        """The key name (for a log key: the checkpoint origin)."""
        return self._verifier.name

    @property
    def key_id(self) -> bytes:
        """The 4-byte key ID that prefixes this key's signatures."""
        return self._verifier.key_id

    @property
    def verifier(self) -> NoteVerifier:
        """The matching public verifier."""
        return self._verifier

    def sign(self, message: bytes) -> bytes:
        """Return the 64-byte Ed25519 signature of ``message`` (RFC 8032, deterministic)."""
        return self._private_key.sign(message)

    def verifier_key_text(self) -> str:
        """The verifier key text of the matching public key."""
        return self._verifier.verifier_key_text()

    def to_pem(self, password: bytes | None = None) -> bytes:
        """Return the private key as PKCS#8 PEM, encrypted if ``password`` is given."""
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password)
            if password
            else serialization.NoEncryption()
        )
        return self._private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )

    def __repr__(self) -> str:
        return f"NoteSigner(name={self.name!r}, key_id={self.key_id.hex()!r})"


def generate_signer(name: str) -> NoteSigner:
    """Generate a new random Ed25519 signing key named ``name``."""
    return NoteSigner(name, Ed25519PrivateKey.generate())


def signer_from_pem(name: str, pem_bytes: bytes, password: bytes | None = None) -> NoteSigner:
    """Load a signing key named ``name`` from PKCS#8 PEM.

    Raises :class:`ValueError` if the PEM cannot be read with ``password`` or
    does not hold an Ed25519 private key.
    """
    try:
        key = serialization.load_pem_private_key(pem_bytes, password=password)
    except (TypeError, ValueError, UnsupportedAlgorithm) as exc:
        raise ValueError(f"cannot load the signing key for {name!r} from PEM: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"the signing key for {name!r} is not an Ed25519 key")
    return NoteSigner(name, key)
