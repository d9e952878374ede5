"""Live demo cases of project duties, driven through the engine as the demo users would.

``enterprise_a`` (a contractor working mostly in 海曙区) finds work in its inbox: a daily log to
write, a self-inspection's findings to rectify, another to verify, an initialization returned
for correction; ``district_admin_haishu`` finds an initialization to check and suggestions to
answer. Every case goes through the shipped models, so it is exactly what the UI would leave.
"""
from __future__ import annotations

import logging
from datetime import date
from typing import Any

from sqlalchemy import select

from engine import Actor, NotFound
from storage import (
    Enterprise,
    MissingDailyLog,
    Person,
    Project,
    ProjectInitialization,
    ProjectParty,
    ProjectPerson,
    StageAcceptance,
    Task,
)
from workflows.family import DemoContext
from workflows.reference.status import under_construction

from .guards import enterprise_codes
from .policy import ProjectPolicy
from .vocab import (
    ACCEPTANCE_PROCESS,
    DAILY_LOG_PROCESS,
    INITIALIZATION_PROCESS,
    SELF_INSPECTION_PROCESS,
    SUGGESTION_PROCESS,
)

log = logging.getLogger(__name__)
HAISHU = "海曙区"
# A valid 1×1 PNG: the evidence photo of the demo rectifications.
PHOTO = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010800000000376ef9240000000a49444154789c63f80f0000010101"
    "0018dd8db00000000049454e44ae426082")


def contractor_projects(session: Any, actor: Actor, today: date) -> list[Project]:
    """Projects under construction whose contractor is ``actor``'s enterprise, 海曙区 first."""
    codes = sorted(enterprise_codes(actor))
    projects = session.scalars(
        select(Project).join(ProjectParty, ProjectParty.project_id == Project.id)
        .where(ProjectParty.party_role == "contractor", ProjectParty.enterprise_code.in_(codes),
               under_construction(today)).order_by(Project.id)).all()
    return sorted(projects, key=lambda p: (p.district != HAISHU, p.id))


def reserved_projects(ctx: DemoContext, today: date) -> set[int]:
    """Projects the history leaves uninitialized so that the live demo can initialize them."""
    actor = ctx.users.get("enterprise_a")
    if actor is None:
        return set()
    with ctx.session_factory() as session:
        return {p.id for p in contractor_projects(session, actor, today) if p.district == HAISHU}


class _Driver:
    """Starts cases and completes tasks, one transaction each, as the demo users."""

    def __init__(self, ctx: DemoContext, today: date) -> None:
        self.ctx, self.today = ctx, today

    def start(self, key: str, actor: Actor, project: Project | None, data: dict[str, Any] | None = None) -> int:
        with self.ctx.session_factory.begin() as session:
            return self.ctx.engine.start_case(session, key, data or {}, actor,
                                              project_id=project.id if project else None).id

    def complete(self, case_id: int, bpmn_id: str, data: dict[str, Any], actor: Actor) -> None:
        with self.ctx.session_factory.begin() as session:
            task_id = session.scalars(select(Task.id).where(Task.case_id == case_id, Task.bpmn_id == bpmn_id,
                                                            Task.state.in_(("open", "claimed")))).one()
            self.ctx.engine.complete(session, task_id, data, actor)

    def photo(self, case_id: int, actor: Actor) -> int:
        with self.ctx.session_factory.begin() as session:
            return self.ctx.engine.ports["documents"].store(  # type: ignore[no-any-return]
                session, data=PHOTO, filename="整改后照片.png", kind="evidence", case_id=case_id,
                author=actor.username, created_at=self.ctx.clock.now()).id


