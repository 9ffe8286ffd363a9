"""Name normalization and the name-similarity score behind ``match.name_score``.

Guarantees:

* :func:`name_key` is the value stored in ``taxpayer.name_key`` and the only
  thing candidate search compares, so "O'Brien", "OBRIEN" and "Ó Brien" find
  the same records.
* :func:`name_score` is in ``[0, 1]``, symmetric, and exactly ``1.0`` for two
  names that normalize to the same first, middle initial and last name.

Normalization is transliteration-insensitive: Unicode NFKD, combining marks
dropped, a few letters that NFKD keeps whole mapped by hand (ø, ł, æ, ß …),
casefolded, and everything that is not a letter or digit removed. Spelling
variants, typos and missing middle names are what the score is for; accents,
case and punctuation must never lower it.

Why the score is a product of per-part Jaro-Winkler similarities rather than
one Jaro-Winkler over the whole name: the Winkler prefix bonus rewards a
shared *first* name so much that "Jordan Rivera" vs "Jordan Smith" scores 0.86
(above NAME_SCORE_FLOOR, a different person let through to review), while a
missing middle initial drags "Jordan A. Rivera" vs "Jordan Rivera" down to
0.93 (below NAME_SCORE_PASS, the same person sent to review). Scoring first
and last names separately and multiplying means that one clearly different
part sinks the score, a one-letter typo in one part costs a few hundredths
(review band, as it should), and a middle name counts only when both sides
give one and the initials disagree. Jaro-Winkler (rapidfuzz) is the usual
record-linkage choice for short personal names: it tolerates transpositions
and favours agreement at the start, where spelling of names is most stable.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from rapidfuzz.distance import JaroWinkler

MIDDLE_INITIAL_MISMATCH = 0.9
"""Factor applied when both names carry a middle initial and the initials differ.

Relatives often share first and last names and differ in the middle one, so a
conflicting middle initial moves an otherwise exact match into the review band
(between NAME_SCORE_FLOOR 0.85 and NAME_SCORE_PASS 0.95) instead of passing it.
"""

# Letters that Unicode decomposition leaves as they are; mapped to the ASCII
# spelling a form or a clerk would use.
_TRANSLITERATIONS = str.maketrans(
    {
        "ø": "o",
        "Ø": "O",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "þ": "th",
        "Þ": "Th",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "\u0131": "i",  # dotless i
        "ß": "ss",
    }
)


@lru_cache(maxsize=16_384)
def normalize_part(value: str | None) -> str:
    """Return one name part reduced to lowercase ASCII-ish letters and digits.

    ``None`` and names made only of punctuation become ``""``. Cached: a
    common surname brings thousands of candidates that share a few hundred
    first names.
    """
    if not value:
        return ""
    folded = value.translate(_TRANSLITERATIONS).casefold()
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch))


def name_key(last_name: str) -> str:
    """Return the indexed search key for a last name (see :func:`normalize_part`)."""
    return normalize_part(last_name)


def _similarity(left: str, right: str) -> float:
    if left == right:
        return 1.0
    if not left or not right:
        return 0.0
    return float(JaroWinkler.normalized_similarity(left, right))


def name_score(
    first_a: str | None,
    middle_a: str | None,
    last_a: str | None,
    first_b: str | None,
    middle_b: str | None,
    last_b: str | None,
) -> float:
    """Return how alike two personal names are, from 0.0 (unrelated) to 1.0 (the same).

    ``first_sim * last_sim``, times :data:`MIDDLE_INITIAL_MISMATCH` when both
    middle initials are present and differ; see the module docstring for why.
    A missing first or last name on one side only scores 0.
    """
    first = _similarity(normalize_part(first_a), normalize_part(first_b))
    last = _similarity(normalize_part(last_a), normalize_part(last_b))
    initial_a = normalize_part(middle_a)[:1]
    initial_b = normalize_part(middle_b)[:1]
    factor = MIDDLE_INITIAL_MISMATCH if initial_a and initial_b and initial_a != initial_b else 1.0
    return first * last * factor


def first_name_entries(names: Iterable[tuple[str | None, str | None]]) -> str:
    """(first, middle) names of one surname's records, packed as ``taxpayer_name`` stores them.

    One entry per normalised first name, ``first:initials``, entries sorted and
    joined by spaces; ``initials`` are the distinct normalised middle initials
    of the records with that first name, sorted, with ``-`` for "one of them
    has none". Normalised parts are letters and digits only, so neither
    separator can occur inside one. Everything :func:`packed_best_score` needs,
    and no more: a surname's records in one short string.
    """
    initials: dict[str, set[str]] = {}
    for first, middle in names:
        initials.setdefault(normalize_part(first), set()).add(normalize_part(middle)[:1] or "-")
    return " ".join(f"{first}:{''.join(sorted(initials[first]))}" for first in sorted(initials))


def packed_best_score(
    first: str | None, middle: str | None, last: str | None, last_key: str, entries: str
) -> float:
    """The highest :func:`name_score` of a supplied name against one surname's packed records.

    ``entries`` come from :func:`first_name_entries`, ``last_key`` is the
    records' :func:`name_key`. Equal to the highest ``name_score`` against the
    records themselves (a property test checks it): a middle initial costs
    :data:`MIDDLE_INITIAL_MISMATCH` only when every record with that first name
    has one and none is the supplied one. The supplied name is normalised once,
    not once per candidate: a common surname brings a hundred first names.
    0.0 for no entries.
    """
    first_a = normalize_part(first)
    last_sim = _similarity(normalize_part(last), last_key)
    initial_a = normalize_part(middle)[:1]
    best = 0.0
    for entry in entries.split(" ") if entries else ():
        first_b, _, initials = entry.partition(":")
        score = _similarity(first_a, first_b) * last_sim
        if initial_a and "-" not in initials and initial_a not in initials:
            score *= MIDDLE_INITIAL_MISMATCH
        best = max(best, score)
    return best
