"""Checkpoints (C2SP tlog-checkpoint) in signed notes (C2SP signed-note)."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.audit.checkpoint import (
    MAX_SIGNATURES,
    Checkpoint,
    NoteSignature,
    SignedNote,
    open_note,
    sign,
    sign_checkpoint,
    verify_checkpoint_consistency,
)
from gateway.audit.errors import (
    InconsistentCheckpointError,
    MalformedCheckpointError,
    RootMismatchError,
    SignatureVerificationError,
)
from gateway.audit.merkle import (
    EMPTY_ROOT,
    consistency_proof_from_leaf_hashes,
    leaf_hash,
    root_from_leaf_hashes,
)
from gateway.audit.signer import NoteSigner, NoteVerifier, generate_signer

ORIGIN = "irs.example.gov/taxpayer-gateway/decisions"
LEAF_HASHES = [leaf_hash(f"record {i}".encode()) for i in range(20)]
ROOT_8 = root_from_leaf_hashes(LEAF_HASHES[:8])
LOG = NoteSigner(
    ORIGIN, Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"checkpoint tests").digest())
)
WITNESS = generate_signer("witness.example/w1")

GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_NOTE = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
    "\n"
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKv"
    "qfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def checkpoint(size: int = 8, root: bytes = ROOT_8) -> Checkpoint:
    return Checkpoint(origin=ORIGIN, size=size, root=root)


def signed_checkpoint(size: int = 8, root: bytes = ROOT_8) -> str:
    return sign_checkpoint(checkpoint(size, root), LOG)


# --- checkpoint text ---------------------------------------------------------------


def test_checkpoint_text_is_origin_size_and_base64_root_each_ending_in_newline() -> None:
    text = checkpoint().to_text()
    assert text == f"{ORIGIN}\n8\n{base64.b64encode(ROOT_8).decode()}\n"
    assert Checkpoint(ORIGIN, 0, EMPTY_ROOT).to_text().split("\n")[1] == "0"


origins = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=40
)


@settings(max_examples=200, deadline=None)
@given(
    origin=origins,
    size=st.integers(0, 2**64 - 1),
    root=st.binary(min_size=32, max_size=32),
    extensions=st.lists(origins, max_size=3),
)
def test_checkpoint_text_round_trips(
    origin: str, size: int, root: bytes, extensions: list[str]
) -> None:
    cp = Checkpoint(origin=origin, size=size, root=root, extensions=tuple(extensions))
    assert Checkpoint.from_text(cp.to_text()) == cp


def test_extension_lines_are_preserved() -> None:
    text = checkpoint().to_text() + "first extension\nsecond extension\n"
    cp = Checkpoint.from_text(text)
    assert cp.extensions == ("first extension", "second extension")
    assert cp.to_text() == text


ROOT_B64 = base64.b64encode(ROOT_8).decode()


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(f"{ORIGIN}\n8\n{ROOT_B64}", id="no-final-newline"),
        pytest.param(f"{ORIGIN}\n8\n", id="no-root-line"),
        pytest.param(f"\n8\n{ROOT_B64}\n", id="empty-origin"),
        pytest.param(f"{ORIGIN}\n08\n{ROOT_B64}\n", id="leading-zero"),
        pytest.param(f"{ORIGIN}\n00\n{ROOT_B64}\n", id="double-zero"),
        pytest.param(f"{ORIGIN}\n+8\n{ROOT_B64}\n", id="plus-sign"),
        pytest.param(f"{ORIGIN}\n-8\n{ROOT_B64}\n", id="negative"),
        pytest.param(f"{ORIGIN}\n 8\n{ROOT_B64}\n", id="leading-space"),
        pytest.param(f"{ORIGIN}\n8 \n{ROOT_B64}\n", id="trailing-space"),
        pytest.param(f"{ORIGIN}\n1_0\n{ROOT_B64}\n", id="underscore"),
        pytest.param(f"{ORIGIN}\n\u0668\n{ROOT_B64}\n", id="arabic-indic-digit"),
        pytest.param(f"{ORIGIN}\n{2**64}\n{ROOT_B64}\n", id="size-2-to-the-64"),
        pytest.param(f"{ORIGIN}\n8\n{base64.b64encode(ROOT_8[:31]).decode()}\n", id="root-31"),
        pytest.param(f"{ORIGIN}\n8\n{base64.b64encode(ROOT_8 + b'x').decode()}\n", id="root-33"),
        pytest.param(f"{ORIGIN}\n8\n{ROOT_B64.rstrip('=')}\n", id="root-unpadded"),
        pytest.param(f"{ORIGIN}\n8\n{ROOT_8.hex()}\n", id="root-hex"),
        pytest.param(f"{ORIGIN}\n8\n{ROOT_B64}\n\n", id="empty-extension"),
        pytest.param(f"{ORIGIN}\r\n8\r\n{ROOT_B64}\r\n", id="crlf"),
        pytest.param(f"{ORIGIN}\x00\n8\n{ROOT_B64}\n", id="nul"),
    ],
)
def test_malformed_checkpoint_text_is_rejected(text: str) -> None:
    with pytest.raises(MalformedCheckpointError):
        Checkpoint.from_text(text)


def test_largest_64_bit_size_is_accepted() -> None:
    text = f"{ORIGIN}\n{2**64 - 1}\n{ROOT_B64}\n"
    assert Checkpoint.from_text(text).size == 2**64 - 1


@pytest.mark.parametrize(
    ("origin", "size", "root", "extensions"),
    [
        pytest.param("", 8, ROOT_8, (), id="empty-origin"),
        pytest.param("a\nb", 8, ROOT_8, (), id="newline-in-origin"),
        pytest.param(ORIGIN, -1, ROOT_8, (), id="negative-size"),
        pytest.param(ORIGIN, 2**64, ROOT_8, (), id="size-too-large"),
        pytest.param(ORIGIN, 8, ROOT_8[:31], (), id="short-root"),
        pytest.param(ORIGIN, 8, ROOT_8, ("",), id="empty-extension"),
        pytest.param(ORIGIN, 8, ROOT_8, ("a\nb",), id="newline-in-extension"),
    ],
)
def test_checkpoint_refuses_values_it_could_not_write_back(
    origin: str, size: int, root: bytes, extensions: tuple[str, ...]
) -> None:
    with pytest.raises(ValueError, match=r"checkpoint|extension"):
        Checkpoint(origin=origin, size=size, root=root, extensions=extensions)


# --- signing and opening -------------------------------------------------------------


def test_signed_checkpoint_is_the_text_a_blank_line_and_an_em_dash_signature_line() -> None:
    note = signed_checkpoint()
    text, signature_line = note.split("\n\n")
    assert text + "\n" == checkpoint().to_text()
    match = re.fullmatch(rf"\u2014 {re.escape(ORIGIN)} ([A-Za-z0-9+/]+=*)\n", signature_line)
    assert match is not None
    blob = base64.b64decode(match.group(1))
    assert blob[:4] == LOG.key_id
    LOG.verifier.verify(text.encode() + b"\n", blob[4:])


def test_signed_checkpoint_opens_to_the_same_checkpoint() -> None:
    assert open_note(signed_checkpoint(), [LOG.verifier]) == checkpoint()
    assert open_note(signed_checkpoint().encode(), [LOG.verifier]) == checkpoint()


def test_signed_note_text_round_trips() -> None:
    note = SignedNote.from_text(signed_checkpoint()).add_signature(WITNESS)
    assert SignedNote.from_text(note.to_text()) == note
    assert note.verify([LOG.verifier, WITNESS.verifier]) == (LOG.verifier, WITNESS.verifier)


def test_the_go_note_package_example_parses_and_verifies() -> None:
    note = SignedNote.from_text(GO_NOTE)
    verifier = NoteVerifier.from_text(GO_VKEY)
    assert note.verify([verifier]) == (verifier,)
    assert note.to_text() == GO_NOTE
    # It is a valid note but not a checkpoint, and is parsed as one only after it verified.
    with pytest.raises(MalformedCheckpointError):
        open_note(GO_NOTE, [verifier])


def _tampered(old: str, new: str) -> str:
    note = signed_checkpoint()
    assert old in note
    return note.replace(old, new, 1)


def test_a_changed_size_fails_verification() -> None:
    with pytest.raises(SignatureVerificationError):
        open_note(_tampered("\n8\n", "\n9\n"), [LOG.verifier])


def test_a_changed_root_fails_verification() -> None:
    other = base64.b64encode(root_from_leaf_hashes(LEAF_HASHES[:7])).decode()
    with pytest.raises(SignatureVerificationError):
        open_note(_tampered(ROOT_B64, other), [LOG.verifier])


def test_every_changed_signature_byte_fails_verification() -> None:
    note = SignedNote.from_text(signed_checkpoint())
    original = note.signatures[0]
    for position in range(len(original.signature)):
        changed = bytearray(original.signature)
        changed[position] ^= 0x80
        bad = NoteSignature(original.name, original.key_id, bytes(changed))
        with pytest.raises(SignatureVerificationError):
            open_note(SignedNote(note.text, (bad,)).to_text(), [LOG.verifier])


def test_another_key_with_the_log_name_does_not_verify() -> None:
    impostor = generate_signer(ORIGIN)
    with pytest.raises(SignatureVerificationError, match="no signature by a trusted key"):
        open_note(signed_checkpoint(), [impostor.verifier])
    with pytest.raises(SignatureVerificationError):
        open_note(sign_checkpoint(checkpoint(), impostor), [LOG.verifier])


def test_an_extra_unknown_signature_is_ignored() -> None:
    note = SignedNote.from_text(signed_checkpoint()).add_signature(WITNESS).to_text()
    assert open_note(note, [LOG.verifier]) == checkpoint()
    unknown_first = SignedNote.from_text(sign(checkpoint().to_text(), WITNESS))
    assert open_note(unknown_first.add_signature(LOG).to_text(), [LOG.verifier]) == checkpoint()


def test_a_repeated_signature_line_counts_its_key_once() -> None:
    note = SignedNote.from_text(signed_checkpoint())
    doubled = SignedNote(note.text, (note.signatures[0], note.signatures[0]))
    assert doubled.verify([LOG.verifier]) == (LOG.verifier,)


def test_a_note_without_a_trusted_signature_is_rejected() -> None:
    only_witness = sign(checkpoint().to_text(), WITNESS)
    with pytest.raises(SignatureVerificationError, match="no signature by a trusted key"):
        open_note(only_witness, [LOG.verifier])
    with pytest.raises(SignatureVerificationError, match="no signature by a trusted key"):
        open_note(signed_checkpoint(), [])


def test_a_bad_signature_by_a_trusted_witness_rejects_the_whole_note() -> None:
    note = SignedNote.from_text(signed_checkpoint()).add_signature(WITNESS)
    good_witness = note.signatures[1]
    bad_witness = NoteSignature(
        good_witness.name, good_witness.key_id, bytes(64)
    )  # right key ID, wrong bytes
    tampered = SignedNote(note.text, (note.signatures[0], bad_witness)).to_text()
    assert open_note(tampered, [LOG.verifier]) == checkpoint()  # witness unknown: ignored
    with pytest.raises(SignatureVerificationError):
        open_note(tampered, [LOG.verifier, WITNESS.verifier])


def test_the_origin_must_be_the_name_of_a_trusted_key_that_signed() -> None:
    foreign = Checkpoint(origin="other.example/log", size=8, root=ROOT_8)
    note = sign(foreign.to_text(), LOG)
    with pytest.raises(SignatureVerificationError, match="origin"):
        open_note(note, [LOG.verifier])
    witnessed_only = sign(checkpoint().to_text(), WITNESS)
    with pytest.raises(SignatureVerificationError, match="origin"):
        open_note(witnessed_only, [LOG.verifier, WITNESS.verifier])
    with pytest.raises(ValueError, match="must be equal"):
        sign_checkpoint(foreign, LOG)


class CollidingVerifier(NoteVerifier):
    """Another key whose (name, key ID) collides with the log key's: 2**32 work, faked here."""

    @property
    def key_id(self) -> bytes:
        return LOG.key_id


