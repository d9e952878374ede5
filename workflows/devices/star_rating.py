"""Smart-site star rating (seed 004 §3(2)-(3), DOMAIN §1.6): who has which applications, who falls short.

- A project *has* an application when its registered devices of the right type were online at
  ``as_of`` (video, attendance, dust/noise, crane; power **and** water meters), when it has
  platform records showing it (quality-safety supervision: supervision records or
  self-inspections), or when it declared it (``site_application``; the only way for wage
  account, testing supervision, hazardous works, BIM and government coordination).
- Its *level*: 1★ with the first 4 applications, 2★ with the first 7, 3★ with all 11.
- Its *required level*: from the phase of its construction start and its floor area or
  contract value (``SMART_SITE_PHASES``); it *falls short* when level < required.
- Online at ``as_of``: registered by then and seen within the offline threshold before it;
  for a past ``as_of`` at which the device has been seen since, "not covered by an offline
  alarm" (alarms are the only history of device states).
Projects rated: those under construction at ``as_of`` (started, not finished).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from engine import Actor
from storage import SMART_SITE_APPLICATIONS, Alarm, Device, Project, ProjectRecord, SiteApplication
from workflows.reference.access import visible_projects

from .policy import DevicePolicy

STAR_SIZES = ((1, 4), (2, 7), (3, 11))
# Applications shown by devices: every group needs one online device of one of its types.
DEVICE_APPLICATIONS: dict[str, tuple[frozenset[str], ...]] = {
    "remote_video": (frozenset({"video"}),),
    "real_name_attendance": (frozenset({"attendance_gate"}),),
    "dust_noise_monitoring": (frozenset({"dust_noise_monitor"}),),
    "crane_safety_monitoring": (frozenset({"crane_monitor"}),),
    "power_water_monitoring": (frozenset({"power_meter"}), frozenset({"water_meter"})),
}
RECORD_APPLICATIONS = {"quality_safety_supervision": ("supervision_record", "self_inspection")}
DECLARABLE = tuple(a for a in SMART_SITE_APPLICATIONS if a not in DEVICE_APPLICATIONS)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def star_level(applications: Iterable[str]) -> int:
    have = set(applications)
    level = 0
    for stars, size in STAR_SIZES:
        if not all(a in have for a in SMART_SITE_APPLICATIONS[:size]):
            break
        level = stars
    return level


@dataclass(frozen=True)
class Tier:
    stars: int
    min_floor_area_m2: Decimal
    min_contract_value_cny: Decimal


@dataclass(frozen=True)
class Phase:
    name: str
    start: date
    end: date | None
    districts: frozenset[str] | None
    tiers: tuple[Tier, ...]
    three_star_min_percent: Decimal | None

    @classmethod
    def from_config(cls, raw: Mapping[str, Any]) -> Phase:
        tiers = tuple(Tier(int(t["stars"]), Decimal(str(t["min_floor_area_m2"])),
                           Decimal(str(t["min_contract_value_cny"]))) for t in raw["tiers"])
        percent = raw.get("three_star_min_percent")
        return cls(str(raw["name"]), date.fromisoformat(raw["from"]),
                   date.fromisoformat(raw["until"]) if raw.get("until") else None,
                   frozenset(raw["districts"]) if raw.get("districts") else None, tiers,
                   Decimal(str(percent)) if percent is not None else None)

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


def project_start(project: Project) -> date | None:
    """新开工: the construction start, or the supervision start when construction is not dated."""
    return project.construction_start or project.supervision_start


def required_level(project: Project, phases: Sequence[Phase]) -> tuple[int, Phase | None]:
    """The star level seed 004 requires of ``project`` and the phase that requires it."""
    started = project_start(project)
    phase = next((p for p in phases if started is not None and p.covers(started)), None)
    if phase is None or (phase.districts is not None and project.district not in phase.districts):
        return 0, phase
    area, value = project.floor_area_m2 or Decimal(0), project.contract_value_cny or Decimal(0)
    met = [t.stars for t in phase.tiers if area >= t.min_floor_area_m2 or value >= t.min_contract_value_cny]
    return max(met, default=0), phase


def resolve_as_of(value: date | datetime | None, now: datetime, policy: DevicePolicy) -> datetime:
    """A date means the end of that local day; never later than now."""
    if value is None:
        return now
    if not isinstance(value, datetime):
        value = datetime.combine(value + timedelta(days=1), time(0), policy.timezone) - timedelta(microseconds=1)
    return min(value, now)


@dataclass
class ProjectRating:
    project_id: int
    code: str
    name: str
    district: str | None
    applications: list[str]
    level: int
    required: int
    phase: str | None
    devices: int = 0
    online_devices: int = 0

    @property
    def short(self) -> bool:
        return self.level < self.required


@dataclass
class DistrictRow:
    district: str
    projects: int = 0
    required: int = 0          # projects required to reach at least one star
    meeting: int = 0           # of those, reaching their required level
    short: int = 0
    devices: int = 0
    online: int = 0
    three_star: int = 0
    three_star_base: int = 0   # projects of phases that set a three-star share
    three_star_target: Decimal | None = None

    @property
    def online_rate(self) -> Decimal | None:
        return (HUNDRED * self.online / self.devices).quantize(CENT) if self.devices else None

    @property
    def three_star_share(self) -> Decimal | None:
        return (HUNDRED * self.three_star / self.three_star_base).quantize(CENT) if self.three_star_base else None


@dataclass
class SmartSiteReport:
    as_of: datetime
    projects: list[ProjectRating]
    districts: list[DistrictRow]
    total: DistrictRow
    phases: list[Phase] = field(default_factory=list)

    @property
    def short(self) -> list[ProjectRating]:
        return [p for p in self.projects if p.short]


def _projects(session: Session, actor: Actor, day: date) -> list[Project]:
    """Projects under construction on ``day`` that ``actor`` may read."""
    start = func.coalesce(Project.construction_start, Project.supervision_start)
    return list(session.scalars(
        select(Project).where(visible_projects(actor), start <= day,
                              or_(Project.construction_end.is_(None), Project.construction_end >= day))
        .order_by(Project.district, Project.code)))


def _online_devices(session: Session, ids: list[int], at: datetime,
                    policy: DevicePolicy) -> tuple[dict[int, list[Device]], set[int]]:
    devices = list(session.scalars(select(Device).where(Device.project_id.in_(ids), Device.active.is_(True),
                                                        Device.created_at <= at)))
    offline_at = set(session.scalars(select(Alarm.device_id).where(
        Alarm.device_id.in_([d.id for d in devices]), Alarm.rule == "offline", Alarm.opened_at <= at,
        or_(Alarm.cleared_at.is_(None), Alarm.cleared_at > at))))
    online: set[int] = set()
    for d in devices:
        seen = d.last_seen_at
        if seen is None:
            continue
        if (seen <= at and at - seen <= policy.offline_after) or (seen > at and d.id not in offline_at):
            online.add(d.id)
    by_project: dict[int, list[Device]] = defaultdict(list)
    for d in devices:
        by_project[d.project_id].append(d)
    return by_project, online


def _record_apps(session: Session, ids: list[int], at: datetime, policy: DevicePolicy) -> dict[int, set[str]]:
    """Applications shown by platform records or declared, per project, at ``at``."""
    found: dict[int, set[str]] = defaultdict(set)
    day = policy.local_date(at)
    for app, kinds in RECORD_APPLICATIONS.items():
        for pid in session.scalars(select(ProjectRecord.project_id).distinct().where(
                ProjectRecord.project_id.in_(ids), ProjectRecord.kind.in_(kinds), ProjectRecord.occurred_on <= day)):
            found[pid].add(app)
    for pid, app in session.execute(select(SiteApplication.project_id, SiteApplication.application).where(
            SiteApplication.project_id.in_(ids), SiteApplication.declared_at <= at,
            or_(SiteApplication.withdrawn_at.is_(None), SiteApplication.withdrawn_at > at))):
        found[pid].add(app)
    return found


def _device_apps(devices: Sequence[Device], online: set[int]) -> set[str]:
    types = {d.device_type for d in devices if d.id in online}
    return {app for app, groups in DEVICE_APPLICATIONS.items() if all(types & group for group in groups)}


def rate_projects(session: Session, projects: Sequence[Project], at: datetime, policy: DevicePolicy,
                  phases: Sequence[Phase]) -> list[ProjectRating]:
    """The rating of each project at ``at`` (three queries, whatever the number of projects)."""
    ids = [p.id for p in projects]
    devices, online = _online_devices(session, ids, at, policy)
    other = _record_apps(session, ids, at, policy)
    ratings = []
    for project in projects:
        own = devices.get(project.id, [])
        apps = _device_apps(own, online) | other.get(project.id, set())
        required, phase = required_level(project, phases)
        ratings.append(ProjectRating(
            project.id, project.code, project.name, project.district,
            [a for a in SMART_SITE_APPLICATIONS if a in apps], star_level(apps), required,
            phase.name if phase else None, len(own), sum(1 for d in own if d.id in online)))
    return ratings


def _add(row: DistrictRow, rating: ProjectRating, phase: Phase | None) -> None:
    row.projects += 1
    row.devices += rating.devices
    row.online += rating.online_devices
    if rating.required:
        row.required += 1
        row.meeting += 0 if rating.short else 1
        row.short += 1 if rating.short else 0
    if phase is not None and phase.three_star_min_percent is not None:
        row.three_star_base += 1
        row.three_star += 1 if rating.level == 3 else 0
        row.three_star_target = phase.three_star_min_percent


def smart_site_report(session: Session, actor: Actor, policy: DevicePolicy, as_of: datetime,
                      districts: Sequence[str] = ()) -> SmartSiteReport:
    """Ratings of the projects ``actor`` may read, per district (in ``districts`` order) and in total."""
    phases = [Phase.from_config(p) for p in policy.smart_site_phases]
    projects = _projects(session, actor, policy.local_date(as_of))
    ratings = rate_projects(session, projects, as_of, policy, phases)
    phase_of = {r.project_id: next((p for p in phases if p.name == r.phase), None) for r in ratings}
    rows = {d: DistrictRow(d) for d in districts}
    total = DistrictRow("合计")
    for rating in ratings:
        district = rating.district or "—"
        _add(rows.setdefault(district, DistrictRow(district)), rating, phase_of[rating.project_id])
        _add(total, rating, phase_of[rating.project_id])
    return SmartSiteReport(as_of, ratings, list(rows.values()), total, phases)
