"""The gateway's clock: decisions are made at its time (GW-12), never the caller's.

A pinned clock exists for development and tests only; production settings
refuse it (``Settings.check_production``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class UnsafePinnedClock:
    """Always the same instant; named Unsafe because a real gateway must never use it."""

    def __init__(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("a pinned clock needs a timezone-aware instant")
        self._instant = instant

    def now(self) -> datetime:
        return self._instant
