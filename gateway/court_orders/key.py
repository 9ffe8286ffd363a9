"""The one way a court order is looked up: court and docket number, normalised.

Agencies and clerks write the same docket in many ways ("1:26-mj-00077",
"1:26-MJ-00077", "1 : 26-mj-00077"), and the same court too ("U.S. District
Court" and "US District Court"). A verified record must be found however the
request spells it, and must never be found for a different order. The key
therefore ignores exactly what carries no meaning in these identifiers:

* compatibility forms (Unicode NFKC: full-width digits, ligatures, non-breaking
  spaces become their plain forms);
* case (``casefold``);
* whitespace and punctuation: everything that is not a letter or a digit is
  dropped, so "U.S." and "US", "00077" and "000 77" are the same.

Letters and digits are kept as they are (accents included), in order, so two
dockets that differ in any digit never share a key. Dropping separators could
in principle join two distinct dockets ("1:26-mj" and "12:6-mj"); federal
docket numbers have a fixed shape (office:year-type-number) that rules this
out in practice, and a match only ever hands the policy the *record's* facts,
so a false match cannot widen what an order covers. Court and docket are
joined with a separator that normalisation never produces, so a court ending
in a digit cannot absorb the start of a docket number.
"""

from __future__ import annotations

import unicodedata

_SEPARATOR = "|"


def normalise(text: str) -> str:
    """``text`` with compatibility forms folded, case folded, and only letters and digits kept."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    # casefold can leave text that is not NFKC again ("\u03d2" folds to a letter whose
    # NFKC form differs): a second pass makes the key stable (a key normalises to itself;
    # checked for every code point when this was written).
    folded = unicodedata.normalize("NFKC", folded)
    return "".join(ch for ch in folded if ch.isalnum())


def docket_key(court: str, docket_number: str) -> str:
    """The registry's matching key of an order: normalised court, then normalised docket number."""
    return f"{normalise(court)}{_SEPARATOR}{normalise(docket_number)}"
