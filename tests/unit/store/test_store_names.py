"""Name normalization and the name score behind match.name_score."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from gateway.store.names import (
    MIDDLE_INITIAL_MISMATCH,
    first_name_entries,
    name_key,
    name_score,
    normalize_part,
    packed_best_score,
)

NAME_SCORE_PASS = 0.95  # POLICY_MODEL.md §3.4
NAME_SCORE_FLOOR = 0.85

names = st.one_of(st.none(), st.text(max_size=30))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("O'Brien", "obrien"),
        ("OBRIEN", "obrien"),
        ("Núñez", "nunez"),
        ("Al-Sayed", "alsayed"),
        ("De La Cruz", "delacruz"),
        ("Søren", "soren"),
        ("Łukasz", "lukasz"),
        ("Straße", "strasse"),
        ("  ", ""),
        (None, ""),
    ],
)
def test_normalization_ignores_case_accents_and_punctuation(raw: str | None, expected: str) -> None:
    assert normalize_part(raw) == expected


def test_name_key_is_the_normalized_last_name() -> None:
    assert name_key("O'Brien") == name_key("obrien") == name_key("O BRIEN")


def test_identical_full_names_score_one() -> None:
    assert name_score("Jordan", "A.", "Rivera", "Jordan", "A.", "Rivera") == 1.0


def test_accent_and_case_variants_score_one() -> None:
    assert name_score("Ana", "Sofía", "Núñez", "ANA", "S", "nunez") == 1.0


def test_missing_middle_name_on_one_side_passes() -> None:
    assert name_score("Jordan", "A.", "Rivera", "Jordan", None, "Rivera") >= NAME_SCORE_PASS


def test_conflicting_middle_initials_fall_into_the_review_band() -> None:
    score = name_score("Jordan", "A.", "Rivera", "Jordan", "M.", "Rivera")
    assert score == pytest.approx(MIDDLE_INITIAL_MISMATCH)
    assert NAME_SCORE_FLOOR <= score < NAME_SCORE_PASS


def test_one_letter_typo_falls_into_the_review_band() -> None:
    score = name_score("Jordon", None, "Rivera", "Jordan", None, "Rivera")
    assert NAME_SCORE_FLOOR <= score < NAME_SCORE_PASS


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (("Jordan", None, "Rivera"), ("Jordan", None, "Smith")),
        (("Jordan", None, "Rivera"), ("Maria", None, "Rivera")),
        (("Samuel", "K.", "Okafor"), ("Maria", "L.", "Gonzalez")),
        (("Jose", None, "Garcia"), ("Maria", None, "Garcia")),
    ],
)
def test_different_people_score_below_the_floor(
    a: tuple[str, str | None, str], b: tuple[str, str | None, str]
) -> None:
    assert name_score(*a, *b) < NAME_SCORE_FLOOR


def test_a_missing_first_or_last_name_scores_zero() -> None:
    assert name_score(None, None, "Rivera", "Jordan", None, "Rivera") == 0.0
    assert name_score("Jordan", None, None, "Jordan", None, "Rivera") == 0.0


@given(names, names, names, names, names, names)
def test_score_is_between_zero_and_one(
    f1: str | None, m1: str | None, l1: str | None, f2: str | None, m2: str | None, l2: str | None
) -> None:
    assert 0.0 <= name_score(f1, m1, l1, f2, m2, l2) <= 1.0


@given(names, names, names, names, names, names)
def test_score_is_symmetric(
    f1: str | None, m1: str | None, l1: str | None, f2: str | None, m2: str | None, l2: str | None
) -> None:
    assert name_score(f1, m1, l1, f2, m2, l2) == name_score(f2, m2, l2, f1, m1, l1)


@given(names, names, names)
def test_a_name_compared_with_itself_scores_one(
    first: str | None, middle: str | None, last: str | None
) -> None:
    assert name_score(first, middle, last, first, middle, last) == 1.0


@given(
    names,
    names,
    names,
    st.text(max_size=12),
    st.lists(st.tuples(names, names), max_size=6),
)
# one namesake without a middle name: a supplied initial costs nothing against it
@example("Ana", "B", "Quill", "Quill", [("Ana", "C."), ("ana", None)])
def test_the_packed_best_score_is_the_highest_name_score_of_the_records(
    first: str | None,
    middle: str | None,
    last: str | None,
    surname: str,
    records: list[tuple[str | None, str | None]],
) -> None:
    """What ``taxpayer_name`` stores of a surname scores as the records themselves would."""
    expected = max(
        (name_score(first, middle, last, f, m, surname) for f, m in records), default=0.0
    )
    packed = first_name_entries(records)
    assert packed_best_score(first, middle, last, name_key(surname), packed) == expected
