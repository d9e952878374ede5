"""Exponential backoff with jitter, for reconnecting to brokers and gateways."""
from __future__ import annotations

import random


class Backoff:
    """Delays that double from ``initial`` up to ``maximum``, with ±20 % jitter.

    Jitter keeps many ingest processes (or many gateways) from retrying in lock step after a
    shared outage.
    """

    def __init__(self, initial: float = 0.5, maximum: float = 30.0, factor: float = 2.0,
                 rng: random.Random | None = None) -> None:
        self.initial = initial
        self.maximum = maximum
        self.factor = factor
        self._rng = rng or random.Random()
        self._current = initial
        self.failures = 0

    def next(self) -> float:
        """The delay before the next attempt (and advance)."""
        delay = min(self._current, self.maximum)
        self._current = min(self._current * self.factor, self.maximum)
        self.failures += 1
        return delay * self._rng.uniform(0.8, 1.2)

    def reset(self) -> None:
        """Back to the initial delay (after a success)."""
        self._current = self.initial
        self.failures = 0
