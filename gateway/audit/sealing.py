"""Keeps personal data out of the decision log while letting auditors use it.

Subjects appear in log records only as HMAC-SHA256 pseudonyms under a key the
auditors hold (so the accounting of one taxpayer's disclosures can be found by
recomputing the pseudonym of the TIN), and the full policy input is sealed with
AES-256-GCM so that whoever holds the audit key can replay the decision. Both
keys are recorded by key id (the first 8 bytes of their SHA-256, in hex) so
they can be rotated without losing old records: ``gateway keys rotate
sealing|pseudonym`` (:func:`rotate_key_file`) keeps the retired key in
``GATEWAY_RETIRED_KEYS_DIR``, :meth:`AuditKeys.unseal` opens a leaf with the key
its ``key_id`` names, and :meth:`AuditKeys.pseudonyms` gives a TIN's pseudonym
under every key, so a taxpayer's accounting finds leaves from before and after.
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

from gateway.auth.keys import DEMO_MARK, write_key_file

PSEUDONYM_KEY_FILE = "audit-pseudonym.key"
SEALING_KEY_FILE = "audit-sealing.key"
KEY_SIZE = 32
_DEMO_TAIL = b"\n" + DEMO_MARK + b"\n"
ROLES = ("pseudonym", "sealing")


def key_id(key: bytes) -> str:
    """The id a leaf records for an audit key: the first 8 bytes of its SHA-256, in hex."""
    return hashlib.sha256(key).hexdigest()[:16]


_key_id = key_id


def read_key(path: Path) -> bytes:
    """The 32-byte key in ``path`` (a demo key file carries the demo mark after it)."""
    data = path.read_bytes()
    if len(data) == KEY_SIZE or (
        len(data) == KEY_SIZE + len(_DEMO_TAIL) and data.endswith(_DEMO_TAIL)
    ):
        return data[:KEY_SIZE]
    raise ValueError(f"{path.name} must hold exactly {KEY_SIZE} bytes")


def new_key_bytes(*, demo: bool) -> tuple[bytes, bytes]:
    """A fresh random key and the file content that holds it."""
    key = os.urandom(KEY_SIZE)
    return key, key + _DEMO_TAIL if demo else key


def _load_or_create(path: Path, *, demo: bool = True) -> bytes:
    if path.exists():
        return read_key(path)
    key, content = new_key_bytes(demo=demo)
    if not write_key_file(path, content):  # another process created it first: keep theirs
        return read_key(path)
    return key


def retired_key_path(retired_dir: Path, role: str, key: bytes) -> Path:
    return retired_dir / f"{role}-{key_id(key)}.key"


def _retired(retired_dir: Path | None, role: str) -> tuple[bytes, ...]:
    if retired_dir is None or not retired_dir.is_dir():
        return ()
    return tuple(read_key(p) for p in sorted(retired_dir.glob(f"{role}-*.key")))


@dataclass(frozen=True)
class AuditKeys:
    """The audit keys in force, and the retired ones still needed to read older leaves."""

    pseudonym_key: bytes
    sealing_key: bytes
    retired_pseudonym_keys: tuple[bytes, ...] = ()
    retired_sealing_keys: tuple[bytes, ...] = ()

    @classmethod
    def load(
        cls, pseudonym_file: Path, sealing_file: Path, retired_dir: Path | None = None
    ) -> AuditKeys:
        """Read provisioned keys; FileNotFoundError if one is missing (nothing is created)."""
        return cls(
            pseudonym_key=read_key(pseudonym_file),
            sealing_key=read_key(sealing_file),
            retired_pseudonym_keys=_retired(retired_dir, "pseudonym"),
            retired_sealing_keys=_retired(retired_dir, "sealing"),
        )

    @classmethod
    def load_or_create(
        cls, keys_dir: Path, *, retired_dir: Path | None = None, demo: bool = True
    ) -> AuditKeys:
        """The development layout under ``keys_dir``, creating (demo) keys that are missing."""
        return cls(
            pseudonym_key=_load_or_create(keys_dir / PSEUDONYM_KEY_FILE, demo=demo),
            sealing_key=_load_or_create(keys_dir / SEALING_KEY_FILE, demo=demo),
            retired_pseudonym_keys=_retired(retired_dir or keys_dir / "retired", "pseudonym"),
            retired_sealing_keys=_retired(retired_dir or keys_dir / "retired", "sealing"),
        )

    @property
    def pseudonym_key_id(self) -> str:
        return _key_id(self.pseudonym_key)

    @property
    def sealing_key_id(self) -> str:
        return _key_id(self.sealing_key)

    def pseudonym(self, kind: str, value: str) -> str:
        """A stable, keyed stand-in for ``value``; ``kind`` keeps TINs and names apart."""
        return _hmac(self.pseudonym_key, kind, value)

    def pseudonyms(self, kind: str, value: str) -> dict[str, str]:
        """``value``'s pseudonym under every key, in force and retired, by key id.

        Leaves written before a pseudonym key rotation name the taxpayer under the
        key of their day; finding all of a taxpayer's leaves needs every one.
        """
        keys = (self.pseudonym_key, *self.retired_pseudonym_keys)
        return {_key_id(k): _hmac(k, kind, value) for k in keys}

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
        """Open ``sealed`` with the key its ``key_id`` names, in force or retired."""
        wanted = sealed.get("key_id")
        for key in (self.sealing_key, *self.retired_sealing_keys):
            if _key_id(key) == wanted:
                nonce = base64.b64decode(sealed["nonce"])
                ct = base64.b64decode(sealed["ciphertext"])
                return AESGCM(key).decrypt(nonce, ct, associated_data)
        raise ValueError("sealed with a different key")


def _hmac(key: bytes, kind: str, value: str) -> str:
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def rotate_key_file(path: Path, retired_dir: Path, role: str, *, demo: bool) -> tuple[str, str]:
    """Retire the key in ``path`` (kept in ``retired_dir`` to read older leaves) and put a
    new one in its place; returns (old key id, new key id).

    The old key is copied to the retired directory first and the new one written to
    a temporary file that is renamed over ``path``, so a crash leaves either the old
    key in force (with a harmless retired copy) or the new one, never neither.
    """
    if role not in ROLES:
        raise ValueError(f"unknown audit key role {role!r}")
    old = read_key(path)
    kept = retired_key_path(retired_dir, role, old)
    if not write_key_file(kept, old) and read_key(kept) != old:
        raise FileExistsError(f"{kept} holds another key")
    new, content = new_key_bytes(demo=demo)
    pending = path.with_name(path.name + ".new")
    pending.unlink(missing_ok=True)
    write_key_file(pending, content)
    os.replace(pending, path)
    return key_id(old), key_id(new)
