"""The policy revision: one digest over every policy and data file.

Every decision names the revision that made it, so an auditor can tell which
text of the rules decided a request. The digest covers each file's relative
path and bytes, in sorted order, so renaming a file changes it too.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

POLICY_SUFFIXES = (".rego", ".json")


def policy_files(policy_dir: Path) -> list[Path]:
    """The files OPA loads from ``policy_dir`` (Rego modules and JSON data), sorted."""
    return sorted(p for p in policy_dir.rglob("*") if p.is_file() and p.suffix in POLICY_SUFFIXES)


def policy_revision(policy_dir: Path) -> str:
    """``sha256:<hex>`` over (relative path, NUL, length, NUL, bytes) of every policy file."""
    h = hashlib.sha256()
    for path in policy_files(policy_dir):
        data = path.read_bytes()
        rel = path.relative_to(policy_dir).as_posix().encode()
        h.update(rel + b"\0" + str(len(data)).encode() + b"\0" + data)
    return f"sha256:{h.hexdigest()}"
