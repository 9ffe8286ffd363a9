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
errors into the audit error tree.
"""

from __future__ import annotations

from typing import TypeAlias

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


def canonical_json(obj: JsonValue) -> bytes:
    """Return the RFC 8785 canonical UTF-8 encoding of ``obj``.

    >>> canonical_json({"b": [1, True, None], "a": "é"})
    b'{"a":"\\xc3\\xa9","b":[1,true,null]}'
    """
    try:
        return rfc8785.dumps(obj)
    except rfc8785.CanonicalizationError as exc:
        raise CanonicalizationError(str(exc)) from exc
    except UnicodeError as exc:  # a lone surrogate in an object key
        raise CanonicalizationError("input contains a string that is not valid Unicode") from exc
    except RecursionError as exc:
        raise CanonicalizationError("input is nested too deeply to canonicalize") from exc
