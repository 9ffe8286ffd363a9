#!/usr/bin/env python3
"""Rebuild the golden decision log under tests/assets/golden_log/.

    uv run python scripts/build_golden_log.py           # rewrite the golden log
    uv run python scripts/build_golden_log.py --check   # exit 1 if it would change

A fixed Ed25519 log key, fixed audit keys (with nonces derived from the
associated data instead of drawn at random, so sealing is reproducible),
fixed records and fixed timestamps go through the gateway's real code path:
a fresh SQLite database migrated to head, ``DecisionLog.append``,
``Checkpointer.publish`` and ``export_log``. Any change to record encoding,
leaf hashing, tree storage, checkpoint text or signing therefore shows up as
a diff of these files, to be reviewed like code; the test suite runs
``--check``.

Output:

- ``export/``: an export as ``gateway audit export`` writes it (see
  ``gateway/audit/export.py``), verifiable with
  ``gateway audit verify --offline tests/assets/golden_log/export``;
- ``leaves.jsonl``: the same leaves as text, one per line, for reading diffs;
- ``proofs.json``: leaf hashes, the root of every size, the inclusion proof of
  every leaf in the final tree and the consistency proof between every pair of
  consecutive checkpoints (hex), as the API serves them.
"""

from __future__ import annotations

import argparse
import base64
import difflib
import hashlib
import itertools
import json
import shutil
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT_DIR))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402

from gateway.audit.checkpoints import Checkpointer  # noqa: E402
from gateway.audit.export import export_log  # noqa: E402
from gateway.audit.log import DecisionLog  # noqa: E402
from gateway.audit.record import (  # noqa: E402
    SubjectEntry,
    decision_record,
    failure_record,
    key_rotation_record,
    policy_activation_record,
)
from gateway.audit.sealing import AuditKeys  # noqa: E402
from gateway.audit.signer import NoteSigner  # noqa: E402
from gateway.store.db import make_engine, migrate  # noqa: E402

GOLDEN = ROOT_DIR / "tests" / "assets" / "golden_log"
ORIGIN = "golden.taxpayer-gateway.example/decisions"
T0 = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)
CHECKPOINT_AFTER = (0, 1, 2, 3, 4, 6, 8)
"""Sizes at which a checkpoint is signed (the log has 8 leaves in the end)."""


def _key(label: str) -> bytes:
    return hashlib.sha256(f"taxpayer-gateway golden log: {label}".encode()).digest()


def golden_signer() -> NoteSigner:
    """The golden log's Ed25519 key: fixed, public, for tests only."""
    return NoteSigner(ORIGIN, Ed25519PrivateKey.from_private_bytes(_key("log key")))


@dataclass(frozen=True)
class _ReproducibleAuditKeys(AuditKeys):
    """AuditKeys whose nonce is derived from the associated data: golden data only.

    A real gateway must draw nonces at random (``AuditKeys.seal``); reusing a
    nonce under one key breaks AES-GCM. Each golden record seals under its own
    associated data, so no nonce repeats here.
    """

    def seal(self, plaintext: bytes, *, associated_data: bytes) -> dict[str, Any]:
        nonce = hashlib.sha256(b"nonce:" + associated_data).digest()[:12]
        ct = AESGCM(self.sealing_key).encrypt(nonce, plaintext, associated_data)
        return {
            "alg": "AES-256-GCM",
            "key_id": self.sealing_key_id,
            "nonce": base64.b64encode(nonce).decode(),
            "ciphertext": base64.b64encode(ct).decode(),
        }


