"""What every import kind produces: a checked plan that is applied only when nothing is wrong."""
from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session

from .problems import ImportProblem

# (phase, done, total): phases are "checking" and "storing".
Progress = Callable[[str, int, int], None]
PROGRESS_EVERY = 500


def no_progress(_phase: str, _done: int, _total: int) -> None:
    """The default progress callback: nothing to show."""


@dataclass(frozen=True)
class ImportContext:
    """What a kind's planner may use besides the file."""

    session: Session
    districts: Collection[str]
    now: datetime
    today: date
    progress: Progress = no_progress

    def tick(self, phase: str, done: int, total: int) -> None:
        if done == total or done % PROGRESS_EVERY == 0:
            self.progress(phase, done, total)


@dataclass
class Plan:
    """Counts of what the file would change, the problems found, and how to store it."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[ImportProblem] = field(default_factory=list)
    apply: Callable[[], None] = lambda: None