def seed_live(ctx: DemoContext, policy: ProjectPolicy, today: date) -> None:
    a, dadmin = ctx.users.get("enterprise_a"), ctx.users.get("district_admin_haishu")
    if a is None or dadmin is None:
        log.warning("project duties demo: demo users enterprise_a / district_admin_haishu missing; no live cases")
        return
    with ctx.session_factory() as session:
        try:
            ctx.engine.latest_definition(session, DAILY_LOG_PROCESS)
        except NotFound:
            log.warning("project duties demo: models not deployed (run `oversite init` first); no live cases")
            return
        projects = contractor_projects(session, a, today)
    drive = _Driver(ctx, today)
    _initializations(ctx, drive, a, dadmin, [p for p in projects if p.district == HAISHU][:3])
    _daily_logs(ctx, drive, a, projects[:4], today)
    _self_inspections(drive, a, projects[:3], today)
    _acceptance(ctx, drive, a, projects[:2], today)
    _suggestions(ctx, drive, a, dadmin, projects[:1])


def _initialization_form(ctx: DemoContext, project: Project) -> dict[str, Any]:
    with ctx.session_factory() as session:
        parties = {p.party_role: p.enterprise_code for p in project.parties}
        names = dict(session.execute(select(Enterprise.code, Enterprise.name)
                                     .where(Enterprise.code.in_(parties.values()))).all())
        people = {position: (name, identifier) for position, name, identifier in session.execute(
            select(ProjectPerson.position, Person.name, Person.identifier)
            .join(Person, Person.id == ProjectPerson.person_id).where(ProjectPerson.project_id == project.id))}
    form: dict[str, Any] = {
        "address": project.address or f"宁波市{project.district}", "floor_area_m2": str(project.floor_area_m2 or 1000),
        "contract_value_cny": str(project.contract_value_cny or 0),
        "construction_start": project.construction_start.isoformat() if project.construction_start else None,
    }
    for role in ("builder", "contractor", "supervisor"):
        form[f"{role}_code"], form[f"{role}_name"] = parties[role], names.get(parties[role], role)
    for position, fallback in (("project_manager", ("陈建国", "浙133201500001")),
                               ("chief_supervisor", ("李明", "33010001"))):
        form[position], form[f"{position}_cert"] = people.get(position, fallback)
    n = ctx.random.randrange(10_000, 99_999)
    form["safety_officer"], form["safety_officer_cert"] = "王海波", f"浙建安C(2021)00{n}"
    return form


def _initializations(ctx: DemoContext, drive: _Driver, a: Actor, dadmin: Actor, projects: list[Project]) -> None:
    with ctx.session_factory() as session:
        done = set(session.scalars(select(ProjectInitialization.project_id)))
    for step, project in enumerate(p for p in projects if p.id not in done):
        case_id = drive.start(INITIALIZATION_PROCESS, a, project)
        form = _initialization_form(ctx, project)
        drive.complete(case_id, "submit_initialization", form, a)
        if step == 1:  # returned: the corrected round waits in enterprise_a's inbox
            drive.complete(case_id, "review_initialization",
                           {"decision": "returned", "comment": "请补充技术负责人及证书编号"}, dadmin)
        elif step == 2:
            drive.complete(case_id, "review_initialization", {"decision": "acknowledged"}, dadmin)
        # step 0 stays with district_admin_haishu for checking


def _log_form(ctx: DemoContext, day: date, **extra: Any) -> dict[str, Any]:
    return {"log_date": day.isoformat(), "party": "contractor", "weather": ctx.random.choice(("sunny", "cloudy")),
            "workers_on_site": ctx.random.randrange(30, 160), "work_content": "主体结构施工，钢筋绑扎及模板支设",
            "quality_safety": "安全防护到位", **extra}


def _daily_logs(ctx: DemoContext, drive: _Driver, a: Actor, projects: list[Project], today: date) -> None:
    for project in projects[:3]:
        drive.complete(drive.start(DAILY_LOG_PROCESS, a, project), "write_daily_log", _log_form(ctx, today), a)
    if len(projects) > 3:  # today's log still to write: in enterprise_a's inbox
        drive.start(DAILY_LOG_PROCESS, a, projects[3])
    with ctx.session_factory() as session:
        late = session.scalars(select(MissingDailyLog).where(
            MissingDailyLog.party == "contractor", MissingDailyLog.resolved_at.is_(None),
            MissingDailyLog.enterprise_code.in_(sorted(enterprise_codes(a))))
            .order_by(MissingDailyLog.log_date.desc(), MissingDailyLog.id)).first()
        late_project = session.get(Project, late.project_id) if late else None
    if late is not None and late_project is not None:  # filed a day late: resolves the district's entry
        case_id = drive.start(DAILY_LOG_PROCESS, a, late_project)
        drive.complete(case_id, "write_daily_log", _log_form(ctx, late.log_date, issues="补填：当日网络故障未及时填报"), a)


