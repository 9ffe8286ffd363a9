"""The agency and official registry, read from the same JSON files OPA loads.

Operators edit ``policies/registry``; the gateway reads agencies (who may
authenticate, with which key) and officials (name, title and role of a token's
``sub``) from there, so identity and policy can never disagree about who an
official is. Data paths follow OPA's rule: a JSON file's content is placed at
the path of its directory under ``data``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Agency:
    id: str
    name: str
    department: str
    component: str
    is_dhs: bool
    state: str | None
    eligible: bool
    safeguards_status: str
    parent: str | None = None
    """The agency this one is part of (ERO and HSI are parts of ICE); its officials sign here."""


@dataclass(frozen=True)
class Official:
    id: str
    agency: str
    name: str
    title: str
    role: str
    acting: bool


class RegistryError(ValueError):
    """The registry files are missing or do not have the documented shape."""


def load_policy_data(policy_dir: Path) -> dict[str, Any]:
    """Merge every JSON file under ``policy_dir`` at its directory's path, as OPA does."""
    root: dict[str, Any] = {}
    for path in sorted(policy_dir.rglob("*.json")):
        node = root
        for part in path.parent.relative_to(policy_dir).parts:
            node = node.setdefault(part, {})
        content = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(content, dict):
            raise RegistryError(f"{path}: policy data must be a JSON object")
        node.update(content)
    return root


@dataclass(frozen=True)
class Registry:
    agencies: dict[str, Agency]
    officials: dict[str, Official]

    @classmethod
    def load(cls, policy_dir: Path) -> Registry:
        data = load_policy_data(policy_dir)
        reg = data.get("registry", {})
        try:
            agencies = {
                k: Agency(
                    id=v["id"],
                    name=v["name"],
                    department=v["department"],
                    component=v["component"],
                    is_dhs=bool(v["is_dhs"]),
                    state=v.get("state"),
                    eligible=bool(v["eligible"]),
                    safeguards_status=v["safeguards_status"],
                    parent=v.get("parent"),
                )
                for k, v in reg["agencies"].items()
            }
            officials = {
                k: Official(
                    id=v["id"],
                    agency=v["agency"],
                    name=v["name"],
                    title=v["title"],
                    role=v["role"],
                    acting=bool(v.get("acting", False)),
                )
                for k, v in reg["officials"].items()
            }
        except (KeyError, TypeError, AttributeError) as exc:
            raise RegistryError(f"registry under {policy_dir} is malformed: {exc!r}") from exc
        return cls(agencies=agencies, officials=officials)
