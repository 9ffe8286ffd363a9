"""The world the invariant tests search: a seeded datastore, known-good requests, edits.

Every example asks about a taxpayer nobody has asked about before. GW-3b denies
a second release of the same taxpayer to the same agency within a day, so an
example that reused a taxpayer would be denied for that reason alone — and
Hypothesis, which runs a failing example again to show it, would see a
different answer the second time. :class:`FreshTaxpayers` hands out taxpayers
of a seeded population that are interchangeable for the policy when asked
about by TIN (one record, exact name, no flags, no shared household, last
known address in 2023-2025), each once, so every example is decided as if it
were the first. (Asked about by name alone they differ: a common surname has
several candidates. A failure that depends on that may show as "Flaky".)

A request is a known-good scenario of ``tests/scenarios.py`` (one the gateway
releases today) plus a list of :class:`Edit` s. The edits say what they
wrote (a DHS recipient, a Title 8 citation...), and the properties read that
from the final request, so the tests never need to recognise DHS themselves.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar, Protocol

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from gateway.store.models import TAXPAYER
from gateway.store.taxpayers import (
    MailingAddress,
    SubjectQuery,
    last_known_address,
    resolve_subject,
)
from tests import scenarios as sc
from tests.invariants.spellings import Written

# --- the taxpayers -----------------------------------------------------------------

DEMO_IDS = 8
"""``gateway seed`` writes the named demo taxpayers first (ids 1-8); they are left alone."""
COVERED_YEARS = (2023, 2024, 2025)
"""The periods the known-good ex parte orders cover (tests/scenarios.py, F-FBI-I1)."""
_ZIP = re.compile(r"^\d{5}(-\d{4})?$")


@dataclass(frozen=True)
class FreshTaxpayer:
    """A seeded taxpayer as an agency describes them, and what the datastore holds."""

    person: sc.Person
    taxpayer_id: int
    date_of_birth: date
    home: MailingAddress
    """The last known mailing address: the only thing the gateway may ever release."""


class PoolExhaustedError(RuntimeError):
    pass


class FreshTaxpayers:
    """Hands out each suitable seeded taxpayer once (see the module docstring)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._next_id = DEMO_IDS + 1
        self._names: set[tuple[str, str]] = set()
        self.handed_out = 0

    def take(self) -> FreshTaxpayer:
        with Session(self._engine) as session:
            while True:
                row = (
                    session.connection()
                    .execute(select(TAXPAYER).where(TAXPAYER.c.id >= self._next_id).limit(1))
                    .first()
                )
                if row is None:
                    raise PoolExhaustedError(
                        f"all seeded taxpayers were used after {self.handed_out} examples: "
                        "seed more (tests/invariants/conftest.py, POPULATION)"
                    )
                self._next_id = row.id + 1
                found = self._suitable(session, row)
                if found is not None:
                    self.handed_out += 1
                    return found

    def _suitable(self, session: Session, row: Any) -> FreshTaxpayer | None:
        name = (row.first_name.casefold(), row.last_name.casefold())
        if name in self._names:
            return None  # a name-only lookup of a second "James Smith" would be a GW-3b repeat
        home = last_known_address(session, row.id)
        if (
            home is None
            or home.tax_year not in COVERED_YEARS
            or not _ZIP.match(home.zip)
            or home.zip[:5] in {"00000", "99999"}
            or not re.search(r"[A-Za-z]", home.line1)
        ):
            return None
        resolution = resolve_subject(
            session,
            SubjectQuery(
                tin=row.tin,
                first=row.first_name,
                middle=row.middle_name,
                last=row.last_name,
                line1=home.line1,
                city=home.city,
                state=home.state,
                zip=home.zip,
            ),
        )
        m = resolution.match
        if not (
            m.candidates == 1
            and m.tin_match is True
            and m.name_score == 1.0
            and not resolution.confidential_informant
            and not resolution.tax_investigation_impairment
            and resolution.household_members == 0
            and resolution.last_known_tax_year == home.tax_year
        ):
            return None
        self._names.add(name)
        address = {
            "line1": home.line1,
            "line2": home.line2,
            "city": home.city,
            "state": home.state,
            "zip": home.zip,
        }
        return FreshTaxpayer(
            person=sc.Person(row.tin, row.first_name, row.middle_name, row.last_name, address),
            taxpayer_id=row.id,
            date_of_birth=row.date_of_birth,
            home=home,
        )


