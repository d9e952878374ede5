"""Demo devices for ``oversite demo``: five sites, a day of readings, a few breaches → alarms and cases.

The first projects under construction of ``enterprise_a``'s and ``enterprise_b``'s contractors
(any such projects otherwise) get devices of every protocol; the last 24 hours of readings go
through the real sink (so aggregates, alarms and device-alarm cases are what ingest would
make): a PM10 hour above the limit, a night-time noise peak, a crane near its rated load.
Sites differ on purpose, so the star rating shows 3★, 2★, 1★ and sites falling short.
Deterministic: ``ctx.random`` and ``ctx.clock`` only; a second run changes nothing.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from adapters.readings import DeviceRef, Reading
from storage import Device, Project, ProjectParty, SiteApplication
from workflows.family import DemoContext

from .ingest import DeviceReadingSink
from .policy import DevicePolicy

PREFIX = "DEMO-"
SITES = 5
STEP = timedelta(minutes=10)
# Device kinds per site (site index → types) and the applications each site declares.
SITE_DEVICES = (
    ("video", "attendance_gate", "dust_noise_monitor", "crane_monitor", "power_meter", "water_meter"),
    ("video", "attendance_gate", "dust_noise_monitor", "crane_monitor"),
    ("dust_noise_monitor",),
    ("video", "attendance_gate", "dust_noise_monitor", "crane_monitor"),
    ("video", "dust_noise_monitor"),
)
SITE_DECLARED = (
    ("wage_account", "quality_safety_supervision", "quality_testing_supervision", "hazardous_works_management",
     "bim", "government_coordination"),
    ("wage_account",),
    (),
    ("wage_account", "quality_safety_supervision", "quality_testing_supervision"),
    (),
)
NAMES = {"video": "视频监控", "attendance_gate": "实名制闸机", "dust_noise_monitor": "扬尘噪声监测仪",
         "crane_monitor": "塔吊安全监控", "power_meter": "施工用电表", "water_meter": "施工用水表"}
PROTOCOL = {"video": "http", "attendance_gate": "http", "dust_noise_monitor": "hj212", "crane_monitor": "mqtt",
            "power_meter": "modbus", "water_meter": "http"}
POWER_MAP = [{"quantity": "power_kwh", "address": 0, "data_type": "uint32", "scale": 0.1, "unit": "kWh"},
             {"quantity": "power_kw", "address": 2, "data_type": "int16", "scale": 0.1, "unit": "kW"}]


def _sites(ctx: DemoContext, session: Session) -> list[Project]:
    today = ctx.clock.now().date()
    running = (select(Project).where(Project.construction_start <= today,
                                     or_(Project.construction_end.is_(None), Project.construction_end > today)))
    codes = [s.enterprise_code for name in ("enterprise_a", "enterprise_b") if name in ctx.users
             for s in ctx.users[name].scopes if s.enterprise_code]
    found: list[Project] = []
    for code in codes:
        parties = select(ProjectParty.project_id).where(ProjectParty.enterprise_code == code)
        found += session.scalars(running.where(Project.id.in_(parties)).order_by(Project.id).limit(3)).all()
    if len(found) < SITES:
        seen = [p.id for p in found] or [0]
        found += session.scalars(running.where(Project.id.not_in(seen)).order_by(Project.id)
                                 .limit(SITES - len(found))).all()
    return found[:SITES]


def _device(project: Project, site: int, kind: str, n: int, now: datetime) -> Device:
    protocol = PROTOCOL[kind]
    device = Device(project_id=project.id, code=f"{PREFIX}{site + 1}-{n + 1}", name=NAMES[kind], device_type=kind,
                    protocol=protocol, active=True, created_at=now - timedelta(days=2), created_by="demo")
    if protocol == "hj212":
        device.mn_code = f"DEMO{project.id:08d}{n:04d}"
    elif protocol == "mqtt":
        device.client_id = f"{project.code}-{device.code}"
    elif protocol == "modbus":
        device.modbus_host, device.modbus_port, device.modbus_unit_id = "127.0.0.1", 5020, site * 10 + n + 1
        device.register_map = [{**e, "count": 2 if e["data_type"] == "uint32" else 1, "offset": 0.0,
                                "table": "holding", "word_order": "big"} for e in POWER_MAP]
        device.poll_interval_seconds = 60
    return device


def _ref(device: Device, project: Project) -> DeviceRef:
    if device.protocol == "hj212":
        return DeviceRef("hj212", device.mn_code or "")
    if device.protocol == "mqtt":
        return DeviceRef("mqtt", f"{project.code}/{device.code}")
    if device.protocol == "modbus":
        return DeviceRef("modbus", f"{device.modbus_host}:{device.modbus_port}:{device.modbus_unit_id}")
    return DeviceRef("http", str(device.id))


def _values(ctx: DemoContext, kind: str, site: int, when: datetime, step: int, steps: int,
            policy: DevicePolicy) -> list[tuple[str, float, str]]:
    rnd, day = ctx.random, policy.is_daytime(when)
    late = step >= steps - 9  # the last hour and a half
    if kind == "dust_noise_monitor":
        pm10 = rnd.uniform(60, 110)
        if (site == 0 and steps // 2 <= step < steps // 2 + 12) or (site == 2 and late):
            pm10 = rnd.uniform(175, 220)  # an hour of dust: the hourly mean exceeds the limit
        leq = rnd.uniform(55, 66) if day else rnd.uniform(44, 52)
        if site == 1 and not day and step % 36 == 5:
            leq = rnd.uniform(60, 64)  # a night-time peak
        values = [("pm10", pm10, "µg/m³"), ("pm25", pm10 * rnd.uniform(0.4, 0.6), "µg/m³"),
                  ("noise_leq", leq, "dB(A)"), ("wind_speed", rnd.uniform(0.5, 6), "m/s")]
        if not day:
            values.append(("noise_lmax", leq + rnd.uniform(5, 12), "dB(A)"))
        return values
    if kind == "crane_monitor":
        load = rnd.uniform(25, 80) if not (site == 0 and step >= steps - 2) else rnd.uniform(91, 96)
        return [("crane_load_pct", load, "%"), ("crane_moment_pct", load * rnd.uniform(0.8, 1.0), "%"),
                ("wind_speed", rnd.uniform(1, 8), "m/s")]
    if kind == "power_meter":
        return [("power_kwh", 10000 + step * rnd.uniform(4, 6), "kWh"), ("power_kw", rnd.uniform(20, 60), "kW")]
    if kind == "water_meter":
        return [("water_m3", 500 + step * 0.3, "m³")]
    if kind == "attendance_gate":
        return [("attendance_in", float(rnd.randint(0, 12) if day else 0), "count"),
                ("attendance_out", float(rnd.randint(0, 12) if day else 0), "count")]
    return [("heartbeat", 1.0, "")]


def seed_demo(ctx: DemoContext) -> None:
    policy = DevicePolicy.from_config(ctx.config)
    now = ctx.clock.now()
    with ctx.session_factory.begin() as session:
        if session.scalar(select(func.count()).select_from(Device).where(Device.code.like(PREFIX + "%"))):
            return
        sites = _sites(ctx, session)
        placed: list[tuple[int, Device, Project]] = []
        for site, project in enumerate(sites):
            for n, kind in enumerate(SITE_DEVICES[site]):
                device = _device(project, site, kind, n, now)
                session.add(device)
                placed.append((site, device, project))
            for app in SITE_DECLARED[site]:
                session.add(SiteApplication(project_id=project.id, application=app, declared_at=now - timedelta(days=2),
                                            declared_by="demo"))
        session.flush()
        refs = [(site, device.device_type, _ref(device, project)) for site, device, project in placed]
    sink = DeviceReadingSink(ctx.session_factory, ctx.engine, policy, ctx.clock)
    steps = int(timedelta(hours=24) / STEP)
    start = now - steps * STEP
    batch: list[Reading] = []
    for step in range(steps):
        when = start + (step + 1) * STEP
        for site, kind, ref in refs:
            values = _values(ctx, kind, site, when, step, steps, policy)
            batch += [Reading(ref, when, q, round(v, 2), u) for q, v, u in values]
        if (step + 1) % 6 == 0:  # one batch per hour, as an ingest process would send them
            sink.write_batch(batch)
            batch = []
    if batch:
        sink.write_batch(batch)
