"""Ed25519 note keys: key IDs, verifier key text, signatures, PEM storage."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.audit.errors import MalformedKeyError, SignatureVerificationError
from gateway.audit.signer import (
    NoteSigner,
    NoteVerifier,
    b64decode_strict,
    compute_key_id,
    generate_signer,
    is_valid_key_name,
    signer_from_pem,
)

# The example key of Go's golang.org/x/mod/sumdb/note package documentation.
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_PRIVATE_SEED = base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")[1:]
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIGNATURE = base64.b64decode(
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
)

FIXED_SEED = hashlib.sha256(b"gateway audit unit tests: fixed key").digest()


def fixed_signer(name: str = "log.example/test") -> NoteSigner:
    return NoteSigner(name, Ed25519PrivateKey.from_private_bytes(FIXED_SEED))


def test_key_id_is_the_first_four_bytes_of_sha256_of_name_newline_type_and_key() -> None:
    signer = fixed_signer()
    public = signer.verifier.public_key_bytes
    by_hand = hashlib.sha256(b"log.example/test" + b"\x0a" + b"\x01" + public).digest()[:4]
    assert signer.key_id == by_hand
    assert compute_key_id("log.example/test", public) == by_hand
    assert len(public) == 32


def test_key_id_of_the_go_example_key_is_c74f20a3() -> None:
    signer = NoteSigner("PeterNeumann", Ed25519PrivateKey.from_private_bytes(GO_PRIVATE_SEED))
    assert signer.key_id.hex() == "c74f20a3"
    assert signer.verifier_key_text() == GO_VKEY


def test_signatures_are_byte_for_byte_those_of_the_go_note_package() -> None:
    signer = NoteSigner("PeterNeumann", Ed25519PrivateKey.from_private_bytes(GO_PRIVATE_SEED))
    assert signer.key_id + signer.sign(GO_TEXT.encode()) == GO_SIGNATURE
    NoteVerifier.from_text(GO_VKEY).verify(GO_TEXT.encode(), GO_SIGNATURE[4:])


def test_verifier_key_text_round_trips() -> None:
    verifier = generate_signer("witness.example/abc").verifier
    text = verifier.verifier_key_text()
    name, key_id, material = text.split("+", 2)
    assert name == "witness.example/abc"
    assert key_id == verifier.key_id.hex()
    assert base64.b64decode(material) == b"\x01" + verifier.public_key_bytes
    parsed = NoteVerifier.from_text(text)
    assert parsed == verifier
    assert hash(parsed) == hash(verifier)
    assert parsed.verifier_key_text() == text


def test_every_truncation_or_single_character_change_of_a_verifier_key_is_rejected() -> None:
    for begin in range(len(GO_VKEY)):
        for end in range(begin + 1, len(GO_VKEY) + 1):
            if (begin, end) != (0, len(GO_VKEY)):
                with pytest.raises(MalformedKeyError):
                    NoteVerifier.from_text(GO_VKEY[begin:end])
    for position, char in enumerate(GO_VKEY):
        changed = GO_VKEY[:position] + chr(ord(char) + 1) + GO_VKEY[position + 1 :]
        with pytest.raises(MalformedKeyError):
            NoteVerifier.from_text(changed)


@pytest.mark.parametrize(
    "vkey",
    [
        pytest.param(
            "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", id="upper-hex"
        ),
        pytest.param(
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq_LDE4izWy10TW", id="urlsafe"
        ),
        pytest.param("PeterNeumann+c74f20a3", id="two-fields"),
        pytest.param(
            "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", id="space"
        ),
        pytest.param("+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", id="empty-name"),
        pytest.param(
            "PeterNeumann+c74f20a3+" + base64.b64encode(b"\x02" + bytes(32)).decode(), id="type-2"
        ),
        pytest.param(
            "PeterNeumann+c74f20a3+" + base64.b64encode(b"\x01" + bytes(31)).decode(),
            id="short-key",
        ),
    ],
)
def test_malformed_verifier_keys_are_rejected(vkey: str) -> None:
    with pytest.raises(MalformedKeyError):
        NoteVerifier.from_text(vkey)


def test_a_bad_signature_raises_and_never_returns_false() -> None:
    signer = fixed_signer()
    signature = signer.sign(b"message")
    signer.verifier.verify(b"message", signature)
    with pytest.raises(SignatureVerificationError, match="does not verify"):
        signer.verifier.verify(b"massage", signature)
    with pytest.raises(SignatureVerificationError, match="64 bytes"):
        signer.verifier.verify(b"message", signature[:63])
    with pytest.raises(SignatureVerificationError):
        generate_signer("log.example/test").verifier.verify(b"message", signature)


@pytest.mark.parametrize(
    "name",
    ["", "a b", "a+b", "a\tb", "a\nb", "a\u00a0b", "a\u2003b", "a\u3000b", "a\x00b", "a\x7fb"],
)
def test_key_names_with_spaces_plus_or_controls_are_refused(name: str) -> None:
    assert not is_valid_key_name(name)
    with pytest.raises(ValueError, match="invalid key name"):
        generate_signer(name)


def test_key_names_may_be_urls_and_non_ascii() -> None:
    for name in ("irs.example.gov/taxpayer-gateway/decisions", "журнал.example/лог", "a—b"):
        assert is_valid_key_name(name)


def test_private_key_survives_a_pem_round_trip() -> None:
    signer = fixed_signer()
    pem = signer.to_pem()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    loaded = signer_from_pem(signer.name, pem)
    assert loaded.key_id == signer.key_id
    assert loaded.sign(b"x") == signer.sign(b"x")


def test_encrypted_pem_needs_its_password() -> None:
    signer = fixed_signer()
    pem = signer.to_pem(password=b"correct horse")
    assert b"ENCRYPTED" in pem
    assert signer_from_pem(signer.name, pem, password=b"correct horse").key_id == signer.key_id
    with pytest.raises(ValueError, match="cannot load"):
        signer_from_pem(signer.name, pem, password=b"wrong")
    with pytest.raises(ValueError, match="cannot load"):
        signer_from_pem(signer.name, pem)


def test_pem_that_is_not_an_ed25519_key_is_refused() -> None:
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(ValueError, match="not an Ed25519 key"):
        signer_from_pem("log.example/test", ec_pem)
    with pytest.raises(ValueError, match="cannot load"):
        signer_from_pem("log.example/test", b"not a pem")


def test_generated_keys_are_distinct() -> None:
    first, second = generate_signer("log.example/a"), generate_signer("log.example/a")
    assert first.verifier != second.verifier
    assert first.verifier != "not a verifier"
    assert "log.example/a" in repr(first)
    assert first.verifier_key_text() in repr(first.verifier)


def test_strict_base64_accepts_only_the_canonical_encoding() -> None:
    assert b64decode_strict("AAE=") == b"\x00\x01"
    for text in ("AAF=", "AAE", "AAE==", "AA E=", "AA-_", "ÄAE=", "AAE=\n"):
        with pytest.raises(ValueError, match="base64"):
            b64decode_strict(text)