# --- the known-good requests -------------------------------------------------------

KNOWN_GOOD = ("S03", "S06", "S12", "S15", "S16", "S21", "S22", "S23", "S24", "S33")
"""Scenarios the gateway releases today (POLICY_MODEL.md §4.2): every basis that can
release — (i)(1), (i)(2), (i)(5), (d), (m)(2), (m)(4), (m)(7) — and the extra-field
variants. Edits start from these, so that the search reaches disclosures."""

DHS_AGENCIES = {
    "DHS-HQ": "dhs-secretary",
    "DHS-ICE-HSI": "ice-director",
    "DHS-CBP": "cbp-commissioner",
    "DHS-ICE": "ice-ero-field-director",
}
"""DHS requesters and a registered official of each."""

IMMIGRATION_PURPOSES = ("immigration_criminal", "civil_immigration_enforcement", "data_remediation")
WIRE_BASES = (
    "6103(i)(1)",
    "6103(i)(2)",
    "6103(i)(3)(A)",
    "6103(i)(3)(B)",
    "6103(i)(5)",
    "6103(i)(7)(A)",
    "6103(i)(7)(C)",
    "6103(d)",
    "6103(l)(6)",
    "6103(m)(2)",
    "6103(m)(4)",
    "6103(m)(7)",
    "MOU_IRS_DHS_2025",
    "NONE",
)
WIRE_FIELDS = (
    "last_known_address",
    "tin",
    "date_of_birth",
    "filing_status",
    "income",
    "employer",
    "bank_account",
    "dependents",
)


@dataclass(frozen=True)
class Base:
    id: str
    agency: str
    official: str
    body: dict[str, Any]


def known_good(now: datetime | None = None) -> dict[str, Base]:
    """The known-good scenarios as bases; a scenario that stops releasing is a test error."""
    out: dict[str, Base] = {}
    for s in sc.scenarios(now):
        if s.id in KNOWN_GOOD:
            assert s.outcome == "allowed", f"{s.id} is no longer a known-good request"
            official = s.official or _official_for(s.agency, s.role)
            out[s.id] = Base(s.id, s.agency, official, s.body)
    assert set(out) == set(KNOWN_GOOD)
    return out


def _official_for(agency: str, role: str) -> str:
    from tests.support import official_for

    return official_for(agency, role)


# --- drafts and edits --------------------------------------------------------------


@dataclass
class Draft:
    """A request being built: body, who signs it, and the meaning of every text written."""

    base: Base
    taxpayer: FreshTaxpayer
    body: dict[str, Any]
    agency: str
    official: str
    meanings: dict[str, Written] = field(default_factory=dict)

    def write(self, written: Written) -> str:
        self.meanings[written.text] = written
        return written.text

    @property
    def purpose(self) -> dict[str, Any]:
        p: dict[str, Any] = self.body["purpose"]
        return p

    @property
    def subject(self) -> dict[str, Any]:
        s: dict[str, Any] = self.body["subjects"][0]
        return s


class Edit(Protocol):
    def apply(self, draft: Draft) -> None: ...


