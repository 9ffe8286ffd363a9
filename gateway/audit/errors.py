"""Errors raised by the decision log's cryptographic core.

Verification never returns a boolean: it returns ``None`` or raises one of the
classes below. Everything a verifier can be fed by an untrusted party (proofs,
roots, sizes, notes, verifier keys) ends in an :class:`AuditVerificationError`,
so a caller that catches the root catches every way the evidence can be wrong::

    AuditVerificationError              the evidence does not prove what it claims
      RootMismatchError                 a recomputed root differs from the expected one
      MalformedProofError               wrong proof length, element size, index or sizes
      InconsistentCheckpointError       two checkpoints cannot be states of one append-only log
      SignatureVerificationError        no trusted key verified the note, or a trusted key's
                                        signature is bad, or the origin is not the key's name
      MalformedCheckpointError          note or checkpoint text violates C2SP signed-note /
                                        tlog-checkpoint syntax
      MalformedKeyError                 verifier key text is not ``<name>+<id>+<base64 key>``

    CanonicalizationError (ValueError)  a record cannot be encoded with RFC 8785; raised
                                        when *writing* a leaf, never by a verifier

This tree is separate from the HTTP error tree in :mod:`gateway.errors`: these
classes describe evidence, not requests, and carry no HTTP status. Messages hold
hashes, sizes and key names only, never record contents.
"""

from __future__ import annotations


class AuditVerificationError(Exception):
    """Root of every failure to verify log evidence."""


class RootMismatchError(AuditVerificationError):
    """A root recomputed from a proof differs from the root it should equal."""

    def __init__(self, expected: bytes, calculated: bytes) -> None:
        super().__init__(
            f"calculated root {calculated.hex()} does not match expected root {expected.hex()}"
        )
        self.expected = expected
        self.calculated = calculated


class MalformedProofError(AuditVerificationError):
    """A proof or its parameters cannot be a valid RFC 9162 proof."""


class InconsistentCheckpointError(AuditVerificationError):
    """Two checkpoints cannot both be states of one append-only log."""


class SignatureVerificationError(AuditVerificationError):
    """A signed note is not signed as required by a trusted key."""


class MalformedCheckpointError(AuditVerificationError):
    """A signed note or checkpoint text is not well formed."""


class MalformedKeyError(AuditVerificationError):
    """A verifier key text cannot be parsed or its key ID does not match its key."""


class CanonicalizationError(ValueError):
    """A value cannot be serialized with RFC 8785 (JSON Canonicalization Scheme)."""
