"""Turning a parsed HJ 212 data frame into normalized readings.

``DataTime`` is Beijing time (UTC+8, no daylight saving) in ``YYYYMMDDhhmmss``; readings
carry UTC. A frame whose values are partly bad yields the good readings and one refusal per
bad value, so one broken sensor does not hide its neighbours.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from ..quantities import QUALITY_FLAGS, QUANTITIES, ValueRefused, check_value, to_canonical_unit
from ..readings import DeviceRef, Reading
from .codes import DATA_COMMANDS, FACTORS, NOISE_CODES
from .frame import Frame

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")


def parse_data_time(text: str) -> datetime:
    """``YYYYMMDDhhmmss`` Beijing time as an aware UTC datetime.

    Raises:
        ValueError: the text is not a valid time in that form.
    """
    if len(text) != 14 or not text.isdigit():
        raise ValueError(f"DataTime {text!r} is not YYYYMMDDhhmmss")
    try:
        local = datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=BEIJING)
    except ValueError:
        raise ValueError(f"DataTime {text!r} is not a valid date and time") from None
    return local.astimezone(timezone.utc)


def format_beijing(moment: datetime, with_millis: bool = False) -> str:
    """An aware datetime as HJ 212 local time (``DataTime``, or ``QN`` with milliseconds)."""
    local = moment.astimezone(BEIJING)
    text = local.strftime("%Y%m%d%H%M%S")
    return text + f"{local.microsecond // 1000:03d}" if with_millis else text


def is_data_frame(frame: Frame) -> bool:
    """Whether the frame uploads monitoring data (real-time, minute, hourly or daily)."""
    return frame.cn in DATA_COMMANDS


def frame_readings(frame: Frame) -> tuple[list[Reading], list[str]]:
    """The readings a data frame carries, and a refusal reason for each value left out.

    A frame that is not a data upload yields nothing. Factor codes Oversite does not know are
    skipped silently (devices send many auxiliary codes).
    """
    field = DATA_COMMANDS.get(frame.cn)
    if field is None:
        return [], []
    data_time = frame.cp.get("DataTime")
    if not data_time:
        return [], [f"data frame (CN={frame.cn}) without DataTime"]
    try:
        measured_at = parse_data_time(data_time)
    except ValueError as exc:
        return [], [str(exc)]
    device = DeviceRef("hj212", frame.mn)
    source_id = f"hj212:{frame.mn}:{frame.qn or frame.cn + ':' + data_time}"
    readings: list[Reading] = []
    refused: list[str] = []
    for code, values in frame.factors.items():
        mapped = FACTORS.get(code)
        if mapped is None:
            continue
        quality = _quality(values.get("Flag"))
        wanted: Sequence[tuple[str, str, str]] = [(mapped[0], mapped[1], field)]
        if code in NOISE_CODES and "Max" in values:
            wanted = [*wanted, ("noise_lmax", "dB(A)", "Max")]
        for quantity, unit, name in wanted:
            raw = values.get(name)
            if raw is None:
                if name == field:
                    refused.append(f"{code}: no {name} value in CN={frame.cn} frame")
                continue
            try:
                number = float(raw)
            except ValueError:
                refused.append(f"{code}-{name}: value {raw!r} is not a number")
                continue
            try:
                value = check_value(quantity, to_canonical_unit(quantity, number, unit))
            except ValueRefused as exc:
                refused.append(f"{code}-{name}: {exc}")
                continue
            readings.append(Reading(device, measured_at, quantity, value,
                                    QUANTITIES[quantity].unit, quality, source_id))
    return readings, refused


def _quality(flag: str | None) -> str:
    if flag is None:
        return "ok"
    return QUALITY_FLAGS.get(flag, "unknown")

