"""Ed25519 keys for agencies (demo only) and for the gateway's own tokens.

In production an agency registers its public key and keeps the private key;
``keys init`` creates demo key pairs under ``GATEWAY_HOME/keys`` so that a
developer can mint agency tokens locally. The gateway's own key signs
auditor, disclosure-officer and operator tokens.

Every key the gateway makes for itself (``keys init``, a development start)
is a *demo key*: its file carries :data:`DEMO_MARK` (PEM explanatory text
before the ``BEGIN`` line, which PEM readers skip; after the 32 bytes of a raw
audit key). Production refuses to start with one, so keys made on a developer's
machine cannot end up signing a real log. Provisioned keys
(``deploy/make_secrets.py``, ``demo=False``) carry no mark.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

GATEWAY_KEY_NAME = "gateway"
DEMO_MARK = b"Demo key made by the gateway for development; production refuses it."
_DEMO_LINE = DEMO_MARK + b"\n"


def mark_demo(pem: bytes) -> bytes:
    """``pem`` with the demo mark as PEM explanatory text before it."""
    return _DEMO_LINE + pem


def is_demo_key(data: bytes) -> bool:
    """True if the key file's bytes carry the demo mark."""
    return DEMO_MARK in data


def write_key_file(path: Path, data: bytes, *, mode: int = 0o600) -> bool:
    """Create ``path`` with ``data`` (fsync'd); False if it exists (never overwritten)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    return True


_Stamp = tuple[int, int, int, int]
"""A key file's device, inode, modification time (ns) and size."""


def _stamp(path: Path) -> _Stamp | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)


class KeyNotFoundError(LookupError):
    """No key is registered for this issuer."""


class KeyStore:
    """Key files: ``<home>/keys/agencies/<id>.{key,pub}`` and ``<home>/keys/gateway.{key,pub}``.

    ``gateway_key`` and ``agencies_dir`` move them (``GATEWAY_TOKEN_KEY_FILE``,
    ``GATEWAY_AGENCY_KEYS_DIR``); without ``gateway.pub`` beside the gateway's key,
    its public key is derived from the private one.

    Public keys are read for every token, so a parsed key is kept with its file's
    stamp (:func:`_stamp`) and parsed again only when the file changed: a key
    replaced, rotated or removed on disk is seen at the next token, as before,
    for a ``stat`` instead of a read and a PEM parse per token.
    """

    def __init__(
        self, keys_dir: Path, *, gateway_key: Path | None = None, agencies_dir: Path | None = None
    ) -> None:
        self.keys_dir = keys_dir
        self.gateway_key = gateway_key or keys_dir / f"{GATEWAY_KEY_NAME}.key"
        self.agencies_dir = agencies_dir or keys_dir / "agencies"
        self._parsed: dict[Path, tuple[_Stamp, Ed25519PublicKey]] = {}

    def _base(self, issuer: str) -> Path:
        if issuer == GATEWAY_KEY_NAME:
            return self.gateway_key.with_suffix("")
        if not issuer or "/" in issuer or issuer.startswith("."):
            raise KeyNotFoundError("invalid issuer")
        return self.agencies_dir / issuer

    def public_key(self, issuer: str) -> Ed25519PublicKey:
        path = self._base(issuer).with_suffix(".pub")
        stamp = _stamp(path)
        if stamp is None and issuer == GATEWAY_KEY_NAME:
            path, stamp = self.gateway_key, _stamp(self.gateway_key)
        cached = self._parsed.get(path)
        if stamp is not None and cached is not None and cached[0] == stamp:
            return cached[1]
        key = self._read_public_key(issuer)
        if stamp is not None:  # taken before the read: a file changed meanwhile is read again
            self._parsed[path] = (stamp, key)
        return key

    def _read_public_key(self, issuer: str) -> Ed25519PublicKey:
        path = self._base(issuer).with_suffix(".pub")
        try:
            key = serialization.load_pem_public_key(path.read_bytes())
        except FileNotFoundError as exc:
            if issuer == GATEWAY_KEY_NAME:
                return self.private_key(issuer).public_key()
            raise KeyNotFoundError(issuer) from exc
        if not isinstance(key, Ed25519PublicKey):
            raise KeyNotFoundError(issuer)
        return key

    def private_key(self, issuer: str) -> Ed25519PrivateKey:
        path = (
            self.gateway_key
            if issuer == GATEWAY_KEY_NAME
            else self._base(issuer).with_suffix(".key")
        )
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except FileNotFoundError as exc:
            raise KeyNotFoundError(issuer) from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyNotFoundError(issuer)
        return key

    def ensure(self, issuer: str, *, demo: bool = True) -> bool:
        """Create a key pair for ``issuer`` unless one exists; True if created.

        A demo key (the default: ``keys init``, tests) carries :data:`DEMO_MARK`.
        """
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
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        private_path = self.gateway_key if issuer == GATEWAY_KEY_NAME else base.with_suffix(".key")
        fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(mark_demo(pem) if demo else pem)
        base.with_suffix(".pub").write_bytes(mark_demo(public) if demo else public)
        return True
