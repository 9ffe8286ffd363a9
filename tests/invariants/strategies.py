"""Hypothesis strategies: a known-good request and the edits that make it something else.

A drawn request is ``(base id, [edits])``. Hypothesis shrinks towards the first
base and fewer edits, so a falsifying example reads as "S24, plus onward
sharing to 'D.H.S.'": the smallest change to a request the gateway releases
that breaks a property.
"""

from __future__ import annotations

from typing import get_args

from hypothesis import strategies as st

from gateway.domain import PurposeCategory
from tests.invariants import spellings as sp
from tests.invariants.world import (
    DHS_AGENCIES,
    IMMIGRATION_PURPOSES,
    KNOWN_GOOD,
    REQUIRED,
    WIRE_BASES,
    WIRE_FIELDS,
    AddRecipient,
    AskAs,
    Basis,
    Category,
    CiteStatute,
    CivilUse,
    Drop,
    Edit,
    ExpireOrder,
    Fields,
    Identity,
    InvokeMou,
    ShareOnward,
)

PURPOSES = get_args(PurposeCategory)
NATURES = ("criminal", "civil", "mixed", "unknown")
STRONG_IDENTITIES = ("exact", "right_birth_date", "name_and_birth_date")
WEAK_IDENTITIES = tuple(k for k in Identity.KINDS if k not in STRONG_IDENTITIES)
ALL_ELEMENTS = tuple(sorted({e for es in REQUIRED.values() for e in es} | {"last_known_address"}))

bases = st.sampled_from(KNOWN_GOOD)

fields = st.lists(st.sampled_from(WIRE_FIELDS), min_size=1, max_size=len(WIRE_FIELDS), unique=True)
field_edits: st.SearchStrategy[Edit] = fields.map(lambda f: Fields(tuple(f)))
strong_identity: st.SearchStrategy[Edit] = st.sampled_from(STRONG_IDENTITIES).map(Identity)
weak_identity: st.SearchStrategy[Edit] = st.sampled_from(WEAK_IDENTITIES).map(Identity)

quiet_edits: st.SearchStrategy[Edit] = st.one_of(
    field_edits, strong_identity, sp.other_statutes().map(CiteStatute)
)
"""Edits that leave a known-good request releasable: fields asked, an exact identification
another way, one more non-tax criminal statute. Noise in front of the edit under test."""


def dhs_recipient(*, documented_only: bool = False) -> st.SearchStrategy[Edit]:
    return st.builds(AddRecipient, sp.dhs_names(documented_only=documented_only), st.booleans())


def dhs_onward(*, documented_only: bool = False) -> st.SearchStrategy[Edit]:
    return sp.dhs_names(documented_only=documented_only).map(ShareOnward)


def title8(*, documented_only: bool = False) -> st.SearchStrategy[Edit]:
    return sp.title8_citations(documented_only=documented_only).map(CiteStatute)


dhs_requester: st.SearchStrategy[Edit] = st.sampled_from(sorted(DHS_AGENCIES)).map(AskAs)
immigration_purpose: st.SearchStrategy[Edit] = st.builds(
    Category, st.sampled_from(IMMIGRATION_PURPOSES), st.none() | st.sampled_from(NATURES)
)
any_basis: st.SearchStrategy[Edit] = st.sampled_from(WIRE_BASES).map(Basis)

any_edit: st.SearchStrategy[Edit] = st.one_of(
    quiet_edits,
    weak_identity,
    dhs_recipient(),
    st.builds(AddRecipient, sp.other_employers(), st.booleans()),
    dhs_onward(),
    sp.other_employers().map(ShareOnward),
    title8(),
    st.builds(Category, st.sampled_from(PURPOSES), st.none() | st.sampled_from(NATURES)),
    any_basis,
    st.just(CivilUse()),
    st.just(InvokeMou()),
    dhs_requester,
    st.sampled_from(ALL_ELEMENTS).map(Drop),
    st.integers(1, 400 * 86400).map(ExpireOrder),
)
"""Every kind of edit: the search space of properties (2), (3), (4) and (6)."""


def requests(
    *, noise: st.SearchStrategy[Edit] = quiet_edits, then: st.SearchStrategy[Edit] | None = None
) -> st.SearchStrategy[tuple[str, list[Edit]]]:
    """A base id and its edits: up to three ``noise`` edits, then (if given) one ``then`` edit.

    The edit under test comes last, so that no later edit can take it back out.
    """
    edits = st.lists(noise, max_size=3)
    if then is not None:
        edits = st.tuples(edits, then).map(lambda pair: [*pair[0], pair[1]])
    return st.tuples(bases, edits)
