"""The ways an agency can write DHS and an immigration statute, as Hypothesis strategies.

A rule that recognises "DHS" but not "D.H.S.", "Ｄ Ｈ Ｓ" or "DΗS" (a Greek capital
Eta) lets a request through that a person would read as going to DHS. These
strategies start from how agencies actually write DHS, its components and Title 8,
and disguise them the way a careless or a deliberate writer would: punctuation,
case, non-breaking spaces, fullwidth forms and look-alike letters from other
scripts. Each drawn text carries what it *means* (``Written.dhs``,
``Written.title8``): the tests know what they wrote, so no evaluator of names is
needed on the test side.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import strategies as st

DHS_NAMES = (
    "DHS",
    "D.H.S.",
    "ICE",
    "I.C.E.",
    "Immigration & Customs Enforcement",
    "Immigration and Customs Enforcement",
    "U.S. Immigration and Customs Enforcement",
    "ICE ERO",
    "ERO",
    "HSI",
    "ICE-HSI",
    "DHS/ICE",
    "CBP",
    "U.S. Customs and Border Protection",
    "U.S. Border Patrol",
    "Border Patrol",
    "USCIS",
    "U.S. Citizenship and Immigration Services",
    "Homeland Security",
    "Department of Homeland Security",
    "Dept. of Homeland Security",
    "FEMA",
    "TSA",
    "Secret Service",
    "Coast Guard",
    "DHS-ICE",
    "DHS-CBP",
    "DHS-HQ",
    "DHS-ICE-HSI",
)
"""DHS, its components and its registry ids, as agencies write them."""

DOCUMENTED_DHS_NAMES = (
    "DHS",
    "dhs",
    "ICE",
    "ICE ERO",
    "DHS/ICE",
    "ice_hsi",
    "HSI",
    "CBP",
    "USCIS",
    "FEMA",
    "Dept. of Homeland Security",
    "U.S. Customs and Border Protection",
    "Immigration and Customs Enforcement",
    "DHS-ICE",
    "DHS-CBP",
    "DHS-HQ",
    "DHS-ICE-HSI",
)
"""The spellings policies/README.md says the policy recognises (INJ-1), and registry ids."""

NON_DHS_EMPLOYERS = ("DOJ", "FBI", "Department of Justice", "DEA", "U.S. Marshals Service")
"""Other Federal employers (look-alike free), for recipients that change nothing about DHS."""

REGISTRY_TITLE8_SECTIONS = (
    "1227",
    "1229a",
    "1229c(d)",
    "1231",
    "1253(a)(1)",
    "1325",
    "1325(a)",
    "1326",
    "1326(a)",
)
"""Title 8 sections the statute registry lists (policies/registry/statutes)."""
OTHER_TITLE8_SECTIONS = (
    "1324",
    "1306",
    "1304(e)",
    "1357",
    "1182",
)
"""Real Title 8 sections the registry does not list: still immigration statutes."""

TITLE8_FORMATS = (
    "8 U.S.C. {}",
    "8 USC {}",
    "8 U.S.C. § {}",
    "8 U.S.C. §{}",
    "8 U.S.C. §§ {}",
    "Title 8, Section {}",
    "8 U. S. C. {}",
    "8 U.S.C.. {}",
    "8 U.S.C.A. {}",
    "Title 8 U.S.C. {}",
    "8 US Code {}",
)

OTHER_CRIMINAL_STATUTES = ("18 U.S.C. 2113(a)", "18 U.S.C. 1343", "21 U.S.C. 841(a)")
"""Non-tax Federal criminal statutes in the registry: citing one changes nothing."""


@dataclass(frozen=True)
class Written:
    """A text an agency wrote, and what it means."""

    text: str
    dhs: bool = False
    title8: bool = False


def _fullwidth(text: str) -> str:
    """ASCII letters and digits as their fullwidth forms (U+FF01..U+FF5E)."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


def _fullwidth_digits(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isdigit() else c for c in text)


_CONFUSABLES = {
    "H": "\u0397",  # GREEK CAPITAL LETTER ETA
    "I": "\u0406",  # CYRILLIC CAPITAL LETTER BYELORUSSIAN-UKRAINIAN I
    "C": "\u0421",  # CYRILLIC CAPITAL LETTER ES
    "E": "\u0415",  # CYRILLIC CAPITAL LETTER IE
    "S": "\u0405",  # CYRILLIC CAPITAL LETTER DZE
    "B": "\u0392",  # GREEK CAPITAL LETTER BETA
    "P": "\u0420",  # CYRILLIC CAPITAL LETTER ER
}


def _confusable(letter: str) -> Callable[[str], str]:
    def swap(text: str) -> str:
        return text.replace(letter, _CONFUSABLES[letter])

    swap.__name__ = f"confusable_{letter}"
    return swap


def _nbsp(text: str) -> str:
    return text.replace(" ", "\u00a0")


def _mixed_case(text: str) -> str:
    return "".join(c.lower() if i % 2 else c.upper() for i, c in enumerate(text))


def _extra_periods(text: str) -> str:
    return text.replace(".", "..") if "." in text else text + "."


def _spaced(text: str) -> str:
    return f"  {text} "


DISGUISES: tuple[Callable[[str], str], ...] = (
    str.lower,
    str.upper,
    _mixed_case,
    _nbsp,
    _fullwidth,
    _extra_periods,
    _spaced,
    *(_confusable(letter) for letter in _CONFUSABLES),
)
STATUTE_DISGUISES: tuple[Callable[[str], str], ...] = (
    str.lower,
    _nbsp,
    _fullwidth_digits,
    _fullwidth,
    _extra_periods,
    _spaced,
)


def _disguised(
    names: st.SearchStrategy[str], disguises: tuple[Callable[[str], str], ...]
) -> st.SearchStrategy[str]:
    def apply(pair: tuple[str, list[Callable[[str], str]]]) -> str:
        text, steps = pair
        for step in steps:
            text = step(text)
        return text

    return st.tuples(names, st.lists(st.sampled_from(disguises), max_size=3)).map(apply)


def dhs_names(*, documented_only: bool = False) -> st.SearchStrategy[Written]:
    """DHS or one of its components, written as an agency might, disguised or not.

    ``documented_only``: only the spellings the policy documents (and registry ids),
    undisguised; the same property on a smaller domain.
    """
    if documented_only:
        texts = st.sampled_from(DOCUMENTED_DHS_NAMES)
    else:
        texts = _disguised(st.sampled_from(DHS_NAMES + DOCUMENTED_DHS_NAMES), DISGUISES)
    return texts.map(lambda t: Written(t, dhs=True))


def title8_citations(*, documented_only: bool = False) -> st.SearchStrategy[Written]:
    """A Title 8 (immigration) citation in one of the ways citations are written.

    ``documented_only``: the statute registry's own citations of Title 8, verbatim.
    """
    if documented_only:
        texts = st.sampled_from([f"8 U.S.C. {s}" for s in REGISTRY_TITLE8_SECTIONS])
    else:
        texts = _disguised(
            st.builds(
                lambda fmt, section: fmt.format(section),
                st.sampled_from(TITLE8_FORMATS),
                st.sampled_from(REGISTRY_TITLE8_SECTIONS + OTHER_TITLE8_SECTIONS),
            ),
            STATUTE_DISGUISES,
        )
    return texts.map(lambda t: Written(t, title8=True))


def other_employers() -> st.SearchStrategy[Written]:
    return st.sampled_from(NON_DHS_EMPLOYERS).map(Written)


def other_statutes() -> st.SearchStrategy[Written]:
    return st.sampled_from(OTHER_CRIMINAL_STATUTES).map(Written)