def test_ambiguous_trusted_keys_are_refused() -> None:
    twin = CollidingVerifier(ORIGIN, generate_signer(ORIGIN).verifier.public_key)
    with pytest.raises(SignatureVerificationError, match="share the name"):
        open_note(signed_checkpoint(), [LOG.verifier, twin])
    # The same key listed twice is not ambiguous.
    assert open_note(signed_checkpoint(), [LOG.verifier, LOG.verifier]) == checkpoint()


def test_sixteen_and_up_to_the_limit_of_signatures_are_accepted() -> None:
    strangers = [generate_signer(f"stranger.example/{i}") for i in range(MAX_SIGNATURES)]
    note = SignedNote.from_text(signed_checkpoint())
    for stranger in strangers[:15]:
        note = note.add_signature(stranger)
    assert len(note.signatures) == 16
    assert open_note(note.to_text(), [LOG.verifier]) == checkpoint()
    for stranger in strangers[15 : MAX_SIGNATURES - 1]:
        note = note.add_signature(stranger)
    assert len(note.signatures) == MAX_SIGNATURES >= 16
    assert open_note(note.to_text(), [LOG.verifier]) == checkpoint()
    with pytest.raises(ValueError, match="at most"):
        note.add_signature(strangers[-1])
    one_too_many = note.to_text() + note.signatures[-1].to_line()
    with pytest.raises(MalformedCheckpointError, match="at most"):
        open_note(one_too_many, [LOG.verifier])