def _self_inspections(drive: _Driver, a: Actor, projects: list[Project], today: date) -> None:
    base = {"inspected_on": today.isoformat(), "party": "contractor", "inspector": "王海波",
            "items": ["edge_protection", "temporary_power", "scaffolding"]}
    for step, project in enumerate(projects):
        case_id = drive.start(SELF_INSPECTION_PROCESS, a, project)
        drive.complete(case_id, "self_inspect", {**base, "findings": ["5层临边防护栏杆缺失", "2号配电箱未上锁"]}, a)
        if step == 0:
            continue  # round 1 open: rectify with evidence
        evidence = drive.photo(case_id, a)
        drive.complete(case_id, "rectify", {"measures": "已补设防护栏杆，配电箱加锁", "rectified_on": today.isoformat(),
                                            "evidence_document_ids": [evidence]}, a)
        if step == 2:  # rejected: round 2 open with a new deadline
            drive.complete(case_id, "verify", {"verdict": "rejected", "verifier": "李明", "comment": "配电箱仍未加锁",
                                               "next_rectify_by": today.isoformat()}, a)
        # step 1: waiting for verification


def _acceptance(ctx: DemoContext, drive: _Driver, a: Actor, projects: list[Project], today: date) -> None:
    if not projects:
        return
    with ctx.session_factory() as session:
        passed = set(session.scalars(select(StageAcceptance.stage).where(
            StageAcceptance.project_id == projects[0].id, StageAcceptance.result == "passed")))
    stage = next((s for s in ("foundation", "main_structure", "energy_saving") if s not in passed), None)
    if stage is not None:
        case_id = drive.start(ACCEPTANCE_PROCESS, a, projects[0])
        drive.complete(case_id, "record_acceptance", {
            "stage": stage, "accepted_on": today.isoformat(),
            "participant_units": ["builder", "contractor", "supervisor", "designer", "surveyor"],
            "participants": ["张建设", "陈建国", "李明", "赵设计", "钱勘察"], "result": "passed",
            "remarks": "资料齐全，实体质量符合要求，同意验收"}, a)
    if len(projects) > 1:
        drive.start(ACCEPTANCE_PROCESS, a, projects[1])  # an acceptance record to fill in


def _suggestions(ctx: DemoContext, drive: _Driver, a: Actor, dadmin: Actor, projects: list[Project]) -> None:
    if projects:
        case_id = drive.start(SUGGESTION_PROCESS, a, projects[0], {
            "category": "system", "title": "工作日志希望支持批量上传照片",
            "content": "现场每天照片较多，逐张上传耗时，建议支持一次选择多张。"})
        drive.complete(case_id, "answer_suggestion", {"answer": "感谢建议，批量上传已列入下一版本。"}, dadmin)
    drive.start(SUGGESTION_PROCESS, a, None, {
        "category": "policy", "title": "节假日期间日志填报要求", "district": HAISHU,
        "content": "春节停工期间是否仍需每日填报工作日志？请明确。"})
    for username, district, title, content in (
            ("enterprise_b", "江北区", "自查整改期限能否延长", "部分整改需采购材料，7天期限偏紧。"),
            ("inspector_haishu", HAISHU, "建议增加逾期自查提醒", "项目连续两周未自查时，建议短信提醒项目经理。")):
        actor = ctx.users.get(username)
        if actor is not None:
            drive.start(SUGGESTION_PROCESS, actor, None,
                        {"category": "supervision", "title": title, "content": content, "district": district})
