"""Statute citations as canonical facts (issue 7, "Canonical statutes").

Agencies cite the law as they please: ``8 USC 1326``, ``8 U.S.C. § 1326(a)``,
``Title 8, Section 1326``, ``section 276 of the INA``, in fullwidth digits or
with non-breaking spaces. The policy must decide on the statute, not on its
spelling, so every citation is parsed here, and only here, into one canonical
form:

- United States Code: ``8 U.S.C. 1326(a)``; Code of Federal Regulations:
  ``8 C.F.R. 287.7``; Immigration and Nationality Act: ``INA 276``;
- any other code (a State's): the code's name in capitals without periods or
  commas, then the section: ``CAL REV & TAX CODE 19087``;
- section and subsection letters in lower case, subsections without spaces.

The statute registry (``policies/registry/statutes``) is keyed by canonical
citation, and the policy looks a citation up by its ``lookup`` keys, most
specific first (``8 U.S.C. 1253(a)(1)``, then ``8 U.S.C. 1253(a)``, then
``8 U.S.C. 1253``), so a subsection inherits its section's facts unless the
registry says more about it.

Title 8 of the Code (and of the C.F.R., and the INA it codifies) is the law of
aliens and nationality: a citation there is immigration-related whatever its
section, and ``immigration_title`` says so even when the rest of the citation
cannot be parsed ("8 U.S.C. 1326 and 1324" is one such text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from gateway.facts.text import nfkc

USC = "U.S.C."
CFR = "C.F.R."
INA = "INA"

_FED_CODE = (
    r"(?P<code>u ?s ?c(?: ?a)?|united states code(?: annotated)?"
    r"|c ?f ?r|code of federal regulations)"
)
_INA = r"(?P<ina>ina|immigration and nationality act)"
_SECTION_MARK = r"(?:(?:§ ?)+|sections? |secs? |s )?"
_SECTION = r"(?P<section>\d+[a-z]*(?:[-.]\d+[a-z]*)*)"
_SUBS = r"(?P<subs>(?: ?\([a-z0-9]+\))*)"
_OF_THE = r"(?:of )?(?:the )?"

_PATTERNS = tuple(
    re.compile(p)
    for p in (
        # 8 U.S.C. § 1326(a) · Title 8 USC 1326 · 8 usca 1326
        rf"^(?:title )?(?P<title>\d+) {_FED_CODE} ?{_SECTION_MARK}{_SECTION} ?{_SUBS}$",
        # Title 8, Section 1326 · Title 8 of the United States Code § 1326
        rf"^title (?P<title>\d+) (?:{_OF_THE}{_FED_CODE} )?{_SECTION_MARK}{_SECTION} ?{_SUBS}$",
        # Section 1326(a) of Title 8 (of the United States Code)
        rf"^{_SECTION_MARK}{_SECTION} ?{_SUBS} {_OF_THE}title (?P<title>\d+)"
        rf"(?: {_OF_THE}{_FED_CODE})?$",
        # INA § 276 · Immigration and Nationality Act section 276(a)
        rf"^{_INA}(?: of 1952)? ?{_SECTION_MARK}{_SECTION} ?{_SUBS}$",
        # Section 276 of the INA
        rf"^{_SECTION_MARK}{_SECTION} ?{_SUBS} {_OF_THE}{_INA}$",
        # Cal. Rev. & Tax. Code § 19087 · Md. Code, Crim. Law 6-202
        rf"^(?P<name>(?:[a-z&'-]+ )*?code(?: [a-z&'-]+)*?) ?{_SECTION_MARK}{_SECTION} ?{_SUBS}$",
    )
)

_TITLE_8_HINTS = re.compile(
    r"(?:^|[^0-9])0*8 ?(?:u ?s ?c|c ?f ?r|united states code|code of federal regulations)"
    r"|\btitle (?:0*8|viii)\b|\bina\b|immigration and nationality act|\bimmigration\b"
)


@dataclass(frozen=True)
class StatuteFact:
    """What the gateway made of one cited statute; ``citation`` is None when unparsed."""

    text: str
    citation: str | None
    title: int | None
    code: str | None
    section: str | None
    subsections: tuple[str, ...]
    immigration_title: bool

    @property
    def lookup(self) -> list[str]:
        """Registry keys to try, most specific first: the citation, then its ancestors."""
        if self.citation is None or self.section is None:
            return []
        head = self.citation[: len(self.citation) - sum(len(s) + 2 for s in self.subsections)]
        return [
            head + "".join(f"({s})" for s in self.subsections[:n])
            for n in range(len(self.subsections), -1, -1)
        ]

    def as_input(self) -> dict[str, Any]:
        """The fact as the policy input carries it (policies/README.md, "Statutes")."""
        return {
            "text": self.text,
            "citation": self.citation,
            "title": self.title,
            "code": self.code,
            "section": self.section,
            "subsections": list(self.subsections),
            "lookup": self.lookup,
            "immigration_title": self.immigration_title,
        }


def _flatten(text: str) -> str:
    """Lower case, ``§`` spaced out, periods (except between digits) and commas dropped."""
    t = nfkc(text).casefold().replace("§", " § ")
    t = re.sub(r"(?<![0-9])\.|\.(?![0-9])", " ", t)
    t = t.replace(",", " ").replace(";", " ; ")
    t = re.sub(r"\s*\(\s*", "(", t)
    t = re.sub(r"\s*\)", ")", t)
    return re.sub(r"\s+", " ", t).strip()


def _code_name(raw: str) -> str:
    """``U.S.C.`` or ``C.F.R.`` for the Federal codes; any other code's name in capitals."""
    joined = raw.replace(" ", "")
    if joined in {"usc", "usca", "unitedstatescode", "unitedstatescodeannotated"}:
        return USC
    if joined in {"cfr", "codeoffederalregulations"}:
        return CFR
    return re.sub(r"\s+", " ", raw).strip().upper()


def parse_citation(text: str) -> StatuteFact:
    """Parse one cited statute into its canonical fact (never raises)."""
    flat = _flatten(text)
    for pattern in _PATTERNS:
        m = pattern.match(flat)
        if m is None:
            continue
        groups = m.groupdict()
        section = groups["section"]
        subsections = tuple(re.findall(r"\(([a-z0-9]+)\)", groups["subs"] or ""))
        tail = section + "".join(f"({s})" for s in subsections)
        if groups.get("ina"):
            return StatuteFact(text, f"{INA} {tail}", None, INA, section, subsections, True)
        if groups.get("name"):
            code = _code_name(groups["name"])
            return StatuteFact(text, f"{code} {tail}", None, code, section, subsections, False)
        title = int(groups["title"])
        code = _code_name(groups["code"]) if groups.get("code") else USC
        return StatuteFact(
            text, f"{title} {code} {tail}", title, code, section, subsections, title == 8
        )
    return StatuteFact(text, None, None, None, None, (), bool(_TITLE_8_HINTS.search(flat)))