@pytest.mark.parametrize(
    "control", ["\x00", "\x07", "\t", "\r", "\x0b", "\x0c", "\x1b", "\x7f", "\x85"]
)
def test_control_characters_anywhere_in_a_note_are_rejected(control: str) -> None:
    note = signed_checkpoint()
    for position in (0, len(ORIGIN), note.index("\u2014") + 1, len(note) - 1):
        with pytest.raises(MalformedCheckpointError, match="control character"):
            open_note(note[:position] + control + note[position:], [LOG.verifier])


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param("\u2014 ", "- ", id="hyphen-instead-of-em-dash"),
        pytest.param("\u2014 ", "\u2014", id="no-space-after-dash"),
        pytest.param(f"{ORIGIN} ", f"{ORIGIN}  ", id="two-spaces"),
        pytest.param(f"\u2014 {ORIGIN} ", f"\u2014 {ORIGIN}+x ", id="plus-in-key-name"),
        pytest.param(f"\u2014 {ORIGIN} ", "\u2014  ", id="empty-key-name"),
        pytest.param("\n\n", "\n", id="no-blank-line"),
    ],
)
def test_malformed_signature_lines_are_rejected(old: str, new: str) -> None:
    with pytest.raises(MalformedCheckpointError):
        open_note(_tampered(old, new), [LOG.verifier])


