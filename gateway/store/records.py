"""The taxpayer record as it is imported (API.md, "Taxpayer datastore import"), and its rows.

:class:`TaxpayerRecord` is strict: unknown keys are refused, types are not
coerced ("2024" is not a tax year), every string is bounded, TINs must be
well formed *and* agree with ``tin_type`` (an SSN never starts with 9, an ITIN
always does, with a group number the IRS issues ITINs from), states are USPS
codes and ZIP codes have 5 or 5+4 digits. Validation messages name the field
and the rule, never the value (pydantic's messages do not echo input; the
importer strips the input from every error it reports).

:func:`record_rows` turns one record into the row tuples that
:mod:`gateway.store.bulk` inserts, so that the importer and the seeder's demo
taxpayers write rows the same way.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from gateway.store.bulk import Row
from gateway.store.names import name_key

TAX_YEAR_MIN = 1980
"""Oldest tax year accepted; older records are out of the gateway's scope."""

# fmt: off
USPS_STATE_CODES = frozenset((
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
    "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA",
    "WV", "WI", "WY", "AS", "GU", "MP", "PR", "VI", "UM", "AA", "AE", "AP",
))
# fmt: on
"""States, DC, territories and the military "states" a mailing address can carry."""

ITIN_GROUPS = frozenset([*range(50, 66), *range(70, 89), *range(90, 93), *range(94, 100)])
"""The middle two digits the IRS issues ITINs with."""

_TIN = re.compile(r"^([0-9]{3})-([0-9]{2})-([0-9]{4})$")

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
OptionalText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None
Tin = Annotated[str, StringConstraints(pattern=_TIN.pattern)]
State = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
Zip = Annotated[str, StringConstraints(pattern=r"^[0-9]{5}(-[0-9]{4})?$")]
TaxYear = Annotated[int, Field(ge=TAX_YEAR_MIN)]
AddressSource = Literal["form_1040", "form_w2", "form_1099", "form_8822", "form_w7"]
FilingStatus = Literal[
    "single",
    "married_filing_jointly",
    "married_filing_separately",
    "head_of_household",
    "qualifying_surviving_spouse",
]

_STRICT = ConfigDict(extra="forbid", strict=True, frozen=True)


def _blank_to_none(value: str | None) -> str | None:
    return value or None


def _not_in_future(year: int) -> int:
    if year > date.today().year:
        raise ValueError("tax year is in the future")
    return year


class PersonName(BaseModel):
    model_config = _STRICT

    first: Text
    middle: OptionalText = None
    last: Text

    _middle = field_validator("middle")(_blank_to_none)


class AddressRecord(BaseModel):
    model_config = _STRICT

    line1: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    line2: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    city: Text
    state: State
    zip: Zip
    tax_year: TaxYear
    source: AddressSource
    taxpayer_supplied: bool

    _line2 = field_validator("line2")(_blank_to_none)
    _year = field_validator("tax_year")(_not_in_future)

    @field_validator("state")
    @classmethod
    def _usps(cls, value: str) -> str:
        if value not in USPS_STATE_CODES:
            raise ValueError("state is not a USPS state or territory code")
        return value


class ReturnRecord(BaseModel):
    model_config = _STRICT

    tax_year: TaxYear
    filing_status: FilingStatus
    agi: Annotated[int, Field(ge=-(10**12), le=10**12)]
    employer: OptionalText = None
    bank_account: Annotated[str, StringConstraints(pattern=r"^[0-9]{4,34}$")] | None = None

    _year = field_validator("tax_year")(_not_in_future)
    _employer = field_validator("employer")(_blank_to_none)


class Flags(BaseModel):
    model_config = _STRICT

    confidential_informant: bool = False
    tax_investigation_impairment: bool = False


class TaxpayerRecord(BaseModel):
    """One line of an import file: a taxpayer with addresses, returns and record flags."""

    model_config = _STRICT

    tin: Tin
    tin_type: Literal["SSN", "ITIN"]
    name: PersonName
    date_of_birth: date
    addresses: Annotated[list[AddressRecord], Field(max_length=50)]
    returns: Annotated[list[ReturnRecord], Field(max_length=50)] = []
    flags: Flags = Flags()

    @field_validator("date_of_birth")
    @classmethod
    def _plausible_birth(cls, value: date) -> date:
        if value < date(1900, 1, 1) or value > date.today():
            raise ValueError("date of birth is outside 1900-01-01 .. today")
        return value

    @model_validator(mode="after")
    def _tin_agrees_with_type(self) -> TaxpayerRecord:
        check_tin(self.tin, self.tin_type)
        return self


def check_tin(tin: str, tin_type: str) -> None:
    """Raise ``ValueError`` unless ``tin`` is a well-formed TIN of ``tin_type``.

    SSN: area 001-899 except 666, group 01-99, serial 0001-9999. ITIN: area
    9xx and a group from :data:`ITIN_GROUPS`. The message never holds the TIN.
    """
    match = _TIN.fullmatch(tin)
    if match is None:
        raise ValueError("tin is not of the form 123-45-6789")
    area, group, serial = (int(part) for part in match.groups())
    if tin_type == "ITIN":
        if area < 900 or group not in ITIN_GROUPS:
            raise ValueError("tin is not in the ITIN number ranges")
        return
    if area == 0 or area == 666 or area >= 900 or group == 0 or serial == 0:
        raise ValueError("tin is not in the SSN number ranges")


def record_rows(
    record: TaxpayerRecord,
    taxpayer_id: int,
    first_address_id: int,
    first_return_id: int,
    *,
    dates_as_text: bool,
) -> tuple[Row, list[Row], list[Row]]:
    """The ``taxpayer``, ``address`` and ``tax_return`` rows of one record, with explicit ids.

    Tuples in the column order of :mod:`gateway.store.bulk`; ``dates_as_text``
    comes from :func:`gateway.store.bulk.dates_as_text`.
    """
    dob = record.date_of_birth
    taxpayer = (
        taxpayer_id,
        record.tin,
        record.tin_type,
        record.name.first,
        record.name.middle,
        record.name.last,
        name_key(record.name.last),
        dob.isoformat() if dates_as_text else dob,
        record.flags.confidential_informant,
        record.flags.tax_investigation_impairment,
    )
    addresses = [
        (
            first_address_id + i,
            taxpayer_id,
            a.line1,
            a.line2,
            a.city,
            a.state,
            a.zip,
            a.tax_year,
            a.source,
            a.taxpayer_supplied,
        )
        for i, a in enumerate(record.addresses)
    ]
    returns = [
        (
            first_return_id + i,
            taxpayer_id,
            r.tax_year,
            r.filing_status,
            r.agi,
            r.employer,
            r.bank_account,
        )
        for i, r in enumerate(record.returns)
    ]
    return taxpayer, addresses, returns
