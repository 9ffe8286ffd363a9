"""Agency names resolved against the registry, never string-matched (issue 7).

A request names agencies in free text: each recipient's employer and every
entry of ``onward_sharing_to``. Each name is resolved here to an entry of the
registry (``policies/registry/agencies`` or ``policies/registry/departments``)
by its key (:func:`gateway.facts.text.key`), through the entry's id, name and
``aliases``. The result is a fact with:

- ``resolved``: the entry the whole name designates, or null;
- ``mentions``: every entry whose alias occurs in the name as a run of whole
  words ("DHS/ICE" mentions DHS and ICE; "Baltimore ICE office" mentions ICE),
  so that a name that does not resolve still counts as DHS if it names DHS.

What an entry *is* (its department, whether it is part of DHS) stays in the
registry and is read by the policy, so the policy, not this module, decides
what a DHS name means.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from gateway.facts.text import words

EntityKind = Literal["AGENCY", "DEPARTMENT"]


class AliasCollisionError(ValueError):
    """Two registry entries share a name key: the registry would be ambiguous."""


@dataclass(frozen=True, order=True)
class Entity:
    kind: EntityKind
    id: str

    def as_input(self) -> dict[str, str]:
        return {"kind": self.kind, "id": self.id}


@dataclass(frozen=True)
class AgencyFact:
    text: str
    resolved: Entity | None
    mentions: tuple[Entity, ...]

    def as_input(self) -> dict[str, Any]:
        """The fact as the policy input carries it (policies/README.md, "Agencies")."""
        return {
            "text": self.text,
            "resolved": self.resolved.as_input() if self.resolved else None,
            "mentions": [e.as_input() for e in self.mentions],
        }


_PREFIXES = (("the",), ("u", "s"), ("us",), ("unlted", "states"))
"""Leading words a name may carry or drop ("the", "U.S.", "United States"), as keys."""


def _without_prefixes(ws: tuple[str, ...]) -> tuple[str, ...]:
    changed = True
    while changed:
        changed = False
        for prefix in _PREFIXES:
            if len(ws) > len(prefix) and ws[: len(prefix)] == prefix:
                ws, changed = ws[len(prefix) :], True
    return ws


def _names(entry: dict[str, Any], entry_id: str) -> list[str]:
    names = [entry_id, str(entry.get("name", ""))]
    aliases = entry.get("aliases", [])
    if isinstance(aliases, list):
        names.extend(str(a) for a in aliases)
    return [n for n in names if n.strip()]


class AgencyResolver:
    """Name keys of every registry entry, checked for collisions when built."""

    def __init__(self, index: dict[str, Entity]) -> None:
        self._index = index
        self._longest = max((len(k) for k in index), default=0)

    @classmethod
    def from_policy_data(cls, data: dict[str, Any]) -> AgencyResolver:
        """Index ``data.registry.agencies`` and ``data.registry.departments``."""
        registry = data.get("registry", {})
        index: dict[str, Entity] = {}
        sources: list[tuple[EntityKind, dict[str, Any]]] = [
            ("DEPARTMENT", registry.get("departments", {})),
            ("AGENCY", registry.get("agencies", {})),
        ]
        for kind, entries in sources:
            for entry_id, entry in entries.items():
                entity = Entity(kind, entry_id)
                for name in _names(entry, entry_id):
                    k = "".join(_without_prefixes(words(name)))
                    if not k:
                        continue
                    other = index.setdefault(k, entity)
                    if other == entity:
                        continue
                    if other.kind == "DEPARTMENT" and entry.get("department") == other.id:
                        # An agency that is its department's head office ("ED", "SSA")
                        # shares its names with the department; the agency is the more
                        # precise answer and has the same department.
                        index[k] = entity
                    else:
                        raise AliasCollisionError(
                            f"registry name {name!r} of {kind.lower()} {entry_id} has the same "
                            f"key as a name of {other.kind.lower()} {other.id}"
                        )
        return cls(index)

    def resolve(self, text: str) -> AgencyFact:
        """The registry entry ``text`` designates, and every entry it mentions."""
        ws = _without_prefixes(words(text))
        mentions = {
            self._index["".join(ws[i:j])]
            for i in range(len(ws))
            for j in range(i + 1, len(ws) + 1)
            if sum(len(w) for w in ws[i:j]) <= self._longest and "".join(ws[i:j]) in self._index
        }
        return AgencyFact(text, self._index.get("".join(ws)), tuple(sorted(mentions)))