def test_signature_blobs_must_be_canonical_base64_with_a_key_id_and_a_signature() -> None:
    text = checkpoint().to_text()
    short = base64.b64encode(LOG.key_id).decode()
    for blob in (short, "!!!!", base64.b64encode(LOG.key_id + bytes(64)).decode().rstrip("=")):
        with pytest.raises(MalformedCheckpointError):
            open_note(f"{text}\n\u2014 {ORIGIN} {blob}\n", [LOG.verifier])


def test_note_structure_errors_are_reported_as_malformed() -> None:
    note = signed_checkpoint()
    for bad in (note[:-1], checkpoint().to_text() + "\n", checkpoint().to_text()):
        with pytest.raises(MalformedCheckpointError):
            open_note(bad, [LOG.verifier])


def test_invalid_utf8_is_rejected() -> None:
    note = signed_checkpoint().encode()
    with pytest.raises(MalformedCheckpointError, match="UTF-8"):
        open_note(note[:2] + b"\xff" + note[2:], [LOG.verifier])
    with pytest.raises(MalformedCheckpointError, match="UTF-8"):
        open_note("\ud800" + signed_checkpoint(), [LOG.verifier])


def test_signatures_are_checked_before_the_checkpoint_is_parsed() -> None:
    malformed = f"{ORIGIN}\n08\n{ROOT_B64}\n"
    with pytest.raises(MalformedCheckpointError):
        open_note(sign(malformed, LOG), [LOG.verifier])
    with pytest.raises(SignatureVerificationError):
        open_note(sign(malformed, WITNESS), [LOG.verifier])


def test_sign_refuses_text_that_would_not_make_a_valid_note() -> None:
    for text in ("no final newline", "a\rb\n", "tab\there\n", "\ud800\n"):
        with pytest.raises(ValueError, match=r"newline|control|surrogate"):
            sign(text, LOG)


def test_note_texts_may_contain_empty_lines() -> None:
    text = "first\n\nthird\n"
    note = SignedNote.from_text(sign(text, LOG))
    assert note.text == text
    assert note.verify([LOG.verifier]) == (LOG.verifier,)


# --- consistency between checkpoints -----------------------------------------------------


def test_a_checkpoint_extended_by_appends_is_consistent() -> None:
    older, newer = (
        checkpoint(5, root_from_leaf_hashes(LEAF_HASHES[:5])),
        checkpoint(13, root_from_leaf_hashes(LEAF_HASHES[:13])),
    )
    proof = consistency_proof_from_leaf_hashes(5, LEAF_HASHES[:13])
    verify_checkpoint_consistency(older, newer, proof)
    verify_checkpoint_consistency(newer, newer, [])


def test_a_rewritten_history_is_inconsistent_and_the_cause_is_kept() -> None:
    rewritten = [*LEAF_HASHES[:3], leaf_hash(b"forged"), *LEAF_HASHES[4:13]]
    older = checkpoint(5, root_from_leaf_hashes(LEAF_HASHES[:5]))
    newer = checkpoint(13, root_from_leaf_hashes(rewritten))
    proof = consistency_proof_from_leaf_hashes(5, rewritten)
    with pytest.raises(InconsistentCheckpointError) as caught:
        verify_checkpoint_consistency(older, newer, proof)
    assert isinstance(caught.value.__cause__, RootMismatchError)


def test_checkpoints_of_different_logs_or_a_shrinking_log_are_inconsistent() -> None:
    other = Checkpoint("other.example/log", 8, ROOT_8)
    with pytest.raises(InconsistentCheckpointError, match="different logs"):
        verify_checkpoint_consistency(checkpoint(), other, [])
    smaller = checkpoint(5, root_from_leaf_hashes(LEAF_HASHES[:5]))
    with pytest.raises(InconsistentCheckpointError):
        verify_checkpoint_consistency(checkpoint(), smaller, [])
    with pytest.raises(InconsistentCheckpointError):
        verify_checkpoint_consistency(checkpoint(), checkpoint(8, EMPTY_ROOT), [])
