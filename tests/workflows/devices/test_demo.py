"""``oversite demo`` for devices: sites with devices, a day of readings through the sink, alarms and cases."""
from __future__ import annotations

import random
from datetime import date

from sqlalchemy import func, select

from storage import Device, Project, ReadingHourly
from tests.fixtures.devices import ADMIN
from workflows.devices.demo import seed_demo
from workflows.devices.star_rating import smart_site_report
from workflows.families import DemoContext


def test_demo_sites_readings_alarms_and_cases(devices_env):
    env = devices_env
    with env.sessions.begin() as s:
        for n in range(3):  # five sites need five projects under construction
            s.add(Project(code=f"X{n}", name=f"x{n}", district="北仑区", construction_start=date(2025, 1, 1)))
    ctx = DemoContext(session_factory=env.sessions, engine=env.engine, clock=env.clock, config=env.config, users={},
                      random=random.Random(7), add_user=lambda *a: ADMIN)
    seed_demo(ctx)
    with env.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Device)) == 17
        assert s.scalar(select(func.sum(ReadingHourly.count))) > 17 * 100
        report = smart_site_report(s, ADMIN, env.policy, env.clock.now(), [])
    rules = {a.rule for a in env.alarms()}
    assert {"pm10_hourly", "noise_leq", "crane_load"} <= rules
    assert len(env.cases()) == len(env.alarms())  # every alarm has its device-alarm case
    assert any(a.status == "open" for a in env.alarms()) and any(a.status == "cleared" for a in env.alarms())
    levels = sorted(r.level for r in report.projects)
    assert levels[-1] == 3 and 0 in levels
    seed_demo(ctx)  # a second run changes nothing
    with env.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Device)) == 17
