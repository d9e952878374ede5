"""``oversite import`` and ``oversite report``: counts, dry runs, problems by line, progress, files."""
from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import Engine, func, select

import storage
from storage import AuditEvent, Project

HEADER = ("project_code,name,district,floor_area_m2,contract_value_cny,supervision_start,supervision_end,"
          "construction_start,construction_end")


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def projects(db_engine: Engine) -> int:
    with storage.make_session_factory(db_engine)() as s:
        return s.scalar(select(func.count()).select_from(Project)) or 0


def test_import_dry_run_then_real_then_again(cli, tmp_path: Path, db_engine: Engine) -> None:
    path = write(tmp_path, "projects.csv", f"{HEADER}\nP1,宁波中心,海曙区,,,2022-01-01,,,\nP2,江北大桥,江北区,,,,,,\n", "gbk")
    dry = cli("import", "projects", path, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert dry.stdout == "projects: 2 row(s), 2 created, 0 updated, 0 unchanged (dry run: nothing stored)\n"
    assert projects(db_engine) == 0
    assert cli("import", "projects", path).stdout == "projects: 2 row(s), 2 created, 0 updated, 0 unchanged\n"
    assert cli("import", "projects", path).stdout == "projects: 2 row(s), 0 created, 0 updated, 2 unchanged\n"
    with storage.make_session_factory(db_engine)() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "import.projects")).first()
        assert event is not None and event.actor.startswith("cli") and event.data["rows"] == 2


def test_problems_are_printed_by_line_and_nothing_is_stored(cli, tmp_path: Path, db_engine: Engine) -> None:
    path = write(tmp_path, "bad.csv", f"{HEADER}\nP1,好,海曙区,,,,,,\nP2,坏,杭州市,-1,,,,,\n")
    result = cli("import", "projects", path)
    assert result.exit_code == 1
    assert "bad.csv: line 3, district: unknown district '杭州市'" in result.stderr
    assert "bad.csv: line 3, floor_area_m2: the floor area must not be negative" in result.stderr
    assert "2 problem(s); nothing was imported" in result.stderr
    assert projects(db_engine) == 0
    assert cli("import", "cats", path).exit_code == 2
    assert cli("import", "projects", str(tmp_path / "missing.csv")).exit_code == 2


def test_large_files_show_progress(cli, tmp_path: Path, db_engine: Engine) -> None:
    rows = "\n".join(f"P{i},项目{i},鄞州区,,,2022-01-01,,," for i in range(2500))
    result = cli("import", "projects", write(tmp_path, "big.csv", f"{HEADER}\n{rows}\n"))
    assert result.exit_code == 0, result.output
    assert "checking" in result.stderr and "storing" in result.stderr
    assert projects(db_engine) == 2500


def test_report_to_a_file(cli, tmp_path: Path) -> None:
    assert cli("report", "supervision-usage", "--format", "xlsx").exit_code == 2
    target = tmp_path / "table.xlsx"
    result = cli("report", "supervision-usage", "--as-of", "2022-10-16", "--format", "xlsx", "--output", str(target))
    assert result.exit_code == 0, result.output
    rows = list(load_workbook(target).active.iter_rows(values_only=True))
    assert rows[1][0] == "区域" and rows[-3][0] == "合计" and rows[-3][1] == 0
    csv_file = tmp_path / "t.csv"
    cli("report", "project-usage", "--as-of", "2022-10-16", "-o", str(csv_file))
    assert csv_file.read_bytes().startswith(b"\xef\xbb\xbf\xe5\x8c\xba\xe5\x9f\x9f")  # BOM + 区域
    assert cli("report", "project-usage", "--as-of", "16/10/2022").exit_code == 2
