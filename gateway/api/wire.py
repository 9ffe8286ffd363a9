"""Wire hygiene: every request body is checked as bytes before any endpoint reads it.

Why here and not in the endpoints' models: the policy decides on parsed values,
and the usual parsers resolve ambiguity silently. ``json`` and pydantic let the
last of two equal keys win (``{"legal_basis": "none", "legal_basis":
"6103(i)(2)"}`` is decided as (i)(2), while a person or tool reading the first
sees "none"); invisible characters (a bidi override, a zero-width space) make
a string look like another; ``NaN`` is no JSON at all. A body that two readers
could read differently must never reach the policy, the log or the datastore.

One pure ASGI gate, in front of every route, covers each endpoint that takes a
body, today's and tomorrow's, without any of them opting in. It needs no
identity, so it runs before authentication: a refused body uses up no token
and nothing is decided, logged or stored. An empty body passes untouched
(``POST /v1/log/checkpoint`` has none; an endpoint that needs a body refuses an
empty one itself).

Problem documents name where the fault is (a key path, a code point, a byte
offset), never the offending value: bodies carry taxpayer data.
"""

from __future__ import annotations

import json
import math
import unicodedata
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.api.problems import problem

REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
"""Control (NUL, tab, newline...), format (bidi overrides, zero-width characters, the
BOM, soft hyphen) and lone surrogates, which cannot even be written back as UTF-8."""

MAX_REPORTED = 20
"""Problems listed in one answer: enough to fix a body, bounded for a hostile one."""

_UTF8 = frozenset({"utf-8", "utf8"})


@dataclass(frozen=True)
class WireRefusal:
    """Why a body was refused, as the problem document that says so."""

    status: int
    title: str
    detail: str
    slug: str
    errors: list[dict[str, Any]] = field(default_factory=list)

    async def send(self, scope: Scope, receive: Receive, send: Send) -> None:
        extra = {"errors": self.errors} if self.errors else {}
        response = problem(self.status, self.title, self.detail, self.slug, **extra)
        await response(scope, receive, send)


def _unsupported(detail: str) -> WireRefusal:
    return WireRefusal(415, "Unsupported media type", detail, "unsupported-media-type")


def _invalid(detail: str, errors: list[dict[str, Any]] | None = None) -> WireRefusal:
    return WireRefusal(422, "Invalid request", detail, "invalid-request", errors or [])


def media_type_refusal(content_types: list[str]) -> WireRefusal | None:
    """``application/json`` (any case, optional parameters, charset UTF-8 only) or a 415."""
    if not content_types:
        return _unsupported("a request body must be sent as application/json (no Content-Type)")
    if len(content_types) > 1:
        return _unsupported("a request must carry exactly one Content-Type header")
    media, *params = content_types[0].split(";")
    if media.strip().lower() != "application/json":
        return _unsupported(
            f"a request body must be sent as application/json, not {media.strip()[:100]!r}"
        )
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in _UTF8:
            return _unsupported("JSON bodies are UTF-8 (RFC 8259); no other charset is accepted")
    return None


class _Object:
    """A JSON object as its key/value pairs in order, so duplicates are still visible."""

    __slots__ = ("pairs",)

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        self.pairs = pairs


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("a number is too large to represent")
    return value


