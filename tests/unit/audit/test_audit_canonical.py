"""Leaf bytes: RFC 8785 JSON Canonicalization Scheme."""

from __future__ import annotations

import json
import math
import sys

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.audit.canonical import JsonValue, _fast, canonical_json
from gateway.audit.errors import AuditVerificationError, CanonicalizationError


def test_rfc8785_main_example_is_reproduced() -> None:
    # RFC 8785 §3.2.2: input with whitespace, escapes and numbers in many forms.
    value: JsonValue = {
        "numbers": [333333333.33333329, 1e30, 4.50, 2e-3, 0.000000000000000000000000001],
        "string": "\u20ac$\u000f\u000aA'\u0042\u0022\u005c\\\"/",
        "literals": [None, True, False],
    }
    assert canonical_json(value) == (
        '{"literals":[null,true,false],'
        '"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    ).encode("utf-8")


def test_rfc8785_property_sorting_example_orders_keys_by_utf16_code_units() -> None:
    # RFC 8785 §3.2.3.
    value: JsonValue = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    encoded = canonical_json(value)
    assert list(json.loads(encoded)) == [
        "\r",
        "1",
        "\u0080",
        "\u00f6",
        "\u20ac",
        "\U0001f600",  # its UTF-16 surrogates (D83D) sort before U+FB33 ...
        "\ufb33",  # ... although its code point is larger
    ]
    assert encoded.startswith(b'{"\\r":"Carriage Return","1":"One","\xc2\x80":"Control"')


def test_output_has_no_insignificant_whitespace() -> None:
    value: JsonValue = {"b": [1, 2, {"d": None, "c": "x y"}], "a": {}}
    assert canonical_json(value) == b'{"a":{},"b":[1,2,{"c":"x y","d":null}]}'


def test_strings_are_utf8_with_only_the_escapes_json_stringify_uses() -> None:
    assert canonical_json("\u00e9/\u2028<>&'") == '"\u00e9/\u2028<>&\'"'.encode()
    assert canonical_json("\x00\x1f\b\t\n\f\r") == b'"\\u0000\\u001f\\b\\t\\n\\f\\r"'


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (0, "0"),
        (-0.0, "0"),
        (1.0, "1"),
        (-1, "-1"),
        (2**53 - 1, "9007199254740991"),
        (float(2**53), "9007199254740992"),
        (1e20, "100000000000000000000"),
        (1e21, "1e+21"),
        (1e-6, "0.000001"),
        (1e-7, "1e-7"),
        (5e-324, "5e-324"),
        (sys.float_info.max, "1.7976931348623157e+308"),
        (0.1 + 0.2, "0.30000000000000004"),
    ],
)
def test_numbers_use_the_ecmascript_form(number: float, text: str) -> None:
    assert canonical_json(number) == text.encode()


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(math.nan, id="nan"),
        pytest.param(math.inf, id="infinity"),
        pytest.param(2**53, id="int-beyond-2-to-the-53"),
        pytest.param(-(2**53), id="int-below-minus-2-to-the-53"),
        pytest.param({1: "x"}, id="int-key"),
        pytest.param({"s": {1, 2}}, id="set"),
        pytest.param(b"bytes", id="bytes"),
        pytest.param("\ud800", id="lone-surrogate-value"),
        pytest.param({"\ud800": 1, "a": 2}, id="lone-surrogate-key"),
    ],
)
def test_values_outside_i_json_are_refused(value: object) -> None:
    with pytest.raises(CanonicalizationError):
        canonical_json(value)  # type: ignore[arg-type]


def test_nesting_too_deep_is_refused_not_crashed() -> None:
    deep: JsonValue = []
    for _ in range(sys.getrecursionlimit() + 10):
        deep = [deep]
    with pytest.raises(CanonicalizationError, match="nested"):
        canonical_json(deep)


def test_canonicalization_errors_are_not_verification_errors() -> None:
    assert issubclass(CanonicalizationError, ValueError)
    assert not issubclass(CanonicalizationError, AuditVerificationError)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    # Beyond 2**53 a float prints as an integer that reads back as an out-of-range int.
    | st.floats(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_canonical_bytes_parse_back_to_an_equal_value_and_are_a_fixed_point(
    value: JsonValue,
) -> None:
    encoded = canonical_json(value)
    parsed = json.loads(encoded)
    assert canonical_json(parsed) == encoded
    reordered = json.loads(encoded, object_pairs_hook=lambda pairs: dict(reversed(pairs)))
    assert canonical_json(reordered) == encoded


# The stdlib fast path's domain (no floats), with keys and strings drawn from all of
# Unicode: ASCII and non-ASCII keys, C0 controls, quotes, backslashes, U+2028, astral.
plain_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.integers(2**53, 2**64)
    | st.text(alphabet=st.characters(codec="utf-8"))
    | st.text(alphabet=st.sampled_from('"\\\x00\x01\x08\x0c\x1f\x7f\u2028\ue000\U0001f600a/')),
    lambda children: (
        st.lists(children, max_size=4)
        | st.lists(children, max_size=3).map(tuple)
        | st.dictionaries(
            st.text(alphabet=st.sampled_from('ab"\\\x0a\u20ac\U0001f600\ufb33'), max_size=4)
            | st.text(max_size=4),
            children,
            max_size=4,
        )
    ),
    max_leaves=25,
)


@settings(max_examples=600, deadline=None)
@given(plain_values)
def test_fast_path_gives_rfc8785_bytes_or_the_same_refusal(value: JsonValue) -> None:
    """The leaf bytes auditors verify are rfc8785's, whichever encoder wrote them."""
    try:
        expected = rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, UnicodeError):
        with pytest.raises(CanonicalizationError):
            canonical_json(value)
        return
    assert canonical_json(value) == expected


def test_fast_path_takes_records_of_ascii_keys_and_leaves_floats_to_rfc8785() -> None:
    record: JsonValue = {"b": ['\x1f"\\é\u2028', 2**53 - 1, None, True], "a": ({},)}
    assert _fast(record) == rfc8785.dumps(record)
    assert _fast({"n": 1.0}) is None
    assert _fast({"\u20ac": 1}) is None
    assert _fast({1: "x"}) is None
