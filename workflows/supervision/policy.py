"""The local policy supervision follows (DOMAIN §1.1), read once from configuration.

Business dates (an inspection's day, a deadline) are days in the configured ``TIMEZONE``. A
deadline "by" a day ends at midnight after it, local time. Working days are Monday to Friday
minus ``HOLIDAYS`` plus ``EXTRA_WORKING_DAYS`` (调休上班), the settings the project family uses.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine import Clock

TASK_DAY_KEYS = ("assignment", "briefing", "inspection", "review", "escalation", "reminder_grace",
                 "acceptance_notice")
# A timer must lie in the engine's future or SpiffWorkflow fires it inside the step that sets it.
MIN_TIMER_SECONDS = 60


class PolicyError(ValueError):
    """A supervision setting is unusable; the message names it."""


@dataclass(frozen=True)
class SupervisionPolicy:
    """Settings of the supervision family, validated at start-up.

    Attributes:
        min_inspectors: inspectors per inspection (``MIN_INSPECTORS_PER_INSPECTION``).
        deadline_days: default rectification deadline (``RECTIFICATION_DEADLINE_DAYS``).
        notice_working_days: how far ahead the builder announces the completion acceptance
            (``COMPLETION_NOTICE_WORKING_DAYS``).
        report_days: days after the acceptance for the supervision report (``SUPERVISION_REPORT_DAYS``).
        filing_days: days after the acceptance for its filing (``ACCEPTANCE_FILING_DAYS``).
        task_days: days each step may take (``SUPERVISION_TASK_DAYS``).
        doc_prefix: first part of every document number (``SUPERVISION_DOC_PREFIX``).
        authority: the issuing body in signature blocks (``SUPERVISION_AUTHORITY``).
        timezone: where business days are counted (``TIMEZONE``).
    """

    min_inspectors: int
    deadline_days: int
    notice_working_days: int
    report_days: int
    filing_days: int
    task_days: Mapping[str, int]
    doc_prefix: str
    authority: str
    timezone: ZoneInfo
    holidays: frozenset[date]
    extra_working_days: frozenset[date]

    # -- dates ----------------------------------------------------------------------------
    def today(self, clock: Clock) -> date:
        return clock.now().astimezone(self.timezone).date()

    def end_of_day(self, day: date) -> datetime:
        """The moment a deadline "by ``day``" passes: local midnight after it, in UTC."""
        return datetime.combine(day + timedelta(days=1), time(0, 0), self.timezone).astimezone(timezone.utc)

    def at_local(self, day: date, hour: int) -> datetime:
        return datetime.combine(day, time(hour, 0), self.timezone).astimezone(timezone.utc)

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_working_days:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def working_days_between(self, after: date, until: date) -> int:
        """Working days ``d`` with ``after < d <= until``."""
        return sum(1 for n in range(1, (until - after).days + 1)
                   if self.is_working_day(after + timedelta(days=n)))

    def add_working_days(self, day: date, count: int) -> date:
        """The ``count``-th working day after ``day``."""
        current = day
        while count > 0:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count -= 1
        return current

    def due_in_days(self, clock: Clock, key: str) -> str:
        """ISO time ``task_days[key]`` days from now: a ``dueIn`` value."""
        return (clock.now() + timedelta(days=self.task_days[key])).isoformat()


def timer_until(clock: Clock, when: datetime) -> str:
    """An ISO duration from the engine's now until ``when`` (at least a minute).

    BPMN timers of this family are durations, never absolute dates: SpiffWorkflow compares an
    absolute date with the wall clock, the engine schedules durations on its own clock.
    """
    seconds = int((when - clock.now()).total_seconds())
    return f"PT{max(seconds, MIN_TIMER_SECONDS)}S"


def _setting(config: Mapping[str, Any], key: str) -> Any:
    if key not in config:
        raise PolicyError(f"supervision: the setting {key} is missing (see web.config.POLICY_DEFAULTS)")
    return config[key]


def _positive(config: Mapping[str, Any], key: str, value: Any = None) -> int:
    value = _setting(config, key) if value is None else value
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise PolicyError(f"supervision: {key} must be a positive whole number, not {value!r}")
    return value


def _days(key: str, values: Iterable[Any]) -> frozenset[date]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise PolicyError(f"supervision: {key} must be a list of dates such as \"2026-10-01\"")
    days: set[date] = set()
    for entry in values:
        first_text, _, last_text = str(entry).strip().partition("/")
        try:
            first = date.fromisoformat(first_text)
            last = date.fromisoformat(last_text) if last_text else first
        except ValueError:
            raise PolicyError(f"supervision: {key} entry {entry!r} is not a date or a date interval") from None
        if not 0 <= (last - first).days <= 366:
            raise PolicyError(f"supervision: {key} interval {entry!r} must run forwards, at most a year")
        days.update(first + timedelta(days=n) for n in range((last - first).days + 1))
    return frozenset(days)


def policy_from(config: Mapping[str, Any]) -> SupervisionPolicy:
    """Read and check the family's settings.

    Raises:
        PolicyError: a setting is missing or unusable (at start-up, not in the middle of a case).
    """
    try:
        zone = ZoneInfo(str(_setting(config, "TIMEZONE")))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PolicyError(f"supervision: TIMEZONE {config.get('TIMEZONE')!r} is not a known time zone") from exc
    task_days = _setting(config, "SUPERVISION_TASK_DAYS")
    if not isinstance(task_days, Mapping) or set(TASK_DAY_KEYS) - set(task_days):
        raise PolicyError(f"supervision: SUPERVISION_TASK_DAYS must give days for {', '.join(TASK_DAY_KEYS)}")
    min_inspectors = _positive(config, "MIN_INSPECTORS_PER_INSPECTION")
    if min_inspectors < 2:
        raise PolicyError("supervision: MIN_INSPECTORS_PER_INSPECTION must be at least 2 (DOMAIN §1.1)")
    return SupervisionPolicy(
        min_inspectors=min_inspectors,
        deadline_days=_positive(config, "RECTIFICATION_DEADLINE_DAYS"),
        notice_working_days=_positive(config, "COMPLETION_NOTICE_WORKING_DAYS"),
        report_days=_positive(config, "SUPERVISION_REPORT_DAYS"),
        filing_days=_positive(config, "ACCEPTANCE_FILING_DAYS"),
        task_days={k: _positive(config, f"SUPERVISION_TASK_DAYS[{k}]", task_days[k]) for k in TASK_DAY_KEYS},
        doc_prefix=str(_setting(config, "SUPERVISION_DOC_PREFIX")),
        authority=str(_setting(config, "SUPERVISION_AUTHORITY")),
        timezone=zone,
        holidays=_days("HOLIDAYS", config.get("HOLIDAYS", ())),
        extra_working_days=_days("EXTRA_WORKING_DAYS", config.get("EXTRA_WORKING_DAYS", ())),
    )
