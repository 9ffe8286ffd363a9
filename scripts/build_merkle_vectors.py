#!/usr/bin/env python3
"""Rebuild the Merkle-tree and signed-checkpoint test vectors under tests/assets/merkle/.

    uv run python scripts/build_merkle_vectors.py           # rewrite the vectors
    uv run python scripts/build_merkle_vectors.py --check   # exit 1 if they would change

The vectors are derived independently of ``gateway.audit``: this script
imports nothing from it. Roots and proofs come from the recursive definitions
of RFC 9162 §2.1 (MTH, PATH, SUBPROOF) written out naively below, and signed
notes are formatted by hand from C2SP signed-note / tlog-checkpoint and signed
with a fixed Ed25519 test key (RFC 8032 signatures are deterministic). The
test suite then checks the gateway's fast code against these files, and runs
``--check`` so that any change to them shows up as a reviewed diff.

Each vector is named after the one mutation it applies to a valid input and
says which error class a verifier must raise (``want_error``, or null).
"""

from __future__ import annotations

import argparse
import base64
import difflib
import hashlib
import json
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ROOT_DIR = Path(__file__).resolve().parent.parent
ASSETS = ROOT_DIR / "tests" / "assets" / "merkle"

ROOT_MISMATCH = "RootMismatchError"
MALFORMED_PROOF = "MalformedProofError"
MALFORMED_CHECKPOINT = "MalformedCheckpointError"
SIGNATURE = "SignatureVerificationError"

# RFC 6962 test inputs: the leaves of the reference tree.
REFERENCE_LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]

# Published roots of that tree (design/LOG_FORMATS.md; transparency-dev/merkle testdata).
KNOWN_ROOTS = {
    0: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}

LOG_ORIGIN = "log.example/taxpayer-gateway/test-vectors"
WITNESS_NAME = "witness.example/w1"


# --- RFC 9162 §2.1, naively -------------------------------------------------


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def mth(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) exactly as RFC 9162 §2.1.1 defines it (leaves are raw data)."""
    n = len(leaves)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return sha256(b"\x00" + leaves[0])
    k = largest_power_of_two_below(n)
    return sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def largest_power_of_two_below(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def path(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]), RFC 9162 §2.1.3.1."""
    n = len(leaves)
    if n == 1:
        return []
    k = largest_power_of_two_below(n)
    if m < k:
        return [*path(m, leaves[:k]), mth(leaves[k:])]
    return [*path(m - k, leaves[k:]), mth(leaves[:k])]


