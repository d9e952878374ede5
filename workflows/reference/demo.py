"""Demo reference data for ``oversite demo``: a Ningbo-like city a newcomer can explore.

The districts in publishing order; about 40 enterprises (builders, contractors, supervising
engineers) with valid credit codes; about 300 projects over the 13 districts with their
parties, key personnel and a dated history (assignments, briefings, supervision records,
logs …) that feeds the usage reports; inspectors; and the enterprise demo users
``enterprise_a`` and ``enterprise_b``. Deterministic: only ``ctx.random`` and ``ctx.clock``.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select

from storage import Enterprise, Project, ProjectParty, ProjectRecord
from storage.people import Person, ProjectPerson
from workflows.family import DemoContext

from .credit_code import ALPHABET, make_credit_code
from .districts import configured_districts, sync_districts
from .today import local_date

PROJECTS = 300
CODE_PREFIX = "NB"
# Administrative division codes (行政区划代码) used in the demo credit codes.
DIVISIONS = ("330200", "330203", "330205", "330211", "330206", "330212", "330213", "330281", "330282",
             "330226", "330225")
ROADS = ("中山东路", "解放南路", "江东北路", "人民路", "四明中路", "天童南路", "学士路", "环城北路", "通途路",
         "世纪大道", "金海路", "院士路", "三北大街", "新城大道", "跃龙街道兴宁路", "丹东街道天安路", "聚贤路")
PLACES = ("东部新城", "南部商务区", "姚江新区", "三江口", "甬江", "梅山湾", "杭州湾", "鼓楼", "白云",
          "福明", "庄桥", "骆驼", "九龙湖", "小港", "大碶", "钟公庙", "首南", "溪口", "阳明", "浒山", "跃龙",
          "丹城", "滨海", "新材料科技城")
WORKS = ("住宅项目", "安置房工程", "商业综合体", "学校新建工程", "中学改扩建工程", "幼儿园工程", "医院门诊楼工程",
         "人才公寓", "厂房及配套工程", "研发中心", "综合管廊工程", "体育中心", "社区服务中心", "养老服务中心",
         "保障性租赁住房", "城市更新项目")
STAGES = ("", "", "（一期）", "（二期）", "（三期）")
BRANDS = ("甬城", "海天", "天一", "四明", "三江", "宁兴", "东方", "恒达", "华信", "城建", "永大", "明州", "港城",
          "新大地", "宏润", "荣安", "中基", "建工", "富达", "嘉和")
SURNAMES = "王李张陈刘杨黄赵吴周徐孙朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾"
GIVEN = ("伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超", "霞", "平", "刚",
         "建国", "海波", "晓东", "立新", "志强", "俊杰", "丽华", "文斌", "国庆", "海燕")
ENTERPRISE_KINDS = (("builder", 12, "{brand}置业有限公司"), ("builder", 4, "宁波市{brand}开发建设有限公司"),
                    ("contractor", 14, "浙江{brand}建设集团有限公司"), ("contractor", 2, "宁波{brand}建工有限公司"),
                    ("supervisor", 8, "宁波{brand}工程监理有限公司"))
# Share of projects under supervision that have each kind of record (a living, imperfect city).
USAGE = {"assignment": 0.96, "briefing": 0.7, "initialization": 0.9, "daily_log": 0.65,
         "self_inspection": 0.4, "acceptance": 0.08}


def seed_demo(ctx: DemoContext) -> None:
    districts = configured_districts(ctx.config)
    today = local_date(ctx.clock.now(), ctx.config)
    with ctx.session_factory.begin() as session:
        sync_districts(session, districts)
        if session.scalar(select(Project.id).where(Project.code.like(f"{CODE_PREFIX}%")).limit(1)) is not None:
            return  # already seeded
        enterprises = _enterprises(ctx, districts)
        session.add_all(enterprises)
        session.flush()
        by_kind: dict[str, list[Enterprise]] = {}
        for enterprise in enterprises:
            by_kind.setdefault(enterprise.kind or "", []).append(enterprise)
        projects = [_project(ctx, n, districts, today, by_kind) for n in range(PROJECTS)]
        session.add_all(projects)
        session.flush()
        _people(ctx, session, districts, projects, by_kind)
        session.execute(insert(ProjectRecord), _history(ctx, projects, today))
    contractors = by_kind["contractor"]
    for username, enterprise in (("enterprise_a", contractors[0]), ("enterprise_b", contractors[1])):
        ctx.add_user(username, enterprise.name, [("enterprise", None, enterprise.code)])


def _credit_code(ctx: DemoContext, division: str) -> str:
    digits = ALPHABET[:10]
    subject = "".join(ctx.random.choice(digits) for _ in range(8)) + ctx.random.choice(ALPHABET)
    return make_credit_code("91" + division + subject)


def _person_name(ctx: DemoContext) -> str:
    return ctx.random.choice(SURNAMES) + ctx.random.choice(GIVEN)


def _enterprises(ctx: DemoContext, districts: tuple[str, ...]) -> list[Enterprise]:
    brands = list(BRANDS)
    ctx.random.shuffle(brands)
    out: list[Enterprise] = []
    for kind, count, pattern in ENTERPRISE_KINDS:
        for i in range(count):
            brand = brands[(len(out) + i) % len(brands)]
            suffix = "" if i < len(brands) else str(i)
            district_index = ctx.random.randrange(1, len(districts))
            out.append(Enterprise(
                code=_credit_code(ctx, DIVISIONS[district_index % len(DIVISIONS)]),
                name=pattern.format(brand=brand) + suffix, kind=kind,
                legal_representative=_person_name(ctx), district=districts[district_index],
                address=f"宁波市{districts[district_index]}{ctx.random.choice(ROADS)}{ctx.random.randint(1, 999)}号",
                created_at=ctx.clock.now()))
    # Names repeat across kinds (荣安置业, 荣安建设): keep them unique all the same.
    seen: set[str] = set()
    for enterprise in out:
        while enterprise.name in seen:
            enterprise.name = enterprise.name.replace("有限公司", "（宁波）有限公司", 1)
        seen.add(enterprise.name)
    return out


def _project(ctx: DemoContext, n: int, districts: tuple[str, ...], today: date,
             by_kind: dict[str, list[Enterprise]]) -> Project:
    rnd = ctx.random
    # The big districts get more projects, as in the published tables.
    district = rnd.choices(districts, weights=[5 if i in (5, 7, 8) else 3 if i else 2 for i in range(len(districts))])[0]
    area = Decimal(rnd.randrange(3_000, 180_000)) + Decimal(rnd.randrange(0, 100)) / 100
    value = (area * Decimal(rnd.randrange(2_600, 6_500))).quantize(Decimal("0.01"))
    phase = rnd.random()
    start = today - timedelta(days=rnd.randrange(30, 1_100))
    if phase > 0.92:  # registered, not started yet
        start = today + timedelta(days=rnd.randrange(5, 90))
    sup_end = con_end = None
    con_start: date | None = start + timedelta(days=rnd.randrange(0, 45))
    if 0.78 < phase <= 0.92:  # completed
        con_end = start + timedelta(days=rnd.randrange(200, 700))
        con_end = min(con_end, today - timedelta(days=rnd.randrange(1, 60)))
        con_start = min(con_start, con_end - timedelta(days=30))  # type: ignore[type-var]
        sup_end = con_end + timedelta(days=rnd.randrange(0, 20))
        sup_end = min(sup_end, today)
    elif phase <= 0.06 and con_start is not None and con_start > today - timedelta(days=20):
        con_start = None  # supervised, works not begun
    builder = rnd.choice(by_kind["builder"])
    # enterprise_a / enterprise_b (the first two contractors) work mostly in 海曙区 and 江北区.
    contractors = by_kind["contractor"]
    if district == districts[1] and rnd.random() < 0.5:
        contractor = contractors[0]
    elif district == districts[2] and rnd.random() < 0.5:
        contractor = contractors[1]
    else:
        contractor = rnd.choice(contractors[2:])
    supervisor = rnd.choice(by_kind["supervisor"])
    place = rnd.choice(PLACES)
    name = f"{place}{rnd.choice('ABCDEFGH')}{rnd.randint(1, 9)}-{rnd.randint(1, 12)}地块{rnd.choice(WORKS)}{rnd.choice(STAGES)}"
    return Project(
        code=f"{CODE_PREFIX}{start.year}{districts.index(district) + 1:02d}{n + 1:04d}",
        name=name, district=district,
        address=f"宁波市{district}{place}{rnd.choice(ROADS)}与{rnd.choice(ROADS)}交叉口",
        floor_area_m2=area, contract_value_cny=value,
        supervision_start=start, supervision_end=sup_end, construction_start=con_start,
        construction_end=con_end, created_at=ctx.clock.now(),
        parties=[ProjectParty(enterprise_code=builder.code, party_role="builder"),
                 ProjectParty(enterprise_code=contractor.code, party_role="contractor"),
                 ProjectParty(enterprise_code=supervisor.code, party_role="supervisor")])


def _people(ctx: DemoContext, session: Any, districts: tuple[str, ...], projects: list[Project],
            by_kind: dict[str, list[Enterprise]]) -> None:
    inspectors = []
    demo_accounts = {"海曙区": "inspector_haishu", "江北区": "inspector_jiangbei"}
    for d_index, district in enumerate(districts):
        for i in range(3):
            account = ctx.users.get(demo_accounts.get(district, "")) if i == 0 else None
            inspectors.append(Person(kind="inspector", identifier=f"JD{d_index + 1:02d}{i + 1:02d}",
                                     name=_person_name(ctx), district=district,
                                     phone=f"0574-8{ctx.random.randrange(1_000_000, 9_999_999)}",
                                     user_id=account.user_id if account else None, created_at=ctx.clock.now()))
    managers = {}
    for enterprise in by_kind["contractor"] + by_kind["supervisor"]:
        for i in range(3):
            managers.setdefault(enterprise.code, []).append(Person(
                kind="key_personnel", identifier=f"浙{ctx.random.randrange(1, 9)}33{ctx.random.randrange(10**9, 10**10)}",
                name=_person_name(ctx), enterprise_code=enterprise.code, created_at=ctx.clock.now()))
    session.add_all(inspectors + [p for people in managers.values() for p in people])
    session.flush()
    links = []
    for project in projects:
        for party in project.parties:
            if party.party_role in ("contractor", "supervisor"):
                person = ctx.random.choice(managers[party.enterprise_code])
                position = "project_manager" if party.party_role == "contractor" else "chief_supervisor"
                links.append({"project_id": project.id, "person_id": person.id, "position": position})
    session.execute(insert(ProjectPerson), links)


def _history(ctx: DemoContext, projects: list[Project], today: date) -> list[dict[str, Any]]:
    """Dated records of each started project (as if imported from the previous system)."""
    rows: list[dict[str, Any]] = []
    rnd = ctx.random

    def add(project: Project, kind: str, day: date) -> None:
        rows.append({"project_id": project.id, "kind": kind, "occurred_on": min(day, today), "source": "import",
                     "external_ref": f"demo:{project.code}:{len(rows)}", "created_at": ctx.clock.now()})

    for project in projects:
        start = project.supervision_start
        if start is None or start > today:
            continue
        end = min(project.supervision_end or today, today)
        span = max((end - start).days, 1)
        for kind, share in USAGE.items():
            if rnd.random() >= share:
                continue
            first = start + timedelta(days=min(span, {"assignment": 3, "briefing": 20}.get(kind, 30)))
            add(project, kind, first)
            if kind in ("daily_log", "self_inspection"):
                for _ in range(rnd.randrange(0, 6)):
                    add(project, kind, start + timedelta(days=rnd.randrange(0, span)))
        for _ in range(rnd.choice((0, 0, 1, 1, 1, 2, 2, 3, 4))):
            add(project, "supervision_record", start + timedelta(days=rnd.randrange(0, span)))
    return rows