@dataclass(frozen=True)
class AddRecipient:
    """A recipient employed by ``employer`` (instead of the first one, with ``replace``)."""

    employer: Written
    replace: bool = False

    def apply(self, draft: Draft) -> None:
        recipients = draft.body.setdefault("recipients", [])
        text = draft.write(self.employer)
        if self.replace and recipients:
            recipients[0] = dict(recipients[0], employer_agency=text)
            return
        recipients.append(
            {
                "name": f"Agent {len(recipients) + 1} Example",
                "title": "Special Agent",
                "employer_agency": text,
                "personally_and_directly_engaged": True,
                "open_caseload": 4,
            }
        )
        if draft.body.get("court_order"):
            # the order names every recipient, so that only the employer is new
            draft.body["court_order"]["named_recipients"].append(recipients[-1]["name"])


@dataclass(frozen=True)
class ShareOnward:
    target: Written

    def apply(self, draft: Draft) -> None:
        draft.purpose.setdefault("onward_sharing_to", []).append(draft.write(self.target))


@dataclass(frozen=True)
class CiteStatute:
    citation: Written

    def apply(self, draft: Draft) -> None:
        draft.purpose.setdefault("statutes", []).append(draft.write(self.citation))


@dataclass(frozen=True)
class Category:
    category: str
    nature: str | None = None

    def apply(self, draft: Draft) -> None:
        draft.purpose["category"] = self.category
        if self.nature is not None:
            draft.purpose["enforcement_nature"] = self.nature


@dataclass(frozen=True)
class Basis:
    legal_basis: str

    def apply(self, draft: Draft) -> None:
        draft.body["legal_basis"] = self.legal_basis


@dataclass(frozen=True)
class CivilUse:
    def apply(self, draft: Draft) -> None:
        draft.purpose["downstream_civil_use"] = True


@dataclass(frozen=True)
class InvokeMou:
    def apply(self, draft: Draft) -> None:
        draft.body["invokes_irs_dhs_mou"] = True


@dataclass(frozen=True)
class Fields:
    fields: tuple[str, ...]

    def apply(self, draft: Draft) -> None:
        draft.body["fields"] = list(self.fields)


@dataclass(frozen=True)
class AskAs:
    """The request is signed by another agency's official (a DHS one, here)."""

    agency: str

    def apply(self, draft: Draft) -> None:
        draft.agency = self.agency
        draft.official = DHS_AGENCIES[self.agency]


@dataclass(frozen=True)
class Identity:
    """How the agency identifies the taxpayer: exactly, or in one of the weak ways."""

    KINDS: ClassVar[tuple[str, ...]] = (
        "exact",
        "wrong_tin",
        "nobody",
        "name_only",
        "name_and_birth_date",
        "misspelt_name",
        "wrong_birth_date",
        "right_birth_date",
        "other_first_name",
    )
    kind: str

    def apply(self, draft: Draft) -> None:
        s, t = draft.subject, draft.taxpayer
        if self.kind == "wrong_tin":
            s["tin"] = _other_tin(t.person.tin)
        elif self.kind == "nobody":
            s["tin"] = _other_tin(t.person.tin)
            s["name"] = {"first": "Nobody", "middle": None, "last": f"Atall{t.taxpayer_id}"}
        elif self.kind == "name_only":
            s["tin"] = None
        elif self.kind == "name_and_birth_date":
            s["tin"] = None
            s["date_of_birth"] = t.date_of_birth.isoformat()
        elif self.kind == "misspelt_name":
            s["name"] = dict(s["name"], last=_misspelt(t.person.last))
        elif self.kind == "wrong_birth_date":
            s["date_of_birth"] = (t.date_of_birth + timedelta(days=367)).isoformat()
        elif self.kind == "right_birth_date":
            s["date_of_birth"] = t.date_of_birth.isoformat()
        elif self.kind == "other_first_name":
            s["name"] = dict(s["name"], first="Zebulon", middle=None)


def _other_tin(tin: str) -> str:
    """A TIN in SSN area 000, which is never issued and so never on file."""
    return "000-" + tin[4:]


def _misspelt(last: str) -> str:
    """Two letters changed: a different person to anyone reading carefully."""
    return last[:1] + "xq" + last[3:] if len(last) > 3 else last + "xq"


