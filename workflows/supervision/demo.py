"""Demo supervision cases (``oversite demo``): cases in every state in 海曙区 and 江北区.

They run on the reference family's demo projects (projects under supervision in the district,
those of ``enterprise_a`` / ``enterprise_b`` first) and are driven through the engine by the
demo users (``district_admin_haishu``, ``inspector_haishu`` …), replayed over the last weeks
(``demo_script.Timeline``) so that histories, documents and due dates are real and some cases
are overdue. Projects are looked up by district; without any, the district is skipped.
Deterministic and idempotent: a second run finds the cases and changes nothing.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import or_, select

from engine import Actor
from storage import Case, Enterprise, Project
from workflows.family import DemoContext

from .demo_script import DAYS, Scenario, Script, Staff, Timeline
from .policy import policy_from

log = logging.getLogger(__name__)

FINDINGS = ["{n}号楼外脚手架连墙件缺失", "{n}层临边防护栏杆高度不足", "配电箱未做重复接地", "钢筋保护层垫块设置不足"]


def _findings(s: Script, count: int = 2) -> list[str]:
    n = s.project.id % 7 + 1
    return [f.format(n=n) for f in FINDINGS[:count]]


def _opened(s: Script, briefing_in: int = 2) -> Scenario:
    s.start()
    yield 1
    s.assign(briefing_in)
    yield briefing_in
    s.brief()


# -- the scenarios: each plays one case, from its first day on the timeline until now ----------------
def awaiting_assignment(s: Script) -> Scenario:
    s.start()
    yield from ()


def awaiting_briefing(s: Script) -> Scenario:
    s.start()
    yield 1
    s.assign(briefing_in=8)


def briefing_overdue(s: Script) -> Scenario:
    s.start()
    yield 1
    s.assign(briefing_in=4)


def first_inspection_due(s: Script) -> Scenario:
    yield from _opened(s)


def reply_pending(s: Script) -> Scenario:
    yield from _opened(s)
    yield s.day(DAYS - 4)
    s.inspect(_findings(s))


def reminded(s: Script) -> Scenario:
    yield from _opened(s)
    yield s.day(DAYS - 10)  # deadline 7 days later; the reminder fires the day after
    s.inspect(_findings(s))


def escalation_overdue(s: Script) -> Scenario:
    yield from _opened(s)
    yield s.day(DAYS - 20)  # reminded after 8 days, escalated 3 days later, not decided since
    s.inspect(_findings(s, 3))


def stop_work_ordered(s: Script) -> Scenario:
    yield from _opened(s)
    yield s.day(DAYS - 33)
    s.inspect(_findings(s))
    yield s.day(DAYS - 20)  # escalated by now: the district admin orders the works stopped
    s.escalate("stop_work", s.today + timedelta(days=20))


def review_overdue(s: Script) -> Scenario:
    yield from _opened(s)
    yield s.day(DAYS - 15)
    s.inspect(_findings(s))
    yield 3
    s.reply()


def second_round(s: Script) -> Scenario:
    yield from _opened(s)
    yield s.day(DAYS - 25)
    s.inspect(_findings(s))
    yield 4
    s.reply()
    yield 2
    s.review(accepted=False, next_deadline=s.today + timedelta(days=30))


def closed_after_two_rounds(s: Script) -> Scenario:
    yield from _opened(s)
    yield s.day(DAYS - 37)
    s.inspect(_findings(s), next_in=40)
    yield 3
    s.reply()
    yield 2
    s.review(accepted=False, next_deadline=s.today + timedelta(days=7))
    yield 4
    s.reply()
    yield 2
    s.review(accepted=True)


def stop_work_notice(s: Script) -> Scenario:
    yield from _opened(s)
    yield s.day(DAYS - 3)
    s.inspect(["塔吊标准节连接螺栓松动，基础积水"], severity="serious", deadline=s.today + timedelta(days=5))


def acceptance_announcement_due(s: Script) -> Scenario:
    yield from _opened(s)
    yield s.day(DAYS - 6)
    s.inspect(next_in=None)


def acceptance_scheduled(s: Script) -> Scenario:
    yield from _opened(s)
    yield s.day(DAYS - 12)
    s.inspect(next_in=None)
    yield 2
    s.announce(working_days=12)


def acceptance_report_overdue(s: Script) -> Scenario:
    yield from _opened(s)
    yield s.day(DAYS - 35)
    s.inspect(next_in=None)
    yield 2
    s.announce(working_days=8)


def acceptance_filing_due(s: Script) -> Scenario:
    yield from _opened(s)
    yield s.day(DAYS - 38)
    s.inspect(next_in=None)
    yield 1
    acceptance_on = s.announce(working_days=8)
    yield acceptance_on + timedelta(days=1)
    s.report()


def closed_case(s: Script) -> Scenario:
    yield from _opened(s)
    yield s.day(DAYS - 40)
    s.inspect(next_in=None)
    yield 1
    acceptance_on = s.announce(working_days=7)
    yield acceptance_on + timedelta(days=1)
    s.report()
    yield 2
    s.file()


Step = Callable[[Script], Scenario]
# (first day on the timeline, scenario, whether the contractor acts, whether the builder acts)
HAISHU_CASES: list[tuple[int, Step, bool, bool]] = [  # most telling first: a small city gets these
    (DAYS - 1, awaiting_assignment, False, False), (DAYS - 6, awaiting_briefing, False, False),
    (DAYS - 12, first_inspection_due, False, False), (3, reply_pending, True, False), (3, reminded, True, False),
    (3, escalation_overdue, True, False), (2, stop_work_ordered, True, False), (3, review_overdue, True, False),
    (2, second_round, True, False), (1, closed_after_two_rounds, True, False), (4, stop_work_notice, True, False),
    (5, acceptance_announcement_due, False, True), (1, acceptance_report_overdue, False, True),
    (0, closed_case, False, True), (5, acceptance_scheduled, False, True), (0, acceptance_filing_due, False, True),
    (DAYS - 9, awaiting_assignment, False, False), (DAYS - 14, briefing_overdue, False, False),
]
JIANGBEI_CASES: list[tuple[int, Step, bool, bool]] = [
    (DAYS - 5, awaiting_briefing, False, False), (3, reply_pending, True, False),
    (3, review_overdue, True, False), (0, closed_case, False, True),
]
DISTRICTS = {
    "海曙区": ("district_admin_haishu", ("inspector_haishu", "inspector_haishu2"), "enterprise_a", HAISHU_CASES),
    "江北区": ("district_admin_jiangbei", ("inspector_jiangbei", "inspector_jiangbei2"), "enterprise_b",
              JIANGBEI_CASES),
}
EXTRA_USERS = {
    "inspector_haishu2": ("海曙区监督员（二）", "inspector", "海曙区"),
    "inspector_jiangbei2": ("江北区监督员（二）", "inspector", "江北区"),
    "district_admin_jiangbei": ("江北区管理员", "district_admin", "江北区"),
}


def seed_demo(ctx: DemoContext) -> None:
    """Replay the demo cases of each district over the last ``DAYS`` days."""
    policy = policy_from(ctx.config)
    with ctx.session_factory() as session:
        if session.scalar(select(Case.id).where(Case.process_key == "supervision_case").limit(1)) is not None:
            return  # already seeded
    for username, (display, role, district) in EXTRA_USERS.items():
        if username not in ctx.users:
            ctx.add_user(username, display, [(role, district, None)])
    timeline = Timeline(ctx, policy, ctx.clock.now())
    for district, (admin, inspectors, favourite, cases) in DISTRICTS.items():
        if admin not in ctx.users or not all(i in ctx.users for i in inspectors):
            log.warning("supervision demo: the demo staff of %s is missing; skipped", district)
            continue
        projects = _projects(ctx, district, ctx.users.get(favourite), timeline.first_day, policy.today(ctx.clock), cases)
        if not projects:
            log.warning("supervision demo: no project under supervision in %s; skipped", district)
            continue
        enterprises = _enterprise_users(ctx, projects, cases)
        staff = Staff(ctx.users[admin], (ctx.users[inspectors[0]], ctx.users[inspectors[1]]), enterprises)
        for project, (first_day, scenario, _, _) in zip(projects, cases):
            timeline.add(first_day, scenario(Script(timeline, project, staff)))
    timeline.run()


def _projects(ctx: DemoContext, district: str, favourite: Actor | None, first_day: date, today: date,
              cases: list[tuple[int, Step, bool, bool]]) -> list[Project]:
    """A project for each case, in order: under supervision in ``district`` from ``first_day`` to
    ``today``, with a builder; the cases where the contractor acts get the favourite's projects."""
    codes = {s.enterprise_code for s in favourite.scopes if s.enterprise_code} if favourite else set()
    with ctx.session_factory() as session:
        rows = list(session.scalars(
            select(Project).where(Project.district == district, Project.supervision_start <= first_day,
                                  or_(Project.supervision_end.is_(None), Project.supervision_end > today))
            .order_by(Project.id)))
        usable = [p for p in rows if {"builder", "contractor"} <= {q.party_role for q in p.parties}]
    theirs = [p for p in usable if any(q.party_role == "contractor" and q.enterprise_code in codes for q in p.parties)]
    others = [p for p in usable if p not in theirs]
    chosen: list[Project] = []
    for _, _, contractor_acts, _ in cases:
        first, second = (theirs, others) if contractor_acts else (others, theirs)
        if not first and not second:
            break
        chosen.append((first or second).pop(0))
    return chosen


def _enterprise_users(ctx: DemoContext, projects: list[Project],
                      cases: list[tuple[int, Step, bool, bool]]) -> dict[str, Actor]:
    """A user for every enterprise that must act: an existing demo user, or a new one."""
    known = {s.enterprise_code: actor for actor in ctx.users.values() for s in actor.scopes if s.enterprise_code}
    wanted: list[str] = []
    for project, (_, _, contractor_acts, builder_acts) in zip(projects, cases):
        roles = {p.party_role: p.enterprise_code for p in project.parties}
        if contractor_acts and "contractor" in roles:
            wanted.append(roles["contractor"])
        if builder_acts:
            wanted.append(roles.get("builder") or roles.get("contractor", ""))
    missing = [code for code in dict.fromkeys(wanted) if code and code not in known]
    with ctx.session_factory() as session:
        names = dict(session.execute(select(Enterprise.code, Enterprise.name).where(Enterprise.code.in_(missing))).all())
    for code in missing:
        known[code] = ctx.add_user(f"enterprise_{code[-6:].lower()}", f"{names.get(code, code)}经办人",
                                   [("enterprise", None, code)])
    return known