def proof(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]), RFC 9162 §2.1.4.1 (for 0 < m < n)."""
    return subproof(m, leaves, True)


def subproof(m: int, leaves: Sequence[bytes], complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [mth(leaves)]
    k = largest_power_of_two_below(n)
    if m <= k:
        return [*subproof(m, leaves[:k], complete), mth(leaves[k:])]
    return [*subproof(m - k, leaves[k:], False), mth(leaves[:k])]


def path_shape(m: int, n: int) -> tuple[bool, ...]:
    """For each element of PATH(m, D[n]), bottom-up: is it a left sibling?"""
    if n == 1:
        return ()
    k = largest_power_of_two_below(n)
    if m < k:
        return (*path_shape(m, k), False)
    return (*path_shape(m - k, n - k), True)


def proof_shape(m: int, n: int) -> tuple[bool, ...]:
    """For PROOF(m, D[n]): does it start from the first root, then, per element, left sibling?"""
    return (m & (m - 1) == 0, *subproof_shape(m, n, True))


def subproof_shape(m: int, n: int, complete: bool) -> tuple[bool, ...]:
    if m == n:
        return () if complete else (False,)
    k = largest_power_of_two_below(n)
    if m <= k:
        return (*subproof_shape(m, k, complete), False)
    return (*subproof_shape(m - k, n - k, False), True)


# A verifier's arithmetic depends on the sizes only through the shape above: a
# mutation of the sizes that keeps the shape (and every hash) leads to the same
# root and is accepted. A proof alone does not bind the tree size; the signed
# checkpoint that supplies the root and size does.
SAME_SHAPE = "; the proof has the same shape for these sizes, so it is still accepted"


def inclusion_outcome(v: dict[str, Any], base: dict[str, Any]) -> str | None:
    """What an RFC 9162 §2.1.3.2 verifier must do with mutated inclusion inputs `v`."""
    index, size, proof_hashes = v["index"], v["size"], v["proof"]
    if not 0 <= index < size or any(len(p) != 32 for p in [*proof_hashes, v["root"]]):
        return MALFORMED_PROOF
    if len(proof_hashes) != len(path_shape(index, size)):
        return MALFORMED_PROOF
    same_hashes = all(v[k] == base[k] for k in ("leaf_hash", "proof", "root"))
    if same_hashes and path_shape(index, size) == path_shape(base["index"], base["size"]):
        return None
    return ROOT_MISMATCH


def consistency_outcome(v: dict[str, Any], base: dict[str, Any]) -> str | None:
    """What an RFC 9162 §2.1.4.2 verifier must do with mutated consistency inputs `v`."""
    first, second, proof_hashes = v["first"], v["second"], v["proof"]
    if first < 0 or first > second or any(len(p) != 32 for p in proof_hashes):
        return MALFORMED_PROOF
    if first in (0, second):
        return MALFORMED_PROOF if proof_hashes else ROOT_MISMATCH
    if len(proof_hashes) != len(proof_shape(first, second)) - 1:
        return MALFORMED_PROOF
    same_hashes = all(v[k] == base[k] for k in ("first_root", "second_root", "proof"))
    if same_hashes and proof_shape(first, second) == proof_shape(base["first"], base["second"]):
        return None
    return ROOT_MISMATCH


def flip(data: bytes) -> bytes:
    """Flip the lowest bit of the first byte."""
    return bytes([data[0] ^ 0x01]) + data[1:]


EXTRA = sha256(b"an element that belongs to no proof")


# --- vector files -------------------------------------------------------------


class Writer:
    def __init__(self, out: Path) -> None:
        self.out = out

    def write(self, relative: str, content: dict[str, Any]) -> None:
        target = self.out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", "utf-8")


def hexes(items: Sequence[bytes]) -> list[str]:
    return [item.hex() for item in items]


def build_roots(w: Writer) -> None:
    roots = []
    for size in range(len(REFERENCE_LEAVES) + 1):
        root = mth(REFERENCE_LEAVES[:size]).hex()
        if size in KNOWN_ROOTS and KNOWN_ROOTS[size] != root:
            raise SystemExit(f"naive root of size {size} disagrees with the published value")
        roots.append({"size": size, "root": root})
    w.write(
        "roots.json",
        {
            "desc": "RFC 9162 roots of the first `size` RFC 6962 reference leaves",
            "leaves": hexes(REFERENCE_LEAVES),
            "leaf_hashes": hexes([sha256(b"\x00" + leaf) for leaf in REFERENCE_LEAVES]),
            "roots": roots,
        },
    )


def build_inclusion(w: Writer) -> None:
    for size in range(1, len(REFERENCE_LEAVES) + 1):
        build_inclusion_for_size(w, size)


def build_inclusion_for_size(w: Writer, size: int) -> None:
    leaves = REFERENCE_LEAVES[:size]
    root = mth(leaves)
    chosen = (size - 1) // 2

    def case(name: str, desc: str, want: str | None, **v: Any) -> None:
        w.write(
            f"inclusion/{size}/{name}.json",
            {
                "desc": desc,
                "want_error": want,
                "leaf_hash": v["leaf_hash"].hex(),
                "index": v["index"],
                "size": v["size"],
                "proof": hexes(v["proof"]),
                "root": v["root"].hex(),
            },
        )

    for index in range(size):
        case(
            "happy-path" if index == chosen else f"happy-path-index-{index}",
            f"inclusion of leaf {index} in a tree of size {size}",
            None,
            leaf_hash=sha256(b"\x00" + leaves[index]),
            index=index,
            size=size,
            proof=path(index, leaves),
            root=root,
        )

    # Every mutation below alters the valid proof of the chosen leaf.
    leaf = sha256(b"\x00" + leaves[chosen])
    p = path(chosen, leaves)
    base = {"leaf_hash": leaf, "index": chosen, "size": size, "proof": p, "root": root}

    def mutated(name: str, desc: str, **changes: Any) -> None:
        v = {**base, **changes}
        want = inclusion_outcome(v, base)
        if want is None:
            name, desc = f"{name}-same-shape", desc + SAME_SHAPE
        case(name, f"leaf {chosen} of size {size}: {desc}", want, **v)

    for i in range(len(p)):
        bad = list(p)
        bad[i] = flip(bad[i])
        mutated(f"bit-flip-proof-{i}", f"proof element {i} has one bit flipped", proof=bad)
    mutated("bit-flip-leaf-hash", "leaf hash has one bit flipped", leaf_hash=flip(leaf))
    mutated("bit-flip-root", "expected root has one bit flipped", root=flip(root))
    mutated(
        "wrong-root",
        "expected root is the root of the tree one leaf smaller",
        root=mth(leaves[:-1]),
    )
    mutated(
        "leaf-data-hash-without-prefix",
        "leaf hash computed without the 0x00 leaf prefix",
        leaf_hash=sha256(leaves[chosen]),
    )
    mutated("extra-proof-element", "an element appended to the proof", proof=[*p, EXTRA])
    mutated("preceding-proof-element", "an element prepended to the proof", proof=[EXTRA, *p])
    if p:
        mutated("missing-proof-element", "last proof element removed", proof=p[:-1])
        mutated(
            "truncated-proof-element",
            "last proof element cut to 31 bytes",
            proof=[*p[:-1], p[-1][:31]],
        )
    if len(p) >= 2:
        mutated("missing-first-proof-element", "first proof element removed", proof=p[1:])
        mutated(
            "swapped-proof-elements", "first two proof elements swapped", proof=[p[1], p[0], *p[2:]]
        )
    if size >= 2:
        other = chosen + 1 if chosen + 1 < size else chosen - 1
        mutated("wrong-index", f"index given as {other}", index=other)
    mutated("index-equals-size", f"index given as {size}", index=size)
    mutated("negative-index", "index given as -1", index=-1)
    mutated("wrong-size", f"size given as {size + 1}", size=size + 1)
    if size >= 2:
        mutated("smaller-size", f"size given as {size - 1}", size=size - 1)
    mutated("size-zero", "size given as 0", size=0)


ConsistencyWrite = Callable[..., None]


def build_consistency(w: Writer) -> None:
    n_leaves = len(REFERENCE_LEAVES)

    def write(folder: str, name: str, desc: str, want: str | None, **v: Any) -> None:
        w.write(
            f"consistency/{folder}/{name}.json",
            {
                "desc": desc,
                "want_error": want,
                "first": v["first"],
                "second": v["second"],
                "first_root": v["first_root"].hex(),
                "second_root": v["second_root"].hex(),
                "proof": hexes(v["proof"]),
            },
        )

    for second in range(2, n_leaves + 1):
        for first in range(1, second):
            build_consistency_for_pair(write, first, second)

    empty, full = sha256(b""), mth(REFERENCE_LEAVES)
    smaller, some = mth(REFERENCE_LEAVES[:-1]), proof(1, REFERENCE_LEAVES)
    n = n_leaves
    edges: list[tuple[str, str, str, str | None, int, int, bytes, bytes, list[bytes]]] = [
        ("0-0", "happy-path", "empty to empty", None, 0, 0, empty, empty, []),
        ("0-0", "wrong-root", "empty to empty, wrong root", ROOT_MISMATCH, 0, 0, empty, full, []),
        (f"0-{n}", "happy-path", f"empty to {n}: empty proof", None, 0, n, empty, full, []),
        (f"0-{n}", "size-zero-nonempty-proof", f"empty to {n} with a proof", MALFORMED_PROOF,
         0, n, empty, full, some),
        (f"0-{n}", "wrong-first-root", "size 0 with a root other than SHA-256('')",
         ROOT_MISMATCH, 0, n, full, full, []),
        (f"{n}-{n}", "happy-path", f"{n} to itself: empty proof, equal roots", None,
         n, n, full, full, []),
        (f"{n}-{n}", "equal-sizes-nonempty-proof", f"{n} to itself with a proof",
         MALFORMED_PROOF, n, n, full, full, some),
        (f"{n}-{n}", "different-roots", f"{n} to itself with different roots", ROOT_MISMATCH,
         n, n, full, flip(full), []),
        (f"{n}-{n}", "first-greater-than-second", f"{n} to {n - 1}", MALFORMED_PROOF,
         n, n - 1, full, smaller, []),
    ]  # fmt: skip
    for folder, name, desc, want, first, second, first_root, second_root, proof_ in edges:
        write(
            folder,
            name,
            desc,
            want,
            first=first,
            second=second,
            first_root=first_root,
            second_root=second_root,
            proof=proof_,
        )


def build_consistency_for_pair(write: ConsistencyWrite, first: int, second: int) -> None:
    folder = f"{first}-{second}"
    r1, r2 = mth(REFERENCE_LEAVES[:first]), mth(REFERENCE_LEAVES[:second])
    p = proof(first, REFERENCE_LEAVES[:second])
    base = {"first": first, "second": second, "first_root": r1, "second_root": r2, "proof": p}
    about = f"from size {first} to {second}"
    write(folder, "happy-path", f"consistency {about}", None, **base)

    def mutated(name: str, desc: str, **changes: Any) -> None:
        v = {**base, **changes}
        want = consistency_outcome(v, base)
        if want is None:
            name, desc = f"{name}-same-shape", desc + SAME_SHAPE
        write(folder, name, f"{about}: {desc}", want, **v)

    for i in range(len(p)):
        bad = list(p)
        bad[i] = flip(bad[i])
        mutated(f"bit-flip-proof-{i}", f"proof element {i} has one bit flipped", proof=bad)
    mutated("bit-flip-first-root", "first root has one bit flipped", first_root=flip(r1))
    mutated("bit-flip-second-root", "second root has one bit flipped", second_root=flip(r2))
    mutated("swapped-roots", "the two roots swapped", first_root=r2, second_root=r1)
    mutated("extra-proof-element", "an element appended", proof=[*p, EXTRA])
    mutated("preceding-proof-element", "an element prepended", proof=[EXTRA, *p])
    if len(p) >= 2:
        mutated("missing-proof-element", "last proof element removed", proof=p[:-1])
        mutated("missing-first-proof-element", "first proof element removed", proof=p[1:])
    mutated("empty-proof", "proof replaced by an empty list", proof=[])
    mutated(
        "truncated-proof-element", "last proof element cut to 31 bytes", proof=[*p[:-1], p[-1][:31]]
    )
    mutated(
        "first-greater-than-second",
        "sizes and roots swapped",
        first=second,
        second=first,
        first_root=r2,
        second_root=r1,
    )
    mutated(
        "equal-sizes-nonempty-proof",
        f"first size given as {second}, with the second root for both",
        first=second,
        first_root=r2,
    )
    mutated(
        "size-zero-nonempty-proof",
        "first size given as 0, with the empty-tree root",
        first=0,
        first_root=sha256(b""),
    )
    other_first = first + 1 if first + 1 < second else first - 1
    if other_first >= 1:
        mutated("wrong-first-size", f"first size given as {other_first}", first=other_first)
    mutated("wrong-second-size", f"second size given as {second + 1}", second=second + 1)


# --- signed checkpoints ---------------------------------------------------------


class VectorKey:
    """An Ed25519 key derived from a label, formatted by hand per C2SP signed-note."""

    def __init__(self, name: str, label: str) -> None:
        self.name = name
        self.private = Ed25519PrivateKey.from_private_bytes(sha256(label.encode()))
        self.public = self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.key_id = sha256(name.encode() + b"\n\x01" + self.public)[:4]

    def vkey(self) -> str:
        material = base64.b64encode(b"\x01" + self.public).decode()
        return f"{self.name}+{self.key_id.hex()}+{material}"

    def line(self, text: str) -> str:
        return self.line_for(self.private.sign(text.encode()))

    def line_for(self, signature: bytes, key_id: bytes | None = None) -> str:
        blob = base64.b64encode((key_id or self.key_id) + signature).decode()
        return f"\u2014 {self.name} {blob}\n"


def build_checkpoints(w: Writer) -> None:
    log = VectorKey(LOG_ORIGIN, "taxpayer-gateway test vectors: log key")
    impostor = VectorKey(LOG_ORIGIN, "taxpayer-gateway test vectors: another key, same name")
    witness = VectorKey(WITNESS_NAME, "taxpayer-gateway test vectors: witness key")
    strangers = [VectorKey(f"stranger.example/{i}", f"stranger {i}") for i in range(100)]
    other_log = VectorKey("other.example/log", "taxpayer-gateway test vectors: other log")

    size = len(REFERENCE_LEAVES)
    root = mth(REFERENCE_LEAVES)
    root_b64 = base64.b64encode(root).decode()
    body = f"{LOG_ORIGIN}\n{size}\n{root_b64}\n"
    expected = {"origin": LOG_ORIGIN, "size": size, "root": root.hex(), "extensions": []}

    def write(
        name: str, desc: str, want: str | None, note: str, keys: list[VectorKey], **extra: Any
    ) -> None:
        content: dict[str, Any] = {
            "desc": desc,
            "want_error": want,
            "note": note,
            "verifier_keys": [k.vkey() for k in keys],
        }
        if want is None:
            content["checkpoint"] = extra.get("checkpoint", expected)
        w.write(f"checkpoint/{name}.json", content)

    def signed(text: str, *signers: VectorKey) -> str:
        return text + "\n" + "".join(k.line(text) for k in signers)

    good = signed(body, log)
    write("happy-path", "checkpoint signed by the log key", None, good, [log])
    write(
        "cosigned-by-unknown-key",
        "an extra signature by an unknown key is ignored",
        None,
        signed(body, log, witness),
        [log],
    )
    write(
        "cosigned-by-trusted-witness",
        "log and trusted witness both sign",
        None,
        signed(body, log, witness),
        [log, witness],
    )
    write(
        "unknown-signature-first",
        "an unknown signature before the log's",
        None,
        signed(body, witness, log),
        [log],
    )
    write(
        "sixteen-unknown-signatures",
        "sixteen unknown signatures and the log's",
        None,
        signed(body, *strangers[:16], log),
        [log],
    )
    write(
        "hundred-signatures",
        "99 unknown signatures and the log's: the limit",
        None,
        signed(body, *strangers[:99], log),
        [log],
    )
    write(
        "hundred-and-one-signatures",
        "100 unknown signatures and the log's",
        MALFORMED_CHECKPOINT,
        signed(body, *strangers[:100], log),
        [log],
    )
    extended = body + "extension: opaque and signed\n"
    write(
        "extension-line-preserved",
        "an extension line is kept",
        None,
        signed(extended, log),
        [log],
        checkpoint={**expected, "extensions": ["extension: opaque and signed"]},
    )

    # Tampering with a validly signed note.
    sig_line = log.line(body)
    write(
        "changed-size",
        "size changed after signing",
        SIGNATURE,
        body.replace(f"\n{size}\n", f"\n{size - 1}\n") + "\n" + sig_line,
        [log],
    )
    other_root = base64.b64encode(flip(root)).decode()
    write(
        "changed-root",
        "root changed after signing",
        SIGNATURE,
        body.replace(root_b64, other_root) + "\n" + sig_line,
        [log],
    )
    write(
        "changed-origin",
        "origin changed after signing",
        SIGNATURE,
        body.replace(LOG_ORIGIN, "log.example/another") + "\n" + sig_line,
        [log],
    )
    signature = log.private.sign(body.encode())
    write(
        "bit-flip-signature",
        "one bit of the signature flipped",
        SIGNATURE,
        body + "\n" + log.line_for(flip(signature)),
        [log],
    )
    write(
        "bit-flip-key-id",
        "key ID altered, so the only signature is unknown",
        SIGNATURE,
        body + "\n" + log.line_for(signature, flip(log.key_id)),
        [log],
    )
    write("wrong-key", "verifier holds another key of the same name", SIGNATURE, good, [impostor])
    write(
        "no-known-signature", "only an unknown key signed", SIGNATURE, signed(body, witness), [log]
    )
    write(
        "bad-trusted-cosignature",
        "log signature good, trusted witness signature bad",
        SIGNATURE,
        body + "\n" + sig_line + witness.line_for(flip(witness.private.sign(body.encode()))),
        [log, witness],
    )
    write(
        "only-witness-signed",
        "the trusted witness signed but the log did not",
        SIGNATURE,
        signed(body, witness),
        [log, witness],
    )
    foreign = f"{other_log.name}\n{size}\n{root_b64}\n"
    write(
        "origin-not-key-name",
        "a trusted key signed a checkpoint of another origin",
        SIGNATURE,
        signed(foreign, log),
        [log],
    )

    # Checkpoint bodies that are validly signed but malformed.
    def malformed_body(name: str, desc: str, text: str) -> None:
        write(name, desc, MALFORMED_CHECKPOINT, signed(text, log), [log])

    malformed_body("leading-zero-size", "size written 08", body.replace("\n8\n", "\n08\n"))
    malformed_body("negative-size", "size written -8", body.replace("\n8\n", "\n-8\n"))
    malformed_body("plus-sign-size", "size written +8", body.replace("\n8\n", "\n+8\n"))
    malformed_body(
        "fullwidth-digit-size", "size written with U+FF18", body.replace("\n8\n", "\n\uff18\n")
    )
    malformed_body("size-too-large", "size 2**64", body.replace("\n8\n", f"\n{2**64}\n"))
    noncanonical = root_b64[:-2] + chr(ord(root_b64[-2]) + 1) + "="
    malformed_body(
        "root-noncanonical-base64",
        "root with non-zero padding bits",
        body.replace(root_b64, noncanonical),
    )
    urlsafe = base64.urlsafe_b64encode(root).decode()
    malformed_body(
        "root-urlsafe-base64", "root in URL-safe base64", body.replace(root_b64, urlsafe)
    )
    malformed_body(
        "root-31-bytes",
        "root of 31 bytes",
        body.replace(root_b64, base64.b64encode(root[:31]).decode()),
    )
    malformed_body(
        "root-unpadded", "root without its = padding", body.replace(root_b64, root_b64.rstrip("="))
    )
    malformed_body("missing-root-line", "no root line", f"{LOG_ORIGIN}\n{size}\n")
    malformed_body(
        "empty-line-in-text", "an empty line between root and extension", body + "\nextension\n"
    )

    # Notes that are not well-formed signed notes at all.
    def malformed_note(name: str, desc: str, note: str) -> None:
        write(name, desc, MALFORMED_CHECKPOINT, note, [log])

    crlf = body.replace("\n", "\r\n")
    malformed_note("carriage-returns", "lines end in CR LF", crlf + "\r\n" + log.line(crlf))
    bell = body.replace(LOG_ORIGIN, LOG_ORIGIN + "\x07")
    malformed_note("control-character", "origin holds U+0007", signed(bell, log))
    delete = body.replace(LOG_ORIGIN, LOG_ORIGIN + "\x7f")
    malformed_note("delete-character", "origin holds U+007F", signed(delete, log))
    tab = body.replace(LOG_ORIGIN, LOG_ORIGIN + "\t")
    malformed_note("tab-character", "origin holds a tab", signed(tab, log))
    malformed_note("missing-final-newline", "last signature line without newline", good[:-1])
    malformed_note("missing-blank-line", "no empty line before the signatures", body + sig_line)
    malformed_note("no-signature-lines", "an empty line but no signature", body + "\n")
    malformed_note(
        "ascii-hyphen-signature-line",
        "signature line starts with '-'",
        body + "\n" + sig_line.replace("\u2014", "-"),
    )
    malformed_note(
        "signature-line-extra-space",
        "two spaces after the key name",
        body + "\n" + sig_line.replace(f"{LOG_ORIGIN} ", f"{LOG_ORIGIN}  "),
    )
    malformed_note(
        "signature-too-short", "signature of only a key ID", body + "\n" + log.line_for(b"")
    )
    blob = sig_line.split(" ")[-1].rstrip("\n")
    malformed_note(
        "signature-not-base64",
        "signature holds '!'",
        f"{body}\n\u2014 {LOG_ORIGIN} {blob[:-6]}!{blob[-5:]}\n",
    )
    malformed_note(
        "key-name-with-plus",
        "signing key name contains '+'",
        body + "\n" + sig_line.replace(LOG_ORIGIN, LOG_ORIGIN + "+x"),
    )


README = """\
# Merkle tree and checkpoint test vectors