REQUIRED: dict[str, tuple[str, ...]] = {
    "6103(i)(1)": ("recipients", "statutes", "court_order"),
    "6103(i)(2)": ("recipients", "statutes", "specific_reason", "address", "name", "periods"),
    "6103(i)(5)": ("court_order",),
    "6103(i)(7)(A)": ("specific_reason",),
    "6103(d)": ("recipients",),
    "6103(m)(2)": ("claim_reference",),
}
"""Elements a basis requires (policies/README.md), besides the address among the fields."""


@dataclass(frozen=True)
class Drop:
    """A required element removed from the request."""

    element: str

    def apply(self, draft: Draft) -> None:
        b, p, s = draft.body, draft.purpose, draft.subject
        match self.element:
            case "recipients":
                b["recipients"] = []
            case "statutes":
                p["statutes"] = []
            case "court_order":
                b["court_order"] = None
            case "specific_reason":
                s["specific_reason"] = ""
            case "address":
                s["address"] = None
            case "name":
                s["name"] = None
            case "periods":
                s["taxable_periods"] = []
            case "claim_reference":
                p["claim_reference"] = None
            case "last_known_address":
                b["fields"] = [f for f in b.get("fields", []) if f != "last_known_address"] or [
                    "income"
                ]
            case _:
                raise ValueError(self.element)


@dataclass(frozen=True)
class ExpireOrder:
    """The cited order expired ``seconds`` before now (the gateway decides at its clock)."""

    seconds: int

    def apply(self, draft: Draft) -> None:
        order = draft.body.get("court_order")
        if order:
            expired = datetime.now(UTC) - timedelta(seconds=self.seconds)
            order["expires_at"] = expired.isoformat()


def required_elements(legal_basis: str) -> tuple[str, ...]:
    return ("last_known_address", *REQUIRED.get(legal_basis, ()))


_DOCKETS = itertools.count(1)


def draft(base: Base, taxpayer: FreshTaxpayer, edits: list[Edit]) -> Draft:
    """The base request about ``taxpayer``, with ``edits`` applied in order."""
    body = sc.about(base.body, taxpayer.person)
    body["request_id"] = f"INV-{base.id}-{uuid.uuid4()}"
    if body.get("court_order"):
        # every request cites an order of its own (staff record one per docket number)
        body["court_order"]["docket_number"] = f"1:26-mj-9{next(_DOCKETS):06d}"
    d = Draft(base, taxpayer, body, base.agency, base.official)
    for edit in edits:
        edit.apply(d)
    return d


# --- what a final request contains -------------------------------------------------


@dataclass(frozen=True)
class Contents:
    """What a final request says, read from its body and the meanings of what was written."""

    dhs_requester: bool
    dhs_recipient: bool
    dhs_onward: bool
    immigration_purpose: bool
    title8: bool
    civil_use: bool

    @property
    def enjoined(self) -> bool:
        """Property (1)'s premise: DHS anywhere, an immigration purpose or a Title 8 citation."""
        return (
            self.dhs_requester
            or self.dhs_recipient
            or self.dhs_onward
            or self.immigration_purpose
            or self.title8
        )


def contents(d: Draft) -> Contents:
    def means(text: str, what: Callable[[Written], bool]) -> bool:
        w = d.meanings.get(text)
        return w is not None and what(w)

    purpose = d.purpose
    return Contents(
        dhs_requester=d.agency in DHS_AGENCIES,
        dhs_recipient=any(
            means(r["employer_agency"], lambda w: w.dhs) for r in d.body.get("recipients", [])
        ),
        dhs_onward=any(means(x, lambda w: w.dhs) for x in purpose.get("onward_sharing_to", [])),
        immigration_purpose=purpose["category"] in IMMIGRATION_PURPOSES,
        title8=any(means(x, lambda w: w.title8) for x in purpose.get("statutes", [])),
        civil_use=bool(purpose.get("downstream_civil_use")),
    )