def _records(keys: AuditKeys) -> list[tuple[str, bytes, datetime]]:
    t = [T0 + timedelta(minutes=m) for m in range(8)]
    signer = golden_signer()
    decision = {
        "keys": keys,
        "policy_revision": "sha256:" + "ab" * 32,
        "agency_id": "DOJ-FBI",
        "official_id": "fbi-sac-baltimore",
        "legal_basis": "6103(i)(2)",
        "purpose_category": "nontax_criminal",
        "obligations": ["ACCOUNTING_RECORD"],
    }
    subject = SubjectEntry(
        ref="row-1",
        taxpayer_key="tin:123-45-6789",
        outcome="disclosed",
        rules=["6103-I2-OK"],
        released=["last_known_address"],
        withheld=["income"],
        released_tax_year=2024,
    )
    denied = SubjectEntry(
        ref="row-2",
        taxpayer_key="person:doe|jane|1990-01-01",
        outcome="denied",
        rules=["GW-11"],
        released=[],
        withheld=["last_known_address"],
        released_tax_year=None,
    )
    return [
        (
            "policy_activation",
            policy_activation_record(
                "sha256:" + "ab" * 32, t[0], ["gateway/decision.rego", "data/agencies.json"]
            ),
            t[0],
        ),
        (
            "key_rotation",
            key_rotation_record(
                at=t[0],
                key_role="checkpoint",
                new_key_id=signer.key_id.hex(),
                verifier_key=signer.verifier_key_text(),
            ),
            t[0],
        ),
        (
            "decision",
            decision_record(
                **decision,  # type: ignore[arg-type]
                decision_id="golden-d-1",
                decided_at=t[1],
                request_id="FBI-2026-0001",
                outcome="allowed",
                request_rules=[],
                subjects=[subject],
                policy_input={"subjects": [{"tin": "123-45-6789"}]},
                penalties=["PEN-1", "PEN-2", "PEN-3"],
            ),
            t[1],
        ),
        (
            "decision",
            decision_record(
                **decision,  # type: ignore[arg-type]
                decision_id="golden-d-2",
                decided_at=t[2],
                request_id="FBI-2026-0002",
                outcome="partially_allowed",
                request_rules=["GW-3"],
                subjects=[subject, denied],
                policy_input={"subjects": [{"tin": "123-45-6789"}, {"name": "Jane Doe"}]},
                penalties=["PEN-1", "PEN-2", "PEN-3"],
            ),
            t[2],
        ),
        (
            "decision_failure",
            failure_record(
                decision_id="golden-d-3",
                at=t[3],
                agency_id="DHS-ICE",
                stage="decide",
                error="the policy engine did not answer in time",
            ),
            t[3],
        ),
        (
            "decision",
            decision_record(
                **decision,  # type: ignore[arg-type]
                decision_id="golden-d-4",
                decided_at=t[4],
                request_id="FBI-2026-0004",
                outcome="denied",
                request_rules=["INJ-1"],
                subjects=[denied],
                policy_input={"subjects": [{"name": "Jane Doe"}]},
            ),
            t[4],
        ),
        (
            "key_rotation",
            key_rotation_record(
                at=t[5], key_role="sealing", old_key_id=keys.sealing_key_id, new_key_id="0" * 16
            ),
            t[5],
        ),
        (
            "policy_activation",
            policy_activation_record(
                "sha256:" + "cd" * 32, t[6], ["gateway/decision.rego", "data/injunctions.json"]
            ),
            t[6],
        ),
    ]


def build(out: Path) -> None:
    """Write the golden log into ``out`` (created, must not exist)."""
    out.mkdir(parents=True)
    keys = _ReproducibleAuditKeys(pseudonym_key=_key("pseudonym"), sealing_key=_key("sealing"))
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'golden.db'}")
        migrate(engine)
        log = DecisionLog(engine)
        checkpointer = Checkpointer(log, golden_signer())
        records = _records(keys)
        for size in range(len(records) + 1):
            if size in CHECKPOINT_AFTER:
                checkpointer.publish(T0 + timedelta(minutes=size, seconds=30))
            if size < len(records):
                kind, body, at = records[size]
                log.append(kind, body, at=at)
        checkpoints = checkpointer.all()
        export_log(log, checkpoints, checkpointer.signer.verifier, out / "export")
        size = log.size()
        entries = log.entries(0, size)
        proofs = {
            "origin": ORIGIN,
            "size": size,
            "leaf_hashes": [e.leaf_hash.hex() for e in entries],
            "roots": [log.root(n).hex() for n in range(size + 1)],
            "inclusion": [
                {
                    "index": i,
                    "tree_size": size,
                    "hashes": [h.hex() for h in log.inclusion_proof(i, size)],
                }
                for i in range(size)
            ],
            "consistency": [
                {
                    "first": a.size,
                    "second": b.size,
                    "hashes": [h.hex() for h in log.consistency_proof(a.size, b.size)],
                }
                for a, b in itertools.pairwise(checkpoints)
            ],
        }
        engine.dispose()
    (out / "leaves.jsonl").write_bytes(b"".join(e.body + b"\n" for e in entries))
    (out / "proofs.json").write_text(json.dumps(proofs, indent=1) + "\n", "utf-8")
    (out / "README.md").write_text(
        "# Golden decision log\n\n"
        "Generated by `scripts/build_golden_log.py`; do not edit by hand. Rebuild with\n"
        "`uv run python scripts/build_golden_log.py` and review the diff; the test suite\n"
        "fails if these files differ from what the script produces.\n\n"
        f"Log origin `{ORIGIN}`, verifier key:\n\n"
        f"    {golden_signer().verifier_key_text()}\n",
        "utf-8",
    )


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "golden_log"
        build(fresh)
        if args.check:
            want, have = _files(fresh), _files(GOLDEN) if GOLDEN.exists() else {}
            if want == have:
                return 0
            for name in sorted(set(want) | set(have)):
                if want.get(name) == have.get(name):
                    continue
                print(f"golden log differs: {name}", file=sys.stderr)
                try:
                    old = have.get(name, b"").decode().splitlines()
                    new = want.get(name, b"").decode().splitlines()
                    sys.stderr.writelines(
                        line + "\n" for line in difflib.unified_diff(old, new, lineterm="")
                    )
                except UnicodeDecodeError:
                    pass
            print("rebuild with: uv run python scripts/build_golden_log.py", file=sys.stderr)
            return 1
        if GOLDEN.exists():
            shutil.rmtree(GOLDEN)
        shutil.copytree(fresh, GOLDEN)
    print(f"wrote {GOLDEN.relative_to(ROOT_DIR)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
