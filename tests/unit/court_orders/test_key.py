"""The registry's matching key: court + docket number, normalised (gateway.court_orders.key)."""

from __future__ import annotations

import pytest

from gateway.court_orders.key import docket_key, normalise

COURT = "U.S. District Court for the District of Maryland"
DOCKET = "1:26-mj-00077"
FULLWIDTH_DOCKET = "\uff11:\uff12\uff16-\uff4d\uff4a-\uff10\uff10\uff10\uff17\uff17"


@pytest.mark.parametrize(
    ("court", "docket"),
    [
        pytest.param("US District Court for the District of Maryland", DOCKET, id="periods"),
        pytest.param("u.s. district court for the district of maryland", DOCKET, id="case"),
        pytest.param("  U.S.  District Court\tfor the District of Maryland ", DOCKET, id="spacing"),
        pytest.param(COURT, "1:26-MJ-00077", id="docket_case"),
        pytest.param(COURT, " 1 : 26 - mj - 00077 ", id="docket_spacing"),
        pytest.param(COURT, "1.26.mj.00077", id="docket_periods"),
        pytest.param(COURT, "1:26mj00077", id="docket_without_separators"),
        pytest.param(COURT, "1\u200a:\u00a026\u2013mj\u201100077", id="unicode_spaces_and_dashes"),
        pytest.param(COURT, FULLWIDTH_DOCKET, id="fullwidth"),
    ],
)
def test_spellings_of_one_order_share_its_key(court: str, docket: str) -> None:
    assert docket_key(court, docket) == docket_key(COURT, DOCKET)


@pytest.mark.parametrize(
    ("court", "docket"),
    [
        pytest.param(COURT, "1:26-mj-00078", id="another_number"),
        pytest.param(COURT, "1:25-mj-00077", id="another_year"),
        pytest.param(COURT, "1:26-mc-00077", id="another_case_type"),
        pytest.param(COURT, "1:26-mj-0077", id="a_digit_fewer"),
        pytest.param(COURT.replace("Maryland", "Delaware"), DOCKET, id="another_court"),
    ],
)
def test_a_different_order_never_shares_the_key(court: str, docket: str) -> None:
    assert docket_key(court, docket) != docket_key(COURT, DOCKET)


def test_court_and_docket_cannot_trade_characters() -> None:
    """ "Court 1" + "2:26-mj" is not "Court" + "12:26-mj": the parts stay apart."""
    assert docket_key("Court 1", "2:26-mj-00077") != docket_key("Court", "12:26-mj-00077")


def test_normalising_is_idempotent_and_keeps_only_letters_and_digits() -> None:
    # U+03D2 (upsilon with hook) casefolds to a letter that NFKC changes again.
    for text in ("1:26-MJ-00077", "Straße Ünïcode ﬁle", "\uff21\uff22-12", "\u03d2"):
        once = normalise(text)
        assert normalise(once) == once
        assert all(ch.isalnum() for ch in once)
    assert normalise("Straße") == normalise("STRASSE")
    assert normalise("ﬁle") == "file"


def test_accented_letters_stay_themselves() -> None:
    """Only case, compatibility forms and separators are ignored; "ǰ" (which casefolds to
    "j" and a combining caron) is not "j", as "ñ" is not "n"."""
    assert normalise("ǰ") == normalise("J\u030c") == "ǰ"
    assert normalise("Núñez") != normalise("Nunez")