def _render(path: list[str | int]) -> str:
    """``subjects[0].name.last``; keys that are not plain names are quoted and escaped."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.isascii() and part.isidentifier():
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part)}]"
    return out or "(the body)"


def _loc(path: list[str | int]) -> list[str]:
    """``loc`` as in validation errors; a key holding a refused character is escaped, so
    the answer never carries the bidi override or zero-width character it refuses."""
    out = []
    for part in path:
        text = str(part)
        out.append(text if _refused_character(text) is None else json.dumps(text)[1:-1])
    return out


def _refused_character(text: str) -> str | None:
    """``U+202E RIGHT-TO-LEFT OVERRIDE`` for the first refused character, if any."""
    if text.isprintable():  # fast path: every refused category is non-printable
        return None
    for ch in text:
        if unicodedata.category(ch) in REFUSED_CATEGORIES:
            name = unicodedata.name(ch, "")
            return f"U+{ord(ch):04X}" + (f" {name}" if name else "")
    return None


def _character_error(path: list[str | int], what: str, code_point: str) -> dict[str, Any]:
    where = _render(path)
    return {
        "loc": _loc(path),
        "msg": (
            f"control or format character {code_point} in the {what} at {where}"
            " (no key or value may hold one)"
        ),
        "type": "control_character",
    }


def document_problems(document: Any) -> list[dict[str, Any]]:
    """Duplicate keys and refused characters anywhere in a parsed document, in body order.

    Iterative, so the depth the JSON parser accepted cannot overflow the stack here.
    """
    problems: list[dict[str, Any]] = []
    stack: list[tuple[Any, list[str | int]]] = [(document, [])]
    while stack and len(problems) < MAX_REPORTED:
        node, path = stack.pop()
        if isinstance(node, str):
            bad = _refused_character(node)
            if bad is not None:
                problems.append(_character_error(path, "string", bad))
        elif isinstance(node, list):
            stack.extend((item, [*path, i]) for i, item in reversed(list(enumerate(node))))
        elif isinstance(node, _Object):
            seen: set[str] = set()
            children: list[tuple[Any, list[str | int]]] = []
            for key, value in node.pairs:
                at: list[str | int] = [*path, key]
                bad = _refused_character(key)
                if bad is not None:
                    problems.append(_character_error(at, "key", bad))
                if key in seen:
                    problems.append(
                        {
                            "loc": _loc(at),
                            "msg": (
                                f"duplicate key {json.dumps(key)} at {_render(at)}"
                                " (a key may appear only once in an object)"
                            ),
                            "type": "duplicate_key",
                        }
                    )
                seen.add(key)
                children.append((value, at))
            stack.extend(reversed(children))
    return problems[:MAX_REPORTED]


def body_refusal(content_types: list[str], body: bytes) -> WireRefusal | None:
    """The first reason ``body`` may not be read as this API's JSON, or None."""
    refused = media_type_refusal(content_types)
    if refused is not None:
        return refused
    if body.startswith(b"\xef\xbb\xbf"):
        return _invalid("the body starts with a byte order mark (U+FEFF); send UTF-8 without one")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _invalid(f"the body is not valid UTF-8 (byte offset {exc.start})")
    try:
        document = json.loads(
            text,
            object_pairs_hook=_Object,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
        )
    except json.JSONDecodeError as exc:
        return _invalid(f"the body is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
    except RecursionError:
        return _invalid("the body is not JSON this API accepts: it is nested too deeply")
    except ValueError as exc:  # NaN/Infinity, an overflowing number, an over-long integer
        return _invalid(f"the body is not JSON this API accepts: {str(exc)[:200]}")
    problems = document_problems(document)
    if problems:
        first = problems[0]["msg"]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return _invalid(f"{first}{more}", problems)
    return None


def form_refusal(content_types: list[str], body: bytes) -> WireRefusal | None:
    """The same hygiene for an HTML form (the ``/audit/`` pages): urlencoded UTF-8
    only, no key twice, no control or format character in any key or value."""
    media = content_types[0].split(";")[0].strip().lower() if len(content_types) == 1 else ""
    if media != "application/x-www-form-urlencoded":
        return _unsupported("a form must be sent as application/x-www-form-urlencoded")
    try:
        pairs = parse_qsl(
            body.decode("ascii"), keep_blank_values=True, strict_parsing=True, errors="strict"
        )
    except (UnicodeDecodeError, ValueError):
        return _invalid("the form is not valid urlencoded UTF-8")
    if len({k for k, _ in pairs}) != len(pairs):
        return _invalid("the form sends a field more than once")
    if any(_refused_character(k + v) is not None for k, v in pairs):
        return _invalid("a form field holds a control or format character")
    return None


class WireHygieneMiddleware:
    """Reads the whole body, refuses it (415/422) or hands exactly those bytes on.

    It must sit inside :class:`~gateway.api.middleware.RequestLogMiddleware`, whose
    size cap bounds what is buffered here. Under ``form_paths`` (the browser pages)
    a body is an HTML form instead of JSON, held to :func:`form_refusal`.
    """

    def __init__(self, app: ASGIApp, *, form_paths: tuple[str, ...] = ()) -> None:
        self.app = app
        self.form_paths = form_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                # The client went away before the body was complete: let the app see that.
                await self.app(scope, _replay([message], receive), send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body:
            content_types = [
                v.decode("latin-1") for k, v in scope.get("headers") or [] if k == b"content-type"
            ]
            is_form = str(scope.get("path", "")).startswith(self.form_paths)
            refused = (form_refusal if is_form else body_refusal)(content_types, body)
            if refused is not None:
                await refused.send(scope, receive, send)
                return
        replayed: Message = {"type": "http.request", "body": body, "more_body": False}
        await self.app(scope, _replay([replayed], receive), send)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """``receive`` that yields ``messages`` first, then whatever the client sends next."""
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
