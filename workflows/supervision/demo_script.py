"""Replays demo supervision cases day by day over the last weeks, through the engine's verbs.

A scenario is a generator: it performs steps as a demo user would (start, complete a task),
then yields how long to wait (days, or a date). ``Timeline`` moves the engine's clock one day
at a time from ``DAYS`` ago to now, fires the timers that fall due (reminders, escalations,
acceptance days) exactly as the worker would, and resumes the scenarios whose time has come.
So every case's history, documents and due dates are real; some are overdue now.
"""
from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from engine import Actor, Clock, FixedClock
from storage import Project, Task
from workflows.family import DemoContext

from .policy import SupervisionPolicy

DAYS = 45
# A valid 1×1 PNG: the photos and evidence of the demo.
PHOTO = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010800000000376ef9240000000a49444154789c63f80f0000010101"
    "0018dd8db00000000049454e44ae426082")

Wait = int | date  # days to wait, or the day to wait for
Scenario = Generator[Wait, None, None]


@dataclass
class Staff:
    """Who works a district's cases: its admin, two inspectors, and the enterprises' users."""

    admin: Actor
    inspectors: tuple[Actor, Actor]
    enterprises: Mapping[str, Actor]  # enterprise code → a user acting for it


@dataclass
class Script:
    """The steps of one demo case (one project), on the timeline's clock."""

    timeline: Timeline
    project: Project
    staff: Staff
    case_id: int | None = None
    contractor: str = ""
    builder: str = ""

    def __post_init__(self) -> None:
        roles = {p.party_role: p.enterprise_code for p in self.project.parties}
        self.contractor = roles.get("contractor", "")
        self.builder = roles.get("builder", self.contractor)

    @property
    def today(self) -> date:
        return self.timeline.today

    def day(self, index: int) -> date:
        """The date of day ``index`` of the timeline (0 is ``DAYS`` days ago)."""
        return self.timeline.first_day + timedelta(days=index)

    # -- engine verbs ---------------------------------------------------------------------
    def start(self) -> None:
        ctx = self.timeline.ctx
        with ctx.session_factory.begin() as session:
            case = ctx.engine.start_case(session, "supervision_case", {}, self.staff.admin,
                                         project_id=self.project.id, title=f"{self.project.name}质量安全监督")
            self.case_id = case.id

    def do(self, bpmn_id: str, actor: Actor, data: Mapping[str, Any]) -> None:
        ctx = self.timeline.ctx
        with ctx.session_factory.begin() as session:
            task_id = session.scalar(select(Task.id).where(
                Task.case_id == self.case_id, Task.bpmn_id == bpmn_id, Task.state.in_(("open", "claimed")))
                .order_by(Task.id).limit(1))
            if task_id is None:
                raise RuntimeError(f"demo case {self.case_id}: no open task {bpmn_id!r}")
            ctx.engine.complete(session, task_id, dict(data), actor)

    def photo(self, actor: Actor, name: str) -> int:
        ctx = self.timeline.ctx
        with ctx.session_factory.begin() as session:
            document = ctx.engine.ports["documents"].store(
                session, data=PHOTO, filename=name, kind="photo", case_id=self.case_id, author=actor.username,
                created_at=ctx.engine.clock.now())
            return int(document.id)

    # -- the loop's steps -----------------------------------------------------------------
    @property
    def team(self) -> list[str]:
        return [a.username for a in self.staff.inspectors]

    def assign(self, briefing_in: int) -> None:
        self.do("assign_inspectors", self.staff.admin, {
            "inspectors": self.team, "briefing_on": (self.today + timedelta(days=briefing_in)).isoformat()})

    def brief(self) -> None:
        self.do("briefing", self.staff.inspectors[0], {
            "held_on": self.today.isoformat(), "location": "项目部会议室", "builder_representative": "建设单位项目负责人",
            "contractor_representative": "项目经理", "supervisor_representative": "总监理工程师",
            "inspectors_present": self.team,
            "key_points": ["落实建设单位首要责任和参建各方主体责任", "危险性较大的分部分项工程须编制专项方案并论证",
                           "严格执行材料进场验收和见证取样制度"]})

    def inspect(self, findings: list[str] | None = None, severity: str = "general", next_in: int | None = 30,
                deadline: date | None = None) -> None:
        inspector = self.staff.inspectors[0]
        data: dict[str, Any] = {
            "inspected_on": self.today.isoformat(), "inspectors": self.team, "scope": "主体结构、安全防护、施工用电",
            "summary": "现场施工有序，资料基本齐全。" if not findings else "现场存在质量安全隐患，详见问题清单。",
            "severity": severity if findings else "none", "findings": findings or [],
            "photos": [self.photo(inspector, "现场检查.png")],
            "next_step": "continue" if next_in else "complete",
            "next_inspection_on": (self.today + timedelta(days=next_in)).isoformat() if next_in else None}
        if deadline is not None:
            data["deadline"] = deadline.isoformat()
        self.do("record_inspection", inspector, data)

    def reply(self, step: str = "reply") -> None:
        actor = self.staff.enterprises[self.contractor]
        self.do(step, actor, {"measures": "已按通知要求整改完毕，整改前后照片附后。", "completed_on": self.today.isoformat(),
                              "evidence": [self.photo(actor, "整改后照片.png")], "contact": "项目经理 13800000000"})

    def review(self, accepted: bool, next_deadline: date | None = None) -> None:
        data: dict[str, Any] = {"reviewed_on": self.today.isoformat(), "result": "accepted" if accepted else "rejected",
                                "opinion": "经现场复查，整改到位。" if accepted else "整改不到位，须继续整改。"}
        if next_deadline is not None:
            data["next_deadline"] = next_deadline.isoformat()
        self.do("review", self.staff.inspectors[1], data)

    def escalate(self, decision: str, new_deadline: date) -> None:
        self.do("escalate", self.staff.admin, {"decision": decision, "reasons": "逾期未整改，催告后仍未回复。",
                                               "new_deadline": new_deadline.isoformat()})

    def announce(self, working_days: int) -> date:
        """The builder announces the completion acceptance; returns its date."""
        actor = self.staff.enterprises[self.builder]
        acceptance_on = self.timeline.policy.add_working_days(self.today, working_days)
        self.do("notify_acceptance", actor, {
            "acceptance_on": acceptance_on.isoformat(), "location": "项目现场", "organizer": "建设单位项目负责人",
            "participants": "建设、勘察、设计、施工、监理单位", "documents": [self.photo(actor, "竣工验收方案.png")]})
        return acceptance_on

    def report(self) -> None:
        self.do("supervise_acceptance", self.staff.inspectors[0], {
            "held_on": self.today.isoformat(), "inspectors": self.team, "procedure_compliant": True,
            "opinion": "验收组织形式、验收程序、执行验收标准符合规定。", "issues": []})

    def file(self) -> None:
        actor = self.staff.enterprises[self.builder]
        self.do("file_acceptance", actor, {"filed_on": self.today.isoformat(), "filing_number": f"竣备{self.project.code}",
                                           "documents": [self.photo(actor, "竣工验收备案表.png")]})