Generated by `scripts/build_merkle_vectors.py`; do not edit by hand. Rebuild with
`uv run python scripts/build_merkle_vectors.py` and review the diff; the test
suite fails if these files differ from what the script produces.

They derive from RFC 9162 §2.1 and C2SP signed-note / tlog-checkpoint alone,
computed naively by the script, so any RFC 9162 / C2SP implementation can use them.
Hashes are lowercase hex. Every file has `desc` and `want_error` (null, or the
name of the error class a verifier must raise).

- `roots.json`: the RFC 6962 reference leaves, their leaf hashes, and the roots
  of sizes 0 to 8.
- `inclusion/<size>/<case>.json`: `leaf_hash`, `index`, `size`, `proof`, `root`.
  `happy-path` is the proof of leaf `(size - 1) // 2`, and each other case applies
  one named mutation to it; `happy-path-index-<i>` covers every other leaf.
  A case ending in `-same-shape` changes a size in a way that leaves the
  verifier's arithmetic unchanged, so it must be *accepted*: a proof alone does
  not bind the tree size; the signed checkpoint does.
- `consistency/<first>-<second>/<case>.json`: `first`, `second`, `first_root`,
  `second_root`, `proof`, with `happy-path` and one named mutation per case.
- `checkpoint/<case>.json`: a signed `note` and `verifier_keys`
  (`<name>+<key id>+<base64 key>`); when `want_error` is null, the `checkpoint`
  (origin, size, root, extensions) that opening the note must return. The
  origin must equal the name of a trusted key that signed the note.
