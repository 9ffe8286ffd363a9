"""Which fields of the order an agency presented differ from the verified record.

The policy decides on the record, never on the claim; the claim's deviations
are still a fact worth a human's look (6103-I1-1c): an agency that gets the
covered TINs, the expiry or the judge wrong either holds a different order or
is careless with one. Only field *names* are reported, so the list carries no
personal data into the policy input, the logs or an answer.

Each field has one comparison, chosen so that what carries no meaning never
counts as a difference: instants compare as instants (any offset), lists as
sets (order is not meaningful in an order's lists), TINs by their digits,
names and court texts by :func:`gateway.court_orders.key.normalise`. Court and
docket number are compared the same way as the matching key, so a record found
by its key never differs from the claim in either.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway.court_orders.key import normalise
from gateway.domain import CourtOrder


def _same(a: Any, b: Any) -> bool:
    return bool(a == b)


def _text(a: str, b: str) -> bool:
    return normalise(a) == normalise(b)


def _texts(a: list[str], b: list[str]) -> bool:
    return {normalise(x) for x in a} == {normalise(x) for x in b}


def _tins(a: list[str], b: list[str]) -> bool:
    return {t.replace("-", "") for t in a} == {t.replace("-", "") for t in b}


def _set(a: list[Any], b: list[Any]) -> bool:
    return set(a) == set(b)


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "order_type": _same,
    "court": _text,
    "court_type": _same,
    "judge": _text,
    "judge_type": _same,
    "docket_number": _text,
    "issued_at": _same,  # aware datetimes: equal when they are the same instant
    "expires_at": _same,
    "applicant_authorizer_role": _same,
    "covered_tins": _tins,
    "covered_taxable_periods": _set,
    "covered_data": _set,
    "named_recipients": _texts,
    "arrest_warrant": _same,
}
"""One comparison for every field of :class:`CourtOrder`."""


def discrepancies(claimed: CourtOrder, recorded: CourtOrder) -> list[str]:
    """Sorted names of the fields where ``claimed`` says something other than ``recorded``.

    Every field of the wire model is compared: a field added to :class:`CourtOrder`
    without a comparison here raises ``KeyError`` instead of being silently ignored.
    """
    return sorted(
        name
        for name in CourtOrder.model_fields
        if not _COMPARE[name](getattr(claimed, name), getattr(recorded, name))
    )
