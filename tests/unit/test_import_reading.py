"""Reading import files: encodings (UTF-8, BOM, GBK, mixed), XLSX cells, headers, line numbers."""
from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from workflows.reference.imports import ImportInvalid
from workflows.reference.imports.cells import parse_date, parse_decimal
from workflows.reference.imports.reading import decode_csv, read_table

TEXT = "project_code,name,district\nP1,宁波中心大厦,海曙区\nP2,江北大桥,江北区\n"


def xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.mark.parametrize(("data", "encoding"), [
    (TEXT.encode("utf-8"), "utf-8"),
    (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8-sig"),
    (TEXT.encode("gbk"), "gbk"),
    (TEXT.replace("\n", "\r\n").encode("gbk"), "gbk"),
])
def test_utf8_bom_and_gbk_read_the_same(data: bytes, encoding: str) -> None:
    table = read_table(data)
    assert table.encoding == encoding and table.format == "csv"
    assert table.columns == ["project_code", "name", "district"]
    assert [(r.line, r.cells["name"]) for r in table.rows] == [(2, "宁波中心大厦"), (3, "江北大桥")]


def test_a_file_mixing_utf8_and_gbk_names_the_line() -> None:
    data = "project_code,name\nP1,宁波中心\n".encode() + "P2,江北大桥\n".encode("gbk") + "P3,镇海\n".encode()
    with pytest.raises(ImportInvalid) as caught:
        read_table(data)
    (problem,) = caught.value.problems
    assert problem.line == 3
    assert "mixes encodings" in problem.message and "line 3 is GBK" in problem.message


def test_gbk_first_then_utf8_names_the_utf8_line() -> None:
    data = "project_code,name\nP1,宁波中心\n".encode("gbk") + "P2,江北大桥\n".encode()
    with pytest.raises(ImportInvalid) as caught:
        decode_csv(data)
    assert caught.value.problems[0].line == 3
    assert "line 3 is UTF-8 while line 2 is GBK" in caught.value.problems[0].message


def test_gbk_after_a_utf8_bom_is_refused() -> None:
    with pytest.raises(ImportInvalid, match="not imported") as caught:
        decode_csv(b"\xef\xbb\xbfcode,name\n" + "P1,宁波\n".encode("gbk"))
    assert caught.value.problems[0].line == 2


def test_bytes_that_are_neither_utf8_nor_gbk() -> None:
    with pytest.raises(ImportInvalid) as caught:
        decode_csv(b"code,name\nP1,ok\nP2,\xff\xff\n")
    assert caught.value.problems[0].line == 3
    assert "neither UTF-8 nor GBK" in caught.value.problems[0].message


def test_empty_files_and_missing_headers() -> None:
    for data in (b"", b"  \n\n"):
        with pytest.raises(ImportInvalid, match="not imported") as caught:
            read_table(data)
        assert caught.value.details == [{"line": 1, "message": "the file is empty"}]


def test_header_cells_repeated_or_empty() -> None:
    with pytest.raises(ImportInvalid) as caught:
        read_table(b"code,name,CODE,\xef\xbb\xbf,x\nP1,a,b,c,d\n")
    messages = [(p.line, p.message) for p in caught.value.problems]
    assert (1, "the column 'code' appears twice (cells 1 and 3)") in messages
    assert (1, "header cell 4 is empty") in messages


def test_rows_with_too_many_cells_are_problems_and_blank_lines_are_skipped() -> None:
    table = read_table(b"a,b\n\n1,2\n1,2,3\n1,2,,\n\"x\ny\",z\n4\n")
    assert [p.line for p in table.problems] == [4]
    # A quoted cell over two lines: the row is reported on the line where it starts.
    assert [(r.line, r.cells) for r in table.rows] == [
        (3, {"a": "1", "b": "2"}), (5, {"a": "1", "b": "2"}), (6, {"a": "x\ny", "b": "z"}), (8, {"a": "4", "b": ""})]


def test_header_names_are_trimmed_and_lower_cased_and_tabs_work() -> None:
    table = read_table(b" Project_Code \tName\nP1\tA\n")
    assert table.columns == ["project_code", "name"]
    assert table.rows[0].cells == {"project_code": "P1", "name": "A"}


def test_xlsx_cells_become_text() -> None:
    data = xlsx([["project_code", "floor_area_m2", "supervision_start", "name", "flag"],
                 [1001, 12500.5, datetime(2022, 10, 16), "宁波中心", True],
                 [None, None, None, None, None],
                 ["P2", 3, date(2023, 1, 2), None, False],
                 ["P3", 1e20, datetime(2023, 1, 2, 9, 30), "x", None]])
    table = read_table(data)
    assert table.format == "xlsx" and table.encoding is None
    assert [r.line for r in table.rows] == [2, 4, 5]
    assert table.rows[0].cells == {"project_code": "1001", "floor_area_m2": "12500.5",
                                   "supervision_start": "2022-10-16", "name": "宁波中心", "flag": "true"}
    assert table.rows[1].cells["floor_area_m2"] == "3" and table.rows[1].cells["name"] == ""
    assert table.rows[2].cells["floor_area_m2"] == "100000000000000000000"
    assert table.rows[2].cells["supervision_start"] == "2023-01-02 09:30:00"  # refused later as a date


def test_a_broken_xlsx_is_a_problem_on_line_1() -> None:
    with pytest.raises(ImportInvalid, match="not imported") as caught:
        read_table(b"PK\x03\x04 not really a zip")
    assert caught.value.problems[0].line == 1 and "XLSX" in caught.value.problems[0].message


@pytest.mark.parametrize("text", ["2022/10/16", "20221016", "2022-10-32", "2022-02-30", "2022-W01-1", "16-10-2022",
                                  "2022-1-5"])
def test_dates_are_yyyy_mm_dd_only(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)


def test_dates_and_decimals_that_parse() -> None:
    assert parse_date("2024-02-29") == date(2024, 2, 29)
    assert str(parse_decimal("1,234.50")) == "1234.50"
    assert str(parse_decimal("-3")) == "-3"
    for bad in ("1e5", "1.2.3", "", "NaN", "12,34", "¥100"):
        with pytest.raises(ValueError):
            parse_decimal(bad)
