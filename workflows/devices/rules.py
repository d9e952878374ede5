"""Alarm rules (DOMAIN §1.6): each reading, or hourly mean, is a breach or normal for a rule.

Pure functions of the policy and the values; the alarm lifecycle (``alarms.py``) turns the
evaluations of a batch into opened, updated and cleared alarms.

| rule           | quantity        | breach                                                    |
|----------------|-----------------|-----------------------------------------------------------|
| noise_leq      | noise_leq       | > day limit (06–22 local) or > night limit                |
| noise_lmax     | noise_lmax      | at night, > night limit + allowed excess (day: normal)    |
| pm10_hourly    | pm10 (hourly)   | hourly mean > limit                                       |
| crane_load     | crane_load_pct  | ≥ pre-warning % → warning, ≥ cut-off % → alarm            |
| crane_moment   | crane_moment_pct| same                                                      |
| wind           | wind_speed      | ≥ stop-work wind speed                                    |
| offline        | (none)          | not heard from for longer than the offline threshold      |
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.alarms import SEVERITY_RANK, AlarmSeverity

from .policy import DevicePolicy

RULES = ("noise_leq", "noise_lmax", "pm10_hourly", "crane_load", "crane_moment", "wind", "offline")
# Which reading quantity feeds which rule (pm10_hourly reads the hourly aggregate instead).
READING_RULES = {
    "noise_leq": "noise_leq",
    "noise_lmax": "noise_lmax",
    "crane_load_pct": "crane_load",
    "crane_moment_pct": "crane_moment",
    "wind_speed": "wind",
}
HOURLY_RULES = {"pm10": "pm10_hourly"}
# How a rule is named in case titles (stored data, in the bureau's language).
RULE_NAMES = {
    "noise_leq": "噪声超标", "noise_lmax": "夜间噪声突发超标", "pm10_hourly": "PM10小时均值超标",
    "crane_load": "起重量超限", "crane_moment": "起重力矩超限", "wind": "风速超限", "offline": "设备离线",
}


@dataclass(frozen=True)
class Evaluation:
    """One rule applied to one value: ``severity`` None means normal (and ``values`` is empty)."""

    device_id: int
    rule: str
    measured_at: datetime
    severity: str | None
    values: dict[str, Any]


def _evaluation(device_id: int, rule: str, when: datetime, severity: str | None, **values: Any) -> Evaluation:
    # Only a breach's values are ever kept (on its alarm): a normal value needs none, and
    # most values are normal, so they are not built for it.
    if severity is None:
        return Evaluation(device_id, rule, when, None, {})
    return Evaluation(device_id, rule, when, severity, {**values, "measured_at": when.isoformat()})


def _breach(policy: DevicePolicy, rule: str, when: datetime, value: float) -> tuple[str, float, dict[str, Any]] | None:
    """A reading rule's verdict on a value: None when normal, else (severity, limit, context).

    Normal is the common case (thousands of readings a second), so it builds nothing.
    """
    if rule == "noise_leq":
        if value <= policy.noise_day_limit and value <= policy.noise_night_limit:
            return None  # normal by day and by night: no need to work out which it is
        day = policy.is_daytime(when)
        limit = policy.noise_day_limit if day else policy.noise_night_limit
        return (AlarmSeverity.ALARM.value, limit, {"period": "day" if day else "night"}) if value > limit else None
    if rule == "noise_lmax":
        limit = policy.noise_night_limit + policy.noise_night_lmax_excess
        if value <= limit or policy.is_daytime(when):
            return None  # within the night limit, or by day, when Lmax has none
        return AlarmSeverity.ALARM.value, limit, {"period": "night"}
    if rule in ("crane_load", "crane_moment"):
        if value >= policy.crane_cutoff_percent:
            return AlarmSeverity.ALARM.value, policy.crane_cutoff_percent, {}
        if value >= policy.crane_warning_percent:
            return AlarmSeverity.WARNING.value, policy.crane_warning_percent, {}
        return None
    # wind
    return (AlarmSeverity.ALARM.value, policy.wind_stop, {}) if value >= policy.wind_stop else None


def _breach_evaluation(device_id: int, rule: str, quantity: str, when: datetime, value: float, unit: str,
                       verdict: tuple[str, float, dict[str, Any]]) -> Evaluation:
    severity, limit, extra = verdict
    return _evaluation(device_id, rule, when, severity, quantity=quantity, value=value, unit=unit, limit=limit,
                       **extra)


def evaluate_reading(policy: DevicePolicy, device_id: int, quantity: str, when: datetime, value: float,
                     unit: str) -> Evaluation | None:
    """The evaluation of a reading by its rule, or None when no rule reads this quantity."""
    rule = READING_RULES.get(quantity)
    if rule is None:
        return None
    verdict = _breach(policy, rule, when, value)
    if verdict is None:
        return Evaluation(device_id, rule, when, None, {})
    return _breach_evaluation(device_id, rule, quantity, when, value, unit, verdict)


def evaluate_hourly_mean(policy: DevicePolicy, device_id: int, quantity: str, hour: datetime, count: int,
                         total: float, latest: datetime) -> Evaluation | None:
    """The PM10 rule on an hour's running mean; ``latest``: the newest reading it includes."""
    rule = HOURLY_RULES.get(quantity)
    if rule is None or count <= 0:
        return None
    mean = total / count
    severity = AlarmSeverity.ALARM.value if mean > policy.pm10_limit else None
    return _evaluation(device_id, rule, latest, severity, quantity=quantity, hourly_mean=round(mean, 3),
                       hour=hour.isoformat(), count=count, limit=policy.pm10_limit, unit="µg/m³")


