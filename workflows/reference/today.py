"""The local calendar day: reports, statuses and imports count in the city's days, not UTC's."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Asia/Shanghai"


def local_date(now: datetime, config: Mapping[str, Any]) -> date:
    """The date ``now`` falls on in the configured time zone (``TIMEZONE``)."""
    return now.astimezone(ZoneInfo(config.get("TIMEZONE") or DEFAULT_TIMEZONE)).date()
