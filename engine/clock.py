"""The injectable clock: engine and worker code ask it for the time, never ``datetime.now()``."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """Source of the current time."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The wall clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def __repr__(self) -> str:
        return "SystemClock()"


class FixedClock:
    """A clock that moves only when told to; safe to share between a test and worker threads.

    Args:
        start: The initial time; must be timezone-aware (converted to UTC).
    """

    def __init__(self, start: datetime) -> None:
        self._lock = threading.Lock()
        self._now = _as_utc(start)

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by ``delta`` and return the new time.

        Raises:
            ValueError: ``delta`` is negative (a clock going backwards is almost always a test
                bug; use :meth:`set` to jump deliberately).
        """
        if not isinstance(delta, timedelta):
            raise TypeError(f"advance() takes a timedelta, not {type(delta).__name__}")
        if delta < timedelta(0):
            raise ValueError("FixedClock.advance() needs a non-negative timedelta; use set() to go back")
        with self._lock:
            self._now = self._now + delta
            return self._now

    def set(self, when: datetime) -> None:
        """Jump to ``when`` (timezone-aware), forwards or backwards."""
        value = _as_utc(when)
        with self._lock:
            self._now = value

    def __repr__(self) -> str:
        return f"FixedClock({self.now().isoformat()})"


def _as_utc(value: datetime) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("FixedClock needs a timezone-aware datetime")
    return value.astimezone(timezone.utc)