"""


BUILDERS: list[Callable[[Writer], None]] = [
    build_roots,
    build_inclusion,
    build_consistency,
    build_checkpoints,
]


def build(out: Path) -> None:
    writer = Writer(out)
    for builder in BUILDERS:
        builder(writer)
    (out / "README.md").write_text(README, "utf-8")


def tree_files(directory: Path) -> dict[str, bytes]:
    if not directory.is_dir():
        return {}
    return {
        path.relative_to(directory).as_posix(): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def check(target: Path) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "merkle"
        build(fresh)
        want, have = tree_files(fresh), tree_files(target)
    problems = 0
    for name in sorted(want.keys() | have.keys()):
        if name not in have:
            print(f"missing: {name}")
        elif name not in want:
            print(f"stale: {name}")
        elif want[name] != have[name]:
            diff = difflib.unified_diff(
                have[name].decode("utf-8", "replace").splitlines(),
                want[name].decode("utf-8", "replace").splitlines(),
                f"{name} (checked in)",
                f"{name} (rebuilt)",
                lineterm="",
            )
            print("\n".join(diff))
        else:
            continue
        problems += 1
    if problems:
        print(f"{problems} vector file(s) differ; run scripts/build_merkle_vectors.py")
        return 1
    print(f"{len(want)} vector files up to date")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--check", action="store_true", help="rebuild into a temporary directory and compare"
    )
    args = parser.parse_args(argv)
    if args.check:
        return check(ASSETS)
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "merkle"
        build(fresh)
        if ASSETS.exists():
            shutil.rmtree(ASSETS)
        shutil.copytree(fresh, ASSETS)
    print(f"wrote {len(tree_files(ASSETS))} files under {ASSETS.relative_to(ROOT_DIR)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
