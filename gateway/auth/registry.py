"""The agency and official registry, read from the same JSON files OPA loads.

Operators edit ``policies/registry``; the gateway reads agencies (who may
authenticate, with which key) and officials (name, title and role of a token's
``sub``) from there, so identity and policy can never disagree about who an
official is. Data paths follow OPA's rule: a JSON file's content is placed at
the path of its directory under ``data``.

The gateway's own staff (disclosure officers, auditors, operators, court
liaisons) are registered there too (``policies/registry/staff``): a staff token
names a registered, active member holding the role it claims, so the officer a
review leaf names is a person on file, not whatever a token minter typed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
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
    client_certificate_sha256: str | None = None
    """Mutual TLS: the agency's tokens count only over a connection presenting this
    certificate (SHA-256 of its DER bytes, hex); see ``gateway.auth.mtls``."""


@dataclass(frozen=True)
class Official:
    id: str
    agency: str
    name: str
    title: str
    role: str
    acting: bool


@dataclass(frozen=True)
class StaffMember:
    """A person working the gateway itself; only an ``active`` member may hold a token."""

    id: str
    name: str
    roles: tuple[str, ...]
    status: str

    @property
    def active(self) -> bool:
        return self.status == "active"


STAFF_STATUSES = ("active", "inactive")


class RegistryError(ValueError):
    """The registry files are missing or do not have the documented shape."""


class StaffNotRegisteredError(LookupError):
    """No active staff member holds the role: a token for them would be refused."""


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
    staff: dict[str, StaffMember] = field(default_factory=dict)
    dhs_departments: frozenset[str] = frozenset()
    """Departments the registry marks ``is_dhs`` (an agency fact may resolve to one)."""

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
                    client_certificate_sha256=v.get("client_certificate_sha256"),
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
            staff = _staff(reg.get("staff", {}))
            dhs_departments = frozenset(
                k for k, v in reg.get("departments", {}).items() if v.get("is_dhs") is True
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise RegistryError(f"registry under {policy_dir} is malformed: {exc!r}") from exc
        return cls(
            agencies=agencies, officials=officials, staff=staff, dhs_departments=dhs_departments
        )

    def staff_member(self, subject: str, role: str) -> StaffMember | None:
        """The active member ``subject`` if they hold ``role``; None otherwise."""
        member = self.staff.get(subject)
        if member is None or not member.active or role not in member.roles:
            return None
        return member

    def first_staff_with(self, role: str) -> StaffMember | None:
        """The first active member (by id) holding ``role``: who a local token is for."""
        for key in sorted(self.staff):
            member = self.staff_member(key, role)
            if member is not None:
                return member
        return None

    def staff_id_for(self, role: str, subject: str | None) -> str:
        """Whom a locally minted staff token names: ``subject`` if it is an active member
        holding ``role``, else (no subject given) the first such member."""
        if subject is None:
            member = self.first_staff_with(role)
            if member is None:
                raise StaffNotRegisteredError(f"no active staff member holds the role {role!r}")
            return member.id
        if self.staff_member(subject, role) is None:
            raise StaffNotRegisteredError(
                f"{subject!r} is not an active staff member with the role {role!r}"
                " (policies/registry/staff)"
            )
        return subject


def _staff(entries: dict[str, Any]) -> dict[str, StaffMember]:
    staff: dict[str, StaffMember] = {}
    for key, v in entries.items():
        roles = v["roles"]
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise TypeError(f"staff {key}: roles must be a list of role names")
        if v["status"] not in STAFF_STATUSES:
            raise TypeError(f"staff {key}: status must be one of {', '.join(STAFF_STATUSES)}")
        if v["id"] != key:
            raise TypeError(f"staff {key}: id must equal its key")
        staff[key] = StaffMember(id=v["id"], name=v["name"], roles=tuple(roles), status=v["status"])
    return staff
