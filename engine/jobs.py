"""Calendar jobs: process families register them explicitly; the worker schedules them.

A job is a function ``(session_factory, clock) -> None`` run on a cron schedule (a dict such as
``{"hour": 1, "minute": 0}``, in UTC) or every N seconds. APScheduler only decides *when* to
look; a job reads the database to decide what is due (e.g. "which projects have no daily log
for yesterday"), so a missed or repeated run is harmless. Jobs open and commit their own
transactions and take the time from ``clock``.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import timezone
from types import MappingProxyType
from typing import TYPE_CHECKING

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from .clock import Clock

JobFunc = Callable[["sessionmaker[Session]", "Clock"], None]
Trigger = Mapping[str, int | str] | int | float
"""A cron dict (APScheduler cron fields, UTC) or an interval in seconds."""

JOB_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
CRON_FIELDS = frozenset({"year", "month", "day", "week", "day_of_week", "hour", "minute", "second"})


@dataclass(frozen=True)
class Job:
    """A registered calendar job; ``cron`` xor ``interval_seconds`` is set."""

    name: str
    func: JobFunc
    cron: Mapping[str, int | str] | None
    interval_seconds: float | None
    description: str

    def scheduler_trigger(self) -> BaseTrigger:
        """The APScheduler trigger, in UTC."""
        if self.cron is not None:
            return CronTrigger(timezone=timezone.utc, **dict(self.cron))
        assert self.interval_seconds is not None
        return IntervalTrigger(seconds=self.interval_seconds, timezone=timezone.utc)

    @property
    def schedule(self) -> str:
        """Human-readable schedule, for logs and ``--help`` style listings."""
        if self.cron is not None:
            return "cron " + " ".join(f"{k}={v}" for k, v in self.cron.items()) + " UTC"
        return f"every {self.interval_seconds:g} s"


class JobRegistry:
    """Calendar jobs by unique name (``family.job``), frozen once the worker starts."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._frozen = False
        self._lock = threading.Lock()

    def register(self, name: str, func: JobFunc, trigger: Trigger, description: str = "") -> Job:
        """Add a job; validated now so a bad schedule fails at start-up, not at 01:00.

        Args:
            name: Unique ``family.job`` name, e.g. ``"project.daily_log_check"``.
            func: Called as ``func(session_factory, clock)``.
            trigger: Cron fields (``year``, ``month``, ``day``, ``week``, ``day_of_week``,
                ``hour``, ``minute``, ``second``; UTC) or a positive interval in seconds.
            description: One line for listings; defaults to the function's docstring.

        Raises:
            RuntimeError: the registry is frozen.
            ValueError: bad or duplicate name, bad trigger.
            TypeError: ``func`` is not callable or ``trigger`` has the wrong type.
        """
        with self._lock:
            if self._frozen:
                raise RuntimeError(f"cannot register job {name!r}: the job registry is frozen after start-up")
            if not isinstance(name, str) or not JOB_NAME.match(name):
                raise ValueError(f"job name {name!r} must look like 'family.job'")
            if name in self._jobs:
                raise ValueError(f"job {name!r} is already registered")
            if not callable(func):
                raise TypeError(f"job {name!r}: func is not callable")
            cron, interval = _parse_trigger(name, trigger)
            doc = (getattr(func, "__doc__", None) or "").strip().splitlines()
            job = Job(name, func, cron, interval, description or (doc[0] if doc else ""))
            self._jobs[name] = job
            return job

    def freeze(self) -> None:
        with self._lock:
            self._frozen = True

    @property
    def frozen(self) -> bool:
        return self._frozen

    def get(self, name: str) -> Job | None:
        return self._jobs.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._jobs

    def __iter__(self) -> Iterator[Job]:
        return iter(sorted(self._jobs.values(), key=lambda job: job.name))

    def __len__(self) -> int:
        return len(self._jobs)


def _parse_trigger(name: str, trigger: Trigger) -> tuple[Mapping[str, int | str] | None, float | None]:
    if isinstance(trigger, bool):  # bool is an int; True seconds is surely a mistake
        raise TypeError(f"job {name!r}: trigger must be a cron dict or seconds, not a bool")
    if isinstance(trigger, (int, float)):
        if not trigger > 0 or trigger == float("inf"):
            raise ValueError(f"job {name!r}: interval must be a positive number of seconds")
        return None, float(trigger)
    if isinstance(trigger, Mapping):
        if not trigger:
            raise ValueError(f"job {name!r}: an empty cron dict would run every second")
        unknown = set(trigger) - CRON_FIELDS
        if unknown:
            raise ValueError(
                f"job {name!r}: unknown cron field(s) {sorted(unknown)}; allowed: {sorted(CRON_FIELDS)}"
            )
        for key, value in trigger.items():
            if isinstance(value, bool) or not isinstance(value, (int, str)):
                raise TypeError(f"job {name!r}: cron field {key!r} must be an int or a cron expression string")
        try:
            CronTrigger(timezone=timezone.utc, **dict(trigger))
        except (ValueError, TypeError) as exc:
            raise ValueError(f"job {name!r}: invalid cron trigger: {exc}") from exc
        return MappingProxyType(dict(trigger)), None
    raise TypeError(f"job {name!r}: trigger must be a cron dict or seconds, not {type(trigger).__name__}")
