"""structlog, set up once: JSON in production, console in development.

One ``request.completed`` line per request carries the request id (also on every
other line of the request, through structlog's context variables; accepted from
``X-Request-ID`` by :mod:`gateway.api.middleware`), method, route template, status,
duration, the agency id of an agency's call and — for lookups — decision id, log
index and outcome. A final
processor drops any key that could carry personal data, so a careless
``log.info(..., tin=...)`` cannot put a TIN, name or address into the logs.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

PERSONAL_KEYS = frozenset(
    {
        "tin",
        "ssn",
        "itin",
        "name",
        "first",
        "last",
        "middle",
        "address",
        "line1",
        "line2",
        "city",
        "zip",
        "date_of_birth",
        "dob",
        "body",
        "subjects",
        "authorization",
        "token",
    }
)


def drop_personal_data(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in PERSONAL_KEYS.intersection(event_dict):
        event_dict[key] = "[withheld]"
    return event_dict


def configure_logging(*, fmt: str, level: str) -> None:
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            drop_personal_data,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level]),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
