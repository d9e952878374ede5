"""Demo data of project duties (``oversite demo``): recent history for every demo project, then
live cases for the demo users (``demo_live``).

History, written directly as the operations would have left it: most projects initialized;
daily logs of the contractor and the supervising engineer over the last working days, with
realistic gaps (diligent, average and careless sites), the missing ones recorded by the same
check the nightly job runs; weekly self-inspections over the last weeks, some with findings
rectified in one or two rounds, and the weekly gaps; a few stage acceptances. Deterministic
(``ctx.random``, ``ctx.clock``); a second run changes nothing. It builds on the projects of the
reference family's demo and does nothing if there are none.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from storage import (
    DailyLog,
    Enterprise,
    Project,
    ProjectInitialization,
    ProjectRecord,
    SelfInspection,
    SelfRectification,
    StageAcceptance,
)
from workflows.family import DemoContext

from . import demo_live
from .duty_checks import DutyChecks, previous_week
from .policy import ProjectPolicy, policy_from
from .vocab import INSPECTION_ITEM_LABELS, InitializationStatus, InspectionStatus

log = logging.getLogger(__name__)

LOG_WORKING_DAYS = 10
INSPECTION_WEEKS = 4
HISTORY_USER = "history"  # author of entries that stand for the previous system's records
WORK = ("基础承台钢筋绑扎", "地下室顶板混凝土浇筑", "主体结构{n}层模板支设", "{n}层梁板钢筋绑扎及验收",
        "{n}层砌体砌筑", "外墙脚手架搭设至{n}层", "屋面防水施工", "室内抹灰及管线预埋", "塔吊附着及顶升")
OVERSIGHT = ("旁站监理：{n}层梁板混凝土浇筑", "巡视检查{n}层钢筋安装", "见证取样：钢筋原材料", "检查{n}层模板支撑体系",
             "审查专项施工方案", "验收{n}层隐蔽工程")
SAFETY = ("临边防护到位，安全帽佩戴规范", "施工用电符合要求", "脚手架连墙件齐全", "现场文明施工良好", "")
FINDINGS = ("{n}层临边防护栏杆缺失", "配电箱未上锁", "脚手架连墙件间距过大", "材料堆放超高", "消防器材过期",
            "塔吊限位装置失灵", "基坑边堆载过近", "钢筋保护层垫块不足")
WEATHER = ("sunny", "sunny", "cloudy", "cloudy", "overcast", "rain")


def seed_demo(ctx: DemoContext) -> None:
    """Project-duty history for the demo projects, then live cases for the demo users."""
    policy = policy_from(ctx.config)
    today = policy.local_today(ctx.clock)
    reserved = demo_live.reserved_projects(ctx, today)
    with ctx.session_factory.begin() as session:
        if session.scalar(select(DailyLog.id).limit(1)) is not None:
            return  # already seeded
        projects = list(session.scalars(select(Project).order_by(Project.id)))
        if not projects:
            log.warning("project duties demo: no demo projects (the reference family seeds them); skipped")
            return
        _History(ctx, session, policy, today).write(projects, reserved)
    demo_live.seed_live(ctx, policy, today)


def _building(project: Project, day: date) -> bool:
    start, end = project.construction_start, project.construction_end
    return start is not None and start <= day and (end is None or end > day)


class _History:
    def __init__(self, ctx: DemoContext, session: Session, policy: ProjectPolicy, today: date) -> None:
        self.ctx, self.session, self.policy, self.today = ctx, session, policy, today
        self.rnd = ctx.random
        self.now = ctx.clock.now()
        self.records: list[dict[str, Any]] = []
        self.checks = DutyChecks(policy)

    def write(self, projects: list[Project], reserved: set[int]) -> None:
        self.initializations([p for p in projects if p.id not in reserved])
        building = [p for p in projects if _building(p, self.today - timedelta(days=1))]
        # Each site keeps its habits: most are diligent, some average, a few careless.
        habit = {p.id: self.rnd.choices((0.97, 0.85, 0.45), weights=(6, 3, 1))[0] for p in building}
        days = self.policy.working_days(self.today - timedelta(days=21), self.today - timedelta(days=1))
        log_days = days[-LOG_WORKING_DAYS:]
        self.daily_logs(building, habit, log_days)
        self.self_inspections(building, habit)
        self.acceptances(building)
        self.session.execute(insert(ProjectRecord), self.records)
        self.session.flush()
        for day in log_days:  # what the nightly check found on those days
            self.checks.missing_logs_on(self.session, day, self.ctx.clock)
        week_start, _ = previous_week(self.today)
        for n in range(INSPECTION_WEEKS):
            self.checks.inspection_gaps_in(self.session, week_start - timedelta(weeks=n), self.ctx.clock)

    def at(self, day: date, hour: int) -> datetime:
        """A moment of a local day, never later than now."""
        return min(datetime.combine(day, time(hour, self.rnd.randrange(0, 60)), self.policy.timezone), self.now)

    def record(self, project_id: int, kind: str, day: date) -> None:
        self.records.append({"project_id": project_id, "kind": kind, "occurred_on": day, "source": "case",
                             "case_id": None, "external_ref": None, "created_at": self.now})

    # -- initialization -----------------------------------------------------------------------
    def initializations(self, projects: list[Project]) -> None:
        names = dict(self.session.execute(select(Enterprise.code, Enterprise.name)).all())
        initialized = set(self.session.scalars(select(ProjectRecord.project_id)
                                               .where(ProjectRecord.kind == "initialization")))
        rows = []
        for project in projects:
            start = project.supervision_start
            if start is None or start >= self.today or self.rnd.random() > 0.85:
                continue  # not begun, or (15 %) still to be initialized: the live demo does some
            submitted = min(start + timedelta(days=self.rnd.randrange(2, 20)), self.today - timedelta(days=1))
            reviewed = min(submitted + timedelta(days=self.rnd.randrange(0, 3)), self.today - timedelta(days=1))
            parties = {p.party_role: p.enterprise_code for p in project.parties}
            data = {"address": project.address, "floor_area_m2": str(project.floor_area_m2),
                    "contract_value_cny": str(project.contract_value_cny),
                    "construction_start": project.construction_start.isoformat() if project.construction_start else None,
                    "construction_end": project.construction_end.isoformat() if project.construction_end else None}
            for role, code in parties.items():
                data[f"{role}_code"], data[f"{role}_name"] = code, names.get(code, "")
            rows.append({"project_id": project.id, "case_id": None, "round": 1,
                         "status": InitializationStatus.ACKNOWLEDGED, "data": data,
                         "enterprise_code": parties.get("contractor"), "submitted_by": HISTORY_USER,
                         "submitted_at": self.at(submitted, 10), "reviewed_by": HISTORY_USER,
                         "reviewed_at": self.at(reviewed, 16), "review_comment": None})
            if project.id not in initialized:
                self.record(project.id, "initialization", reviewed)
        if rows:
            self.session.execute(insert(ProjectInitialization), rows)

    # -- daily logs ---------------------------------------------------------------------------
    def daily_logs(self, building: list[Project], habit: dict[int, float], days: list[date]) -> None:
        rows = []
        for day in days:
            for project in building:
                if not _building(project, day):
                    continue
                parties = {p.party_role: p.enterprise_code for p in project.parties}
                for party in self.policy.log_parties:
                    if self.rnd.random() > habit[project.id]:
                        continue  # a gap the nightly check finds
                    floor = self.rnd.randrange(2, 30)
                    content = self.rnd.choice(WORK if party == "contractor" else OVERSIGHT).format(n=floor)
                    rows.append({"project_id": project.id, "case_id": None, "party": party, "log_date": day,
                                 "enterprise_code": parties.get(party), "weather": self.rnd.choice(WEATHER),
                                 "workers_on_site": self.rnd.randrange(15, 220) if party == "contractor"
                                 else self.rnd.randrange(1, 6),
                                 "work_content": content, "quality_safety": self.rnd.choice(SAFETY) or None,
                                 "issues": None, "document_ids": [], "filed_by": HISTORY_USER,
                                 "filed_at": self.at(day, 18)})
                    self.record(project.id, "daily_log", day)
        if rows:
            self.session.execute(insert(DailyLog), rows)

    # -- self-inspections ---------------------------------------------------------------------
    def self_inspections(self, building: list[Project], habit: dict[int, float]) -> None:
        monday = self.today - timedelta(days=self.today.weekday())
        for week in range(INSPECTION_WEEKS, -1, -1):
            start = monday - timedelta(weeks=week)
            days = [d for d in self.policy.working_days(start, start + timedelta(days=6)) if d < self.today]
            for project in building:
                if not days or self.rnd.random() > habit[project.id] - 0.1:
                    continue
                day = self.rnd.choice(days)
                if _building(project, day):
                    self.inspection(project, day)

    def inspection(self, project: Project, day: date) -> None:
        rnd = self.rnd
        findings = [rnd.choice(FINDINGS).format(n=rnd.randrange(2, 25)) for _ in range(rnd.choice((1, 1, 2, 3)))] \
            if rnd.random() < 0.3 else []
        due = day + timedelta(days=self.policy.rectification_days) if findings else None
        parties = {p.party_role: p.enterprise_code for p in project.parties}
        rounds = rnd.choice((1, 1, 1, 2)) if findings else 0
        inspection = SelfInspection(
            project_id=project.id, case_id=None, party="contractor", enterprise_code=parties.get("contractor"),
            inspected_on=day, inspector=rnd.choice("王李张陈刘杨黄赵") + "安全员",
            items=rnd.sample(sorted(INSPECTION_ITEM_LABELS), 3), findings=findings,
            hazard_level="general", status=InspectionStatus.CLOSED if findings else InspectionStatus.PASSED,
            rectify_by=due, rounds=rounds, document_ids=[], recorded_by=HISTORY_USER, recorded_at=self.at(day, 17),
            closed_at=self.at(day + timedelta(days=2 * rounds), 17) if findings else None)
        self.session.add(inspection)
        self.session.flush()
        for n in range(1, rounds + 1):
            done = day + timedelta(days=2 * n - 1)
            self.session.add(SelfRectification(
                inspection_id=inspection.id, round=n, due_on=due + timedelta(days=3 * (n - 1)),  # type: ignore[operator]
                opened_at=self.at(day + timedelta(days=2 * (n - 1)), 17), measures="已按要求整改完毕",
                rectified_on=min(done, self.today), evidence_document_ids=[], submitted_by=HISTORY_USER,
                submitted_at=self.at(done, 15), verdict="accepted" if n == rounds else "rejected",
                verifier="监理工程师", verify_comment=None if n == rounds else "整改不到位，重新整改",
                verified_by=HISTORY_USER, verified_at=self.at(done + timedelta(days=1), 10)))
        self.record(project.id, "self_inspection", day)

    # -- acceptances --------------------------------------------------------------------------
    def acceptances(self, building: list[Project]) -> None:
        for project in building:
            start = project.construction_start
            assert start is not None
            for stage, after, share in (("foundation", 120, 0.45), ("main_structure", 420, 0.35)):
                day = start + timedelta(days=after + self.rnd.randrange(0, 40))
                if day >= self.today or self.rnd.random() > share:
                    continue
                self.session.add(StageAcceptance(
                    project_id=project.id, case_id=None, stage=stage, accepted_on=day,
                    participant_units=["builder", "contractor", "supervisor", "designer"],
                    participants=["建设单位项目负责人", "施工单位项目经理", "总监理工程师", "设计单位负责人"],
                    result="passed", remarks="符合设计及规范要求，同意验收", document_ids=[],
                    enterprise_code=None, recorded_by=HISTORY_USER, recorded_at=self.at(day, 16)))
                self.record(project.id, "acceptance", day)
