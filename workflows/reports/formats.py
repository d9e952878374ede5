"""A usage table as JSON, CSV, XLSX or DOCX; every format carries the same cell text.

- ``json``: ``{"as_of", "title", "columns", "rows"}``, each row keyed by the Chinese header;
- ``csv``: UTF-8 with a byte-order mark and CRLF line ends, the header row first — the
  mark makes Excel (what the districts open it with) read the Chinese text correctly;
- ``xlsx``: title, header row, the rows (counts as numbers, ratios as their printed text),
  the remark;
- ``docx``: the same on a landscape A4 page, in the bureau's fonts.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from .build import Report
from .tables import Kind


@dataclass(frozen=True)
class Rendered:
    body: bytes
    content_type: str
    filename: str


FORMATS = ("json", "csv", "xlsx", "docx")
CONTENT_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def date_text(report: Report) -> str:
    d = report.as_of
    return f"{d.year}年{d.month}月{d.day}日"


def remark(report: Report) -> str:
    return f"备注：1.数据时间截至{date_text(report)}；2.{report.spec.remark}"


def as_json(report: Report) -> dict[str, Any]:
    return {"as_of": report.as_of.isoformat(), "title": report.spec.title, "columns": report.columns,
            "rows": report.as_dicts()}


def as_csv(report: Report) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(report.columns)
    writer.writerows(report.rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def as_xlsx(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = report.spec.name
    width = len(report.columns)
    sheet.append([report.spec.title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.cell(1, 1).font = Font(bold=True, size=14)
    sheet.cell(1, 1).alignment = Alignment(horizontal="center")
    sheet.append(report.columns)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
    for row in report.rows:
        sheet.append([int(text) if kind is Kind.COUNT else text for kind, text in zip(report.kinds, row)])
    sheet.append([])
    sheet.append([remark(report)])
    sheet.column_dimensions["A"].width = 12
    for index in range(2, width + 1):
        sheet.column_dimensions[sheet.cell(2, index).column_letter].width = 14
    workbook.properties.creator = "Oversite"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def as_docx(report: Report) -> bytes:
    from .docx_table import render_table

    return render_table(report.spec.title, f"（数据截至{date_text(report)}）", report.columns, report.rows,
                        remark(report))


def render(report: Report, fmt: str) -> Rendered:
    """``report`` in ``fmt`` with its content type and a download file name.

    Raises:
        ValueError: an unknown format.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; formats are {', '.join(FORMATS)}")
    filename = f"{report.spec.name}-{report.as_of.isoformat()}.{fmt}"
    if fmt == "json":
        import json

        body = json.dumps(as_json(report), ensure_ascii=False).encode("utf-8")
    else:
        body = {"csv": as_csv, "xlsx": as_xlsx, "docx": as_docx}[fmt](report)
    return Rendered(body, CONTENT_TYPES[fmt], filename)
