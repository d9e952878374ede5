"""The device and alarm policy, read once from configuration (DOMAIN §1.6; local values).

Every limit the ingest and the rules use comes from here, so no number lives in code: the
defaults are ``web.config.POLICY_DEFAULTS`` and a city overrides them with ``OVERSITE_*``.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class QuantitySpec:
    """A quantity the platform stores: its canonical unit and its physically possible range."""

    unit: str
    min: float
    max: float


def _clock_time(text: str, key: str) -> time:
    try:
        hours, minutes = (int(part) for part in str(text).split(":"))
        return time(hours, minutes)
    except ValueError as exc:
        raise ValueError(f"{key} must be HH:MM, not {text!r}") from exc


def _number(config: Mapping[str, Any], key: str) -> float:
    value = float(Decimal(str(config[key])))
    if not math.isfinite(value):
        raise ValueError(f"{key} must be a finite number")
    return value


def _quantities(raw: Mapping[str, Any]) -> dict[str, QuantitySpec]:
    specs = {}
    for name, spec in raw.items():
        low, high = float(spec["min"]), float(spec["max"])
        if not low < high:
            raise ValueError(f"READING_QUANTITIES[{name!r}]: min must be below max")
        specs[name] = QuantitySpec(str(spec.get("unit", "")), low, high)
    return specs


@dataclass(frozen=True)
class DevicePolicy:
    """Limits and windows of the ingest, the alarm rules and the alarm cases."""

    timezone: ZoneInfo
    quantities: Mapping[str, QuantitySpec]
    max_future: timedelta
    max_age: timedelta
    offline_after: timedelta
    clear_after: timedelta
    noise_day_limit: float
    noise_night_limit: float
    noise_night_lmax_excess: float
    noise_day_start: time
    noise_day_end: time
    pm10_limit: float
    crane_warning_percent: float
    crane_cutoff_percent: float
    wind_stop: float
    alarm_process_key: str
    rectify_hours: int
    verify_hours: int
    smart_site_phases: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> DevicePolicy:
        """Read the policy; raises ``ValueError``/``KeyError`` naming a bad setting."""
        return cls(
            timezone=ZoneInfo(str(config.get("TIMEZONE", "Asia/Shanghai"))),
            quantities=_quantities(config["READING_QUANTITIES"]),
            max_future=timedelta(minutes=_number(config, "READING_MAX_FUTURE_MINUTES")),
            max_age=timedelta(days=_number(config, "READING_MAX_AGE_DAYS")),
            offline_after=timedelta(minutes=_number(config, "DEVICE_OFFLINE_MINUTES")),
            clear_after=timedelta(minutes=_number(config, "ALARM_CLEAR_AFTER_MINUTES")),
            noise_day_limit=_number(config, "NOISE_DAY_LIMIT_DBA"),
            noise_night_limit=_number(config, "NOISE_NIGHT_LIMIT_DBA"),
            noise_night_lmax_excess=_number(config, "NOISE_NIGHT_LMAX_EXCESS_DBA"),
            noise_day_start=_clock_time(config["NOISE_DAY_START"], "NOISE_DAY_START"),
            noise_day_end=_clock_time(config["NOISE_DAY_END"], "NOISE_DAY_END"),
            pm10_limit=_number(config, "DUST_PM10_LIMIT_UGM3"),
            crane_warning_percent=_number(config, "CRANE_PREWARNING_PERCENT"),
            crane_cutoff_percent=_number(config, "CRANE_CUTOFF_PERCENT"),
            wind_stop=_number(config, "CRANE_WIND_STOP_MS"),
            alarm_process_key=str(config["DEVICE_ALARM_PROCESS_KEY"]),
            rectify_hours=int(config["DEVICE_ALARM_RECTIFY_HOURS"]),
            verify_hours=int(config["DEVICE_ALARM_VERIFY_HOURS"]),
            smart_site_phases=list(config.get("SMART_SITE_PHASES") or []),
        )

    def is_daytime(self, when: datetime) -> bool:
        """Day for noise limits (GB 12523: 06:00–22:00 local by default)."""
        local = when.astimezone(self.timezone).time()
        start, end = self.noise_day_start, self.noise_day_end
        if start <= end:
            return start <= local < end
        return local >= start or local < end  # a "day" spanning midnight, should a city want one

    def local_date(self, when: datetime) -> date:
        """The bureau's calendar day of ``when`` (daily aggregates, reports)."""
        return when.astimezone(self.timezone).date()
