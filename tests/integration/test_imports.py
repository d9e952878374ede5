"""Imports on both databases: all or nothing, every bad row by line, idempotent, dry runs."""
from __future__ import annotations

import io
from datetime import date, datetime, timezone

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from storage import District, Enterprise, Project, ProjectParty, ProjectRecord
from web.config import NINGBO_DISTRICTS
from workflows.reference.imports import ImportInvalid, ImportResult, external_ref, run_import

NOW = datetime(2024, 5, 6, 2, 0, tzinfo=timezone.utc)
TODAY = date(2024, 5, 6)
PROJECT_HEADER = ("project_code,name,district,floor_area_m2,contract_value_cny,supervision_start,supervision_end,"
                  "construction_start,construction_end")
BUILDER, CONTRACTOR = "91330100716105852F", "9144030071526726XG"
ENTERPRISES = f"credit_code,name,kind\n{BUILDER},宁波甬城置业有限公司,builder\n{CONTRACTOR},浙江海天建设集团有限公司,contractor\n"
PROJECTS = f"""{PROJECT_HEADER},address,builder_code,contractor_code
NB-1,宁波中心大厦,海曙区,12500.50,56000000,2023-01-05,,2023-02-01,,中山东路1号,{BUILDER},{CONTRACTOR}
NB-2,江北大桥,江北区,"1,800",,2022-03-01,2024-01-31,2022-03-10,2024-01-20,,,
NB-3,镇海中学改扩建,镇海区,,,,,,,,,
"""
RECORDS = """project_code,kind,date
NB-1,assignment,2023-01-06
NB-1,supervision_record,2023-03-01
NB-1,supervision_record,2023-03-01
NB-2,briefing,2022-03-15
"""


def run(sessions: sessionmaker[Session], kind: str, data: str | bytes, **kw: object) -> ImportResult:
    raw = data.encode() if isinstance(data, str) else data
    with sessions.begin() as session:
        return run_import(session, kind, raw, districts=NINGBO_DISTRICTS, now=NOW, today=TODAY, **kw)  # type: ignore[arg-type]


def problems(sessions: sessionmaker[Session], kind: str, data: str | bytes) -> list[tuple[int, str | None, str]]:
    with pytest.raises(ImportInvalid) as caught:
        run(sessions, kind, data)
    assert caught.value.code == "invalid_import"
    return [(p.line, p.column, p.message) for p in caught.value.problems]


def counts(sessions: sessionmaker[Session]) -> tuple[int, int, int, int]:
    with sessions() as s:
        return tuple(s.scalar(select(func.count()).select_from(t)) for t in  # type: ignore[return-value]
                     (Enterprise, Project, ProjectParty, ProjectRecord))