@dataclass
class Outcome:
    """What one batch says about one device and rule."""

    breaches: int = 0
    worst: Evaluation | None = None       # the latest breach of the highest severity
    last_breach_at: datetime | None = None
    last_normal_at: datetime | None = None

    @property
    def severity(self) -> str | None:
        return self.worst.severity if self.worst else None


def _worse(candidate: Evaluation, current: Evaluation | None) -> bool:
    if current is None:
        return True
    rank, current_rank = SEVERITY_RANK[candidate.severity or ""], SEVERITY_RANK[current.severity or ""]
    return rank > current_rank or (rank == current_rank and candidate.measured_at >= current.measured_at)


def summarize(evaluations: Iterable[Evaluation]) -> dict[tuple[int, str], Outcome]:
    """Fold a batch's evaluations into one outcome per (device, rule)."""
    outcomes: dict[tuple[int, str], Outcome] = {}
    for ev in evaluations:
        record(outcomes, ev)
    return outcomes


def record(outcomes: dict[tuple[int, str], Outcome], ev: Evaluation) -> None:
    """Fold one evaluation, normal or breach, into ``outcomes``."""
    if ev.severity is None:
        record_normal(outcomes, ev.device_id, ev.rule, ev.measured_at)
    else:
        record_breach(outcomes, ev)


def record_normal(outcomes: dict[tuple[int, str], Outcome], device_id: int, rule: str, when: datetime) -> None:
    """A normal value of ``rule`` on the device at ``when``: only the latest such time counts."""
    out = outcomes.get((device_id, rule))
    if out is None:
        out = outcomes[(device_id, rule)] = Outcome()
    if out.last_normal_at is None or when > out.last_normal_at:
        out.last_normal_at = when


def record_breach(outcomes: dict[tuple[int, str], Outcome], ev: Evaluation) -> None:
    """A breach (``ev.severity`` set): counted, and kept if it is the worst so far."""
    out = outcomes.setdefault((ev.device_id, ev.rule), Outcome())
    out.breaches += 1
    if out.last_breach_at is None or ev.measured_at > out.last_breach_at:
        out.last_breach_at = ev.measured_at
    if _worse(ev, out.worst):
        out.worst = ev


def judge_reading(outcomes: dict[tuple[int, str], Outcome], policy: DevicePolicy, device_id: int, quantity: str,
                  when: datetime, value: float, unit: str) -> None:
    """Apply the reading's rule, if any, and fold the verdict into ``outcomes``.

    The same as ``summarize`` over ``evaluate_reading``, without an :class:`Evaluation` for
    every normal value (the ingest judges every reading it stores).
    """
    rule = READING_RULES.get(quantity)
    if rule is None:
        return
    verdict = _breach(policy, rule, when, value)
    if verdict is None:
        record_normal(outcomes, device_id, rule, when)
    else:
        record_breach(outcomes, _breach_evaluation(device_id, rule, quantity, when, value, unit, verdict))


def may_breach(policy: DevicePolicy, quantity: object, when: object, value: object) -> bool:
    """Whether an unchecked reading would breach its single-value rule (never raises).

    For ordering only (the sink commits such readings' devices first, ingest.py): the reading
    is judged again, properly, once it has been checked and stored.
    """
    rule = READING_RULES.get(quantity) if isinstance(quantity, str) else None
    if rule is None or isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not isinstance(when, datetime) or when.tzinfo is None:
        return False
    spec = policy.quantities.get(quantity)  # an impossible value will be refused, not alarmed on
    if spec is None or not spec.min <= value <= spec.max:
        return False
    return _breach(policy, rule, when, float(value)) is not None
