"""The exact bytes of a log record: RFC 8785 JSON Canonicalization Scheme (JCS).

A leaf of the decision log is ``canonical_json(record)``. What this module
guarantees:

* Output is RFC 8785: UTF-8, object members sorted by the UTF-16 code units of
  their names, no insignificant whitespace, strings escaped as ECMAScript's
  ``JSON.stringify`` does, numbers in ECMAScript ``Number.prototype.toString``
  form. Equal values always give equal bytes.
* The domain is I-JSON (RFC 7493): ``dict`` with ``str`` keys, ``list`` and
  ``tuple``, ``str``, ``int`` within ±(2**53 - 1), finite ``float``, ``bool``
  and ``None``. Anything else (other types, non-string keys, integers beyond
  the IEEE 754 exact range, NaN or infinity, strings holding lone surrogates,
  nesting too deep to walk) raises
  :class:`~gateway.audit.errors.CanonicalizationError` rather than producing
  bytes another JCS implementation would not reproduce.

Floats are accepted because RFC 8785 defines their form exactly; record
schemas should still prefer integers and strings, because a reader that
parses JSON numbers into another type may not round-trip them.

The encoding itself is delegated to the ``rfc8785`` package (Trail of Bits,
also used by sigstore-python); this module pins its domain and maps its
errors into the audit error tree. ``rfc8785`` is pure Python, and a decision
leaf about 10,000 subjects is ~7 MB of it (about a second, issue 11), so a value
made only of ``dict`` with ASCII keys, ``list``/``tuple``, ``str``, ``bool``,
``None`` and safe-range ``int`` (every record the gateway writes) is encoded
by the standard library's C encoder instead: on that domain its output is
RFC 8785 byte for byte (ASCII keys sort the same by code point as by UTF-16
code unit; ``json`` escapes exactly the quote, the backslash and the C0
controls, with the same short forms and otherwise lowercase ``u00xx``, as
``JSON.stringify`` does; integers print alike). Anything else (a float, a
non-ASCII key, a lone surrogate, a cycle, another type) goes to ``rfc8785``,
which encodes or refuses it as before. tests/unit/audit/test_audit_canonical.py
compares the two on random values.
"""

from __future__ import annotations

import json
from typing import Any, TypeAlias

import rfc8785

from gateway.audit.errors import CanonicalizationError

__all__ = ["JsonValue", "canonical_json"]

JsonValue: TypeAlias = (
    dict[str, "JsonValue"]
    | list["JsonValue"]
    | tuple["JsonValue", ...]
    | str
    | int
    | float
    | bool
    | None
)
"""A value :func:`canonical_json` accepts (with the range limits in the module docstring)."""


_SAFE_INT = 2**53 - 1

_STDLIB = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False
)


def _plain(obj: Any) -> bool:
    """True if ``obj`` holds only the types on which ``json`` writes RFC 8785's bytes.

    Iterative (no recursion limit); only called once ``json`` has encoded ``obj``,
    so ``obj`` has no cycle.
    """
    stack = [obj]
    while stack:
        value = stack.pop()
        kind = type(value)
        if kind is str or kind is bool or value is None:
            continue
        if kind is int:
            if -_SAFE_INT <= value <= _SAFE_INT:
                continue
            return False
        if kind is dict:
            for key in value:
                if type(key) is not str or not key.isascii():
                    return False
            stack.extend(value.values())
        elif kind is list or kind is tuple:
            stack.extend(value)
        else:
            return False
    return True


def _fast(obj: Any) -> bytes | None:
    """The stdlib encoding of ``obj`` when it is RFC 8785's, else None."""
    try:
        text = _STDLIB.encode(obj)
        encoded = text.encode("utf-8")
    except (TypeError, ValueError, RecursionError):  # UnicodeEncodeError is a ValueError
        return None
    return encoded if _plain(obj) else None


def canonical_json(obj: JsonValue) -> bytes:
    """Return the RFC 8785 canonical UTF-8 encoding of ``obj``.

    >>> canonical_json({"b": [1, True, None], "a": "é"})
    b'{"a":"\\xc3\\xa9","b":[1,true,null]}'
    """
    fast = _fast(obj)
    if fast is not None:
        return fast
    try:
        return rfc8785.dumps(obj)
    except rfc8785.CanonicalizationError as exc:
        raise CanonicalizationError(str(exc)) from exc
    except UnicodeError as exc:  # a lone surrogate in an object key
        raise CanonicalizationError("input contains a string that is not valid Unicode") from exc
    except RecursionError as exc:
        raise CanonicalizationError("input is nested too deeply to canonicalize") from exc