@pytest.fixture
def loaded(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    run(session_factory, "enterprises", ENTERPRISES)
    run(session_factory, "projects", PROJECTS)
    return session_factory


def test_a_full_import_and_its_repetition(session_factory: sessionmaker[Session]) -> None:
    assert run(session_factory, "enterprises", ENTERPRISES) == ImportResult("enterprises", 2, 2, 0, 0, False, "csv", "utf-8")
    assert run(session_factory, "projects", PROJECTS).created == 3
    result = run(session_factory, "records", RECORDS)
    assert (result.rows, result.created, result.unchanged) == (4, 4, 0)
    before = counts(session_factory)
    assert before == (2, 3, 2, 4)
    # The same files again change nothing.
    assert run(session_factory, "enterprises", ENTERPRISES).unchanged == 2
    again = run(session_factory, "projects", PROJECTS)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert run(session_factory, "records", RECORDS).unchanged == 4
    assert counts(session_factory) == before
    with session_factory() as s:
        nb1 = s.scalars(select(Project).where(Project.code == "NB-1")).one()
        assert (str(nb1.floor_area_m2), str(nb1.contract_value_cny)) == ("12500.50", "56000000.00")
        assert nb1.supervision_start == date(2023, 1, 5) and nb1.supervision_end is None
        assert {(p.party_role, p.enterprise_code) for p in nb1.parties} == {("builder", BUILDER),
                                                                           ("contractor", CONTRACTOR)}
        nb2 = s.scalars(select(Project).where(Project.code == "NB-2")).one()
        assert str(nb2.floor_area_m2) == "1800.00" and nb2.address is None and nb2.created_at == NOW
        # The two identical supervision records are two events with distinct identities.
        refs = set(s.scalars(select(ProjectRecord.external_ref).where(ProjectRecord.kind == "supervision_record")))
        assert refs == {external_ref("NB-1", "supervision_record", date(2023, 3, 1), n) for n in (0, 1)}
        assert list(s.scalars(select(District.name).order_by(District.position))) == NINGBO_DISTRICTS


def test_changed_rows_update_and_identical_ones_do_not(loaded: sessionmaker[Session]) -> None:
    changed = PROJECTS.replace("宁波中心大厦", "宁波中心大厦（一期）").replace(f",{BUILDER},{CONTRACTOR}", f",,{BUILDER}")
    result = run(loaded, "projects", changed)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    with loaded() as s:
        nb1 = s.scalars(select(Project).where(Project.code == "NB-1")).one()
        assert nb1.name == "宁波中心大厦（一期）" and nb1.updated_at == NOW
        assert {(p.party_role, p.enterprise_code) for p in nb1.parties} == {("contractor", BUILDER)}
    # Without the optional columns the stored address and parties stay as they are.
    short = "\n".join(line.rsplit(",", 3)[0] for line in changed.strip().splitlines())
    assert run(loaded, "projects", short.replace("12500.50", "12600")).updated == 1
    with loaded() as s:
        nb1 = s.scalars(select(Project).where(Project.code == "NB-1")).one()
        assert nb1.address == "中山东路1号" and len(nb1.parties) == 1 and str(nb1.floor_area_m2) == "12600.00"


def test_a_dry_run_counts_and_stores_nothing(session_factory: sessionmaker[Session]) -> None:
    result = run(session_factory, "enterprises", ENTERPRISES, dry_run=True)
    assert (result.created, result.dry_run) == (2, True)
    assert counts(session_factory) == (0, 0, 0, 0)


def test_missing_columns_are_reported_once_for_the_header(session_factory: sessionmaker[Session]) -> None:
    data = "project_code,name,floor_area_m2\nP1,x,1\nP2,y,-1\n"
    found = problems(session_factory, "projects", data)
    assert len(found) == 1
    line, column, message = found[0]
    assert line == 1 and column is None
    assert "missing required column(s): district, contract_value_cny, supervision_start" in message
    assert problems(session_factory, "records", "project_code,date\nP1,2022-01-01\n")[0][:2] == (1, None)


def test_every_bad_row_is_reported_and_nothing_is_stored(session_factory: sessionmaker[Session]) -> None:
    run(session_factory, "enterprises", ENTERPRISES)
    data = f"""{PROJECT_HEADER},contractor_code
OK-1,好项目,海曙区,100,100,2023-01-01,,,,
BAD-1,未知区,杭州市,100,100,2023-01-01,,,,
BAD-2,负面积,江北区,-5,100,2023-01-01,,,,
OK-1,重复,海曙区,100,100,2023-01-01,,,,
BAD-3,坏日期,海曙区,100,100,2023/01/01,2023-02-30,,,
BAD-4,倒序,海曙区,100,100.123,2023-05-01,2023-04-30,2023-05-01,2023-05-01,
,无编号,,,,,,,,
BAD-6,坏编码,海曙区,abc,100,,2023-01-01,,,91330100716105852G
BAD-7,未登记企业,海曙区,1,1,,,,,914403001922038216
"""
    found = problems(session_factory, "projects", data)
    assert [(line, column) for line, column, _ in found] == [
        (3, "district"), (4, "floor_area_m2"), (5, "project_code"), (6, "supervision_end"),
        (6, "supervision_start"), (7, "contract_value_cny"), (7, "supervision_end"), (8, "district"),
        (8, "project_code"), (9, "contractor_code"), (9, "floor_area_m2"), (9, "supervision_start"),
        (10, "contractor_code")]
    text = {(line, column): message for line, column, message in found}
    assert "unknown district '杭州市'" in text[(3, "district")]
    assert text[(4, "floor_area_m2")] == "the floor area must not be negative"
    assert text[(5, "project_code")] == "duplicate project_code 'OK-1' (first on line 2)"
    assert text[(6, "supervision_start")] == "'2023/01/01' is not a date written YYYY-MM-DD"
    assert text[(6, "supervision_end")] == "'2023-02-30' is not a date written YYYY-MM-DD"
    assert text[(8, "project_code")] == "project_code is required"
    assert "supervision_end 2023-04-30 is before supervision_start 2023-05-01" == text[(7, "supervision_end")]
    assert text[(7, "contract_value_cny")] == "the contract value has at most two decimals"
    assert "wrong check character" in text[(9, "contractor_code")]
    assert "no registered enterprise" in text[(10, "contractor_code")]
    assert counts(session_factory) == (2, 0, 0, 0)


def test_an_end_date_needs_its_start(session_factory: sessionmaker[Session]) -> None:
    data = f"{PROJECT_HEADER}\nP1,x,海曙区,,,,2023-01-01,,\n"
    assert problems(session_factory, "projects", data) == [
        (2, "supervision_start", "supervision_end is given, so supervision_start is required")]


def test_bad_enterprises(session_factory: sessionmaker[Session]) -> None:
    data = f"""credit_code,name,district
{BUILDER},甲,海曙区
{BUILDER.lower()},乙,
91330100716105852,丙,
9133010071610585IF,丁,
914403001922038216,,
914403001922038217,戊,火星区
{BUILDER},甲二,
"""
    found = problems(session_factory, "enterprises", data)
    assert [(line, column) for line, column, _ in found] == [
        (3, "credit_code"), (4, "credit_code"), (5, "credit_code"), (6, "name"), (7, "credit_code"), (7, "district"),
        (8, "credit_code")]
    messages = [m for _, _, m in found]
    assert "lower-case" in messages[0] and "18 characters" in messages[1] and "never occur" in messages[2]
    assert "wrong check character" in messages[4] and "duplicate credit_code" in messages[6]
    assert counts(session_factory) == (0, 0, 0, 0)


def test_bad_records(loaded: sessionmaker[Session]) -> None:
    data = """project_code,kind,date
NB-1,assignment,2023-01-06
NB-9,assignment,2023-01-06
NB-1,rectification_x,2023-01-06
NB-1,briefing,2024-05-07
NB-1,briefing,06/01/2023
,briefing,2023-01-01
"""
    assert [(line, column) for line, column, _ in problems(loaded, "records", data)] == [
        (3, "project_code"), (4, "kind"), (5, "date"), (6, "date"), (7, "project_code")]
    assert counts(loaded)[3] == 0


def test_nul_characters_are_reported_by_cell_and_store_nothing(loaded: sessionmaker[Session]) -> None:
    # PostgreSQL's text cannot hold U+0000: such a cell once failed the import's first query.
    data = f"{PROJECT_HEADER}\nNB-\x007,宁波\x00东站,鄞州区,,,,,,\nNB-8,奉化新城,火星区,,,,,,\n"
    found = problems(loaded, "projects", data)
    assert [(line, column, message) for line, column, message in found[:2]] == [
        (2, "name", "the cell contains a NUL character (U+0000)"),
        (2, "project_code", "the cell contains a NUL character (U+0000)")]
    assert [(line, column) for line, column, _ in found[2:]] == [(3, "district")]  # other rows still checked
    header = problems(loaded, "records", "project_code,kind\x00,date\nNB-1,assignment,2023-01-06\n")
    assert header == [(1, None, "header cell 2 contains a NUL character (U+0000)")]
    assert counts(loaded) == (2, 3, 2, 0)


def test_mixed_encodings_store_nothing(loaded: sessionmaker[Session]) -> None:
    data = (PROJECT_HEADER + "\nNB-7,宁波东站,鄞州区,,,,,,\n").encode() + "NB-8,奉化新城,奉化区,,,,,,\n".encode("gbk")
    assert problems(loaded, "projects", data)[0][0] == 3
    assert counts(loaded)[1] == 3


def test_gbk_and_xlsx_files_import(session_factory: sessionmaker[Session]) -> None:
    assert run(session_factory, "enterprises", ENTERPRISES.encode("gbk")).encoding == "gbk"
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(PROJECT_HEADER.split(","))
    sheet.append(["X-1", "象山影视城", "象山县", 2500.75, 1_000_000, date(2022, 5, 1), None, datetime(2022, 6, 1),
                  None])
    sheet.append([20221, "数字编号项目", "高新区", 10, None, None, None, None, None])
    out = io.BytesIO()
    workbook.save(out)
    result = run(session_factory, "projects", out.getvalue())
    assert (result.format, result.created) == ("xlsx", 2)
    with session_factory() as s:
        x1 = s.scalars(select(Project).where(Project.code == "X-1")).one()
        assert (str(x1.floor_area_m2), x1.construction_start) == ("2500.75", date(2022, 6, 1))
        assert s.scalars(select(Project).where(Project.code == "20221")).one().district == "高新区"
    assert run(session_factory, "projects", out.getvalue()).unchanged == 2


def test_an_unknown_kind(session_factory: sessionmaker[Session]) -> None:
    with pytest.raises(ValueError, match="unknown import kind"):
        run(session_factory, "cats", "a\n1\n")


def test_progress_is_reported(session_factory: sessionmaker[Session]) -> None:
    seen: list[tuple[str, int, int]] = []
    rows = "\n".join(f"P{i},项目{i},海曙区,,,,,," for i in range(1200))
    run(session_factory, "projects", f"{PROJECT_HEADER}\n{rows}\n", progress=lambda *a: seen.append(a))
    assert ("checking", 500, 1200) in seen and ("checking", 1200, 1200) in seen
    assert ("storing", 1200, 1200) in seen
