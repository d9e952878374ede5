"""The local policy project duties follow, read once from configuration (DOMAIN §1.2).

Working days are Monday to Friday, minus the public holidays (``HOLIDAYS``) plus the weekend
days worked in their place (``EXTRA_WORKING_DAYS``, 调休上班); both are lists of ISO dates or
ISO intervals (``"2026-10-01/2026-10-07"``). Business dates (a log's day, "yesterday") are
days in the configured ``TIMEZONE``, never UTC days.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine import Clock

from .vocab import LOG_PARTY_LABELS

MAX_INTERVAL_DAYS = 366  # a holiday interval longer than a year is surely a typing error


class PolicyError(ValueError):
    """A project-duty setting is unusable; the message names the setting."""


@dataclass(frozen=True)
class ProjectPolicy:
    """Settings of the project family, validated at start-up.

    Attributes:
        timezone: where business days are counted (``TIMEZONE``).
        holidays: public holidays (``HOLIDAYS``).
        extra_working_days: weekend days that are working days (``EXTRA_WORKING_DAYS``).
        log_parties: the parties that file a daily log each working day (``DAILY_LOG_PARTIES``).
        self_inspections_per_week: the least a project under construction does (``SELF_INSPECTIONS_PER_WEEK``).
        rectification_days: default deadline of a self-inspection's findings
            (``SELF_RECTIFICATION_DEADLINE_DAYS``).
        rectification_grace_days: the last period an overdue rectification is given after the
            reminder (``SELF_RECTIFICATION_GRACE_DAYS``).
        escalation_days: the district admin's time to decide on one still overdue
            (``SELF_RECTIFICATION_ESCALATION_DAYS``).
        districts: the districts a suggestion may be addressed to (``DISTRICTS``).
    """

    timezone: ZoneInfo
    holidays: frozenset[date]
    extra_working_days: frozenset[date]
    log_parties: tuple[str, ...]
    self_inspections_per_week: int
    rectification_days: int
    rectification_grace_days: int
    escalation_days: int
    districts: tuple[str, ...]

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_working_days:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def working_days(self, first: date, last: date) -> list[date]:
        """The working days from ``first`` to ``last``, both included."""
        days = (first + timedelta(days=n) for n in range((last - first).days + 1))
        return [d for d in days if self.is_working_day(d)]

    def local_today(self, clock: Clock) -> date:
        return clock.now().astimezone(self.timezone).date()

    def end_of_day(self, day: date) -> datetime:
        """The last second of ``day`` in local time, aware (a deadline "by" that day)."""
        return datetime.combine(day, time(23, 59, 59), self.timezone)


def _setting(config: Mapping[str, Any], key: str) -> Any:
    if key not in config:
        raise PolicyError(f"project duties: the setting {key} is missing (see web.config.POLICY_DEFAULTS)")
    return config[key]


def _positive_int(config: Mapping[str, Any], key: str) -> int:
    value = _setting(config, key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise PolicyError(f"project duties: {key} must be a positive whole number, not {value!r}")
    return value


def parse_days(key: str, values: Iterable[Any]) -> frozenset[date]:
    """ISO dates and ISO intervals (``start/end``, both included) as a set of days.

    Raises:
        PolicyError: an entry is not a date or an interval, or an interval runs backwards.
    """
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise PolicyError(f"project duties: {key} must be a list of dates such as \"2026-10-01\"")
    days: set[date] = set()
    for entry in values:
        text = str(entry).strip()
        try:
            first_text, _, last_text = text.partition("/")
            first = date.fromisoformat(first_text)
            last = date.fromisoformat(last_text) if last_text else first
        except ValueError:
            raise PolicyError(f"project duties: {key} entry {entry!r} is not a date (YYYY-MM-DD) "
                              "or an interval (YYYY-MM-DD/YYYY-MM-DD)") from None
        span = (last - first).days
        if span < 0 or span > MAX_INTERVAL_DAYS:
            raise PolicyError(f"project duties: {key} interval {entry!r} must run forwards, at most a year")
        days.update(first + timedelta(days=n) for n in range(span + 1))
    return frozenset(days)


def policy_from(config: Mapping[str, Any]) -> ProjectPolicy:
    """Read and check the family's settings.

    Raises:
        PolicyError: a setting is missing or unusable (raised at start-up, not at 01:30).
    """
    try:
        zone = ZoneInfo(str(_setting(config, "TIMEZONE")))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PolicyError(f"project duties: TIMEZONE {config.get('TIMEZONE')!r} is not a known time zone") from exc
    parties = tuple(_setting(config, "DAILY_LOG_PARTIES"))
    unknown = [p for p in parties if p not in LOG_PARTY_LABELS]
    if unknown or not parties:
        raise PolicyError(f"project duties: DAILY_LOG_PARTIES must name some of {sorted(LOG_PARTY_LABELS)}, "
                          f"not {list(parties)!r}")
    return ProjectPolicy(
        timezone=zone,
        holidays=parse_days("HOLIDAYS", _setting(config, "HOLIDAYS")),
        extra_working_days=parse_days("EXTRA_WORKING_DAYS", _setting(config, "EXTRA_WORKING_DAYS")),
        log_parties=parties,
        self_inspections_per_week=_positive_int(config, "SELF_INSPECTIONS_PER_WEEK"),
        rectification_days=_positive_int(config, "SELF_RECTIFICATION_DEADLINE_DAYS"),
        rectification_grace_days=_positive_int(config, "SELF_RECTIFICATION_GRACE_DAYS"),
        escalation_days=_positive_int(config, "SELF_RECTIFICATION_ESCALATION_DAYS"),
        districts=tuple(str(d) for d in _setting(config, "DISTRICTS")),
    )
