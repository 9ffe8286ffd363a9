"""The lookup answer's bytes are those ``JSONResponse`` would send for the same model.

The route serializes with pydantic alone (``gateway.api.lookups.answer``); an agency
must not see its answers change shape (spacing, escapes, non-ASCII, datetimes).
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.responses import JSONResponse

from gateway.api.lookups import answer
from gateway.api.schemas import LookupResponse


def _response(text: str) -> LookupResponse:
    reason = {"rule": "6103-I2-1", "citation": "26 U.S.C. 6103(i)(2)", "message": text}
    return LookupResponse.model_validate(
        {
            "decision_id": "01J-ÄÖ",
            "log_index": 41,
            "policy_revision": "rev-1",
            "decided_at": datetime(2026, 12, 1, 12, 0, 0, 123456, tzinfo=UTC),
            "outcome": "partially_allowed",
            "reasons": [reason],
            "results": [
                {
                    "ref": "TP-1",
                    "outcome": "disclosed",
                    "address": {
                        "line1": "12 Rue d'Été",
                        "line2": None,
                        "city": "Zürich \u2028 東京",
                        "state": "NY",
                        "zip": "10001",
                        "tax_year": 2025,
                    },
                    "redacted": ["income"],
                    "reasons": [reason],
                },
                {
                    "ref": "TP-2",
                    "outcome": "denied",
                    "address": None,
                    "redacted": [],
                    "reasons": [],
                },
            ],
        }
    )


def test_answer_bytes_equal_jsonresponse_bytes() -> None:
    for text in ("plain", 'quote " backslash \\ slash / tab \t newline \n nul \x00 del \x7f'):
        model = _response(text)
        assert answer(model).body == JSONResponse(model.model_dump(mode="json")).body
        assert answer(model).headers["content-type"] == "application/json"
