"""Smart-site star rating: applications from online devices, records and declarations; levels; who falls short."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import update

from engine import Actor, Scope
from storage import Alarm, Device, Project, ProjectParty, ProjectRecord, SiteApplication
from tests.fixtures.devices import ACME, ADMIN, OTHER
from workflows.devices.star_rating import (
    Phase, required_level, resolve_as_of, smart_site_report, star_level,
)
from web.config import DEFAULTS

APPS = ("remote_video", "real_name_attendance", "dust_noise_monitoring", "wage_account", "crane_safety_monitoring",
        "quality_safety_supervision", "quality_testing_supervision", "power_water_monitoring",
        "hazardous_works_management", "bim", "government_coordination")
PHASES = [Phase.from_config(p) for p in DEFAULTS["SMART_SITE_PHASES"]]


@pytest.mark.parametrize(("apps", "level"), [
    ((), 0), (APPS[:3], 0), (APPS[:4], 1), (APPS[:6], 1), (APPS[:7], 2), (APPS[:10], 2), (APPS, 3),
    (APPS[1:], 0),  # without video there is no star, whatever else
])
def test_star_levels_take_the_applications_in_the_seeds_order(apps, level):
    assert star_level(apps) == level


def project(start: date | None, area: int, value: int, district: str = "海曙区") -> Project:
    return Project(code="X", name="x", district=district, construction_start=start,
                   floor_area_m2=Decimal(area), contract_value_cny=Decimal(value))


@pytest.mark.parametrize(("start", "area", "value", "district", "required"), [
    (date(2019, 12, 31), 900_000, 10**10, "海曙区", 0),          # before the first phase
    (date(2020, 5, 1), 5_000, 0, "海曙区", 1),                  # 2020: central districts, ≥ 5,000 m²
    (date(2020, 5, 1), 4_999, 49_999_999, "海曙区", 0),
    (date(2020, 5, 1), 0, 50_000_000, "江北区", 1),             # … or ≥ 50 M CNY
    (date(2020, 5, 1), 90_000, 0, "北仑区", 0),                 # not central: nothing in 2020
    (date(2021, 3, 1), 0, 20_000_000, "北仑区", 1),             # 2021: citywide, ≥ 20 M CNY
    (date(2021, 3, 1), 100_000, 0, "北仑区", 2),                # ≥ 100,000 m² → two stars
    (date(2021, 3, 1), 99_999, 199_999_999, "北仑区", 1),
    (date(2022, 1, 1), 50_000, 0, "象山县", 2),                 # 2022: ≥ 50,000 m² or ≥ 100 M → two
    (date(2025, 6, 1), 0, 100_000_000, "象山县", 2),
    (date(2025, 6, 1), 4_000, 19_000_000, "象山县", 0),
])
def test_the_required_level_follows_the_phase_and_the_size(start, area, value, district, required):
    assert required_level(project(start, area, value, district), PHASES)[0] == required


def test_as_of_a_date_means_the_end_of_that_local_day_and_never_the_future(devices_env):
    now = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
    assert resolve_as_of(date(2026, 2, 1), now, devices_env.policy) == datetime(
        2026, 2, 1, 15, 59, 59, 999999, tzinfo=timezone.utc)
    assert resolve_as_of(date(2026, 3, 2), now, devices_env.policy) == now
    assert resolve_as_of(None, now, devices_env.policy) == now


def online(env, project: str, *types: str, minutes_ago: float = 5) -> list[Device]:
    made = [env.device(project, t) for t in types]
    with env.sessions.begin() as s:
        s.execute(update(Device).where(Device.id.in_([d.id for d in made]))
                  .values(last_seen_at=env.clock.now() - timedelta(minutes=minutes_ago)))
    return made


def declare(env, project: str, *apps: str, at: datetime | None = None) -> None:
    with env.sessions.begin() as s:
        for app in apps:
            s.add(SiteApplication(project_id=env.projects[project], application=app,
                                  declared_at=at or env.clock.now() - timedelta(days=1)))


def report(env, actor: Actor = ADMIN, as_of: datetime | None = None):
    with env.sessions() as s:
        return smart_site_report(s, actor, env.policy, as_of or env.clock.now(), ["海曙区", "江北区", "北仑区"])


def test_applications_levels_and_shortfalls(devices_env):
    env = devices_env
    # p1 (60,000 m², started 2025) must reach two stars; p2 (8,000 m², 30 M) one.
    online(env, "p1", "video", "attendance_gate", "dust_noise_monitor", "crane_monitor", "power_meter")
    online(env, "p1", "water_meter", minutes_ago=45)          # offline: no power/water monitoring
    declare(env, "p1", "wage_account", "quality_testing_supervision")
    online(env, "p2", "video", "attendance_gate", "dust_noise_monitor")
    declare(env, "p2", "wage_account")
    rated = {r.code: r for r in report(env).projects}
    p1, p2 = rated["P1"], rated["P2"]
    assert p1.applications == ["remote_video", "real_name_attendance", "dust_noise_monitoring", "wage_account",
                               "crane_safety_monitoring", "quality_testing_supervision"]
    assert (p1.level, p1.required, p1.short, p1.phase) == (1, 2, True, "2022")  # quality-safety supervision missing
    assert (p1.devices, p1.online_devices) == (6, 5)
    assert (p2.level, p2.required, p2.short) == (1, 1, False)
    # A supervision record shows the quality-safety supervision application: p1 reaches two stars.
    with env.sessions.begin() as s:
        s.add(ProjectRecord(project_id=env.projects["p1"], kind="supervision_record", occurred_on=date(2026, 2, 20),
                            source="case"))
    result = report(env)
    p1 = next(r for r in result.projects if r.code == "P1")
    assert (p1.level, p1.short) == (2, False)
    assert result.short == []


def test_district_rows_and_online_rates(devices_env):
    env = devices_env
    online(env, "p1", "video", "dust_noise_monitor", "crane_monitor")
    online(env, "p1", "water_meter", minutes_ago=31)
    online(env, "p2", "video")
    result = report(env)
    haishu, jiangbei, beilun = result.districts
    assert (haishu.district, haishu.projects, haishu.devices, haishu.online, haishu.online_rate) == (
        "海曙区", 1, 4, 3, Decimal("75.00"))
    assert (haishu.required, haishu.meeting, haishu.short) == (1, 0, 1)
    assert (jiangbei.devices, jiangbei.online_rate, jiangbei.short) == (1, Decimal("100.00"), 1)
    assert (beilun.projects, beilun.online_rate) == (0, None)  # listed in the configured order, even empty
    total = result.total
    assert (total.district, total.projects, total.devices, total.online, total.online_rate) == (
        "合计", 2, 5, 4, Decimal("80.00"))
    assert (total.three_star_base, total.three_star_share, total.three_star_target) == (2, Decimal("0.00"),
                                                                                       Decimal("5"))


def test_only_projects_under_construction_are_rated(devices_env):
    env = devices_env
    with env.sessions.begin() as s:
        s.add_all([
            Project(code="DONE", name="done", district="海曙区", construction_start=date(2024, 1, 1),
                    construction_end=date(2026, 1, 1)),
            Project(code="LATER", name="later", district="海曙区", construction_start=date(2026, 6, 1)),
            Project(code="SUPERVISED", name="supervised", district="海曙区", supervision_start=date(2026, 1, 5)),
        ])
    assert sorted(r.code for r in report(env).projects) == ["P1", "P2", "SUPERVISED"]


def test_past_dates_use_registration_declarations_and_the_offline_history(devices_env):
    env = devices_env
    (video,) = online(env, "p1", "video", minutes_ago=1)
    late = env.device("p1", "attendance_gate", created_at=env.clock.now() - timedelta(hours=1))
    declare(env, "p1", "wage_account", at=env.clock.now() - timedelta(hours=2))
    with env.sessions.begin() as s:
        s.execute(update(Device).where(Device.id == late.id).values(last_seen_at=env.clock.now()))
        # The video device was offline from 5 to 3 hours ago.
        s.add(Alarm(device_id=video.id, project_id=env.projects["p1"], rule="offline", severity="alarm",
                    status="cleared", opened_at=env.clock.now() - timedelta(hours=5),
                    last_breach_at=env.clock.now() - timedelta(hours=5),
                    cleared_at=env.clock.now() - timedelta(hours=3), values={}))

    def p1_at(hours_ago: float):
        return next(r for r in report(env, as_of=env.clock.now() - timedelta(hours=hours_ago)).projects
                    if r.code == "P1")

    assert p1_at(4).applications == []                                   # video offline, nothing declared
    assert p1_at(1.5).applications == ["remote_video", "wage_account"]   # the gate was not registered yet
    assert p1_at(0).applications == ["remote_video", "real_name_attendance", "wage_account"]


def test_an_enterprise_sees_only_its_own_projects(devices_env):
    env = devices_env
    acme = Actor("acme", None, (Scope("enterprise", None, ACME),))
    other = Actor("other", None, (Scope("enterprise", None, OTHER),))
    nobody = Actor("nobody", None, (Scope("enterprise", None, "91330200NOBODY000X"),))
    assert [r.code for r in report(env, acme).projects] == ["P1"]
    assert [r.code for r in report(env, other).projects] == ["P2"]
    assert report(env, nobody).projects == [] and report(env, nobody).total.projects == 0
    inspector = Actor("insp", None, (Scope("inspector", "江北区"),))
    assert [r.code for r in report(env, inspector).projects] == ["P2"]
    with env.sessions.begin() as s:  # a party of several projects sees each
        s.add(ProjectParty(project_id=env.projects["p2"], enterprise_code=ACME, party_role="supervisor"))
    assert sorted(r.code for r in report(env, acme).projects) == ["P1", "P2"]