@dataclass(order=True)
class _Pending:
    wake: date
    seq: int
    scenario: Scenario = field(compare=False)


class Timeline:
    """Runs scenarios on the engine's clock, day by day, from ``DAYS`` days ago until now."""

    def __init__(self, ctx: DemoContext, policy: SupervisionPolicy, now: datetime) -> None:
        self.ctx, self.policy = ctx, policy
        self.start = now - timedelta(days=DAYS)
        self.first_day = policy.today(FixedClock(self.start))
        self.today = self.first_day
        self.pending: list[_Pending] = []

    def add(self, first_day: int, scenario: Scenario) -> None:
        self.pending.append(_Pending(self.first_day + timedelta(days=first_day), len(self.pending), scenario))

    def run(self) -> None:
        engine = self.ctx.engine
        saved: Clock = engine.clock
        try:
            for index in range(DAYS + 1):
                engine.clock = FixedClock(self.start + timedelta(days=index))
                self.today = self.policy.today(engine.clock)
                engine.fire_due_timers(self.ctx.session_factory)
                for item in sorted(p for p in self.pending if p.wake <= self.today):
                    self.pending.remove(item)
                    self._resume(item)
        finally:
            engine.clock = saved

    def _resume(self, item: _Pending) -> None:
        try:
            wait = next(item.scenario)
        except StopIteration:
            return
        wake = self.today + timedelta(days=wait) if isinstance(wait, int) else wait
        self.pending.append(_Pending(wake, item.seq, item.scenario))
