"""Reading an import file into a header and numbered rows of text cells.

CSV comes as UTF-8 (with or without a byte-order mark) or GBK (what Excel writes on Chinese
Windows); the encoding is detected line by line so a file that mixes both is refused with
the line where the second encoding appears, instead of importing garbled names. XLSX is
read with openpyxl (first sheet). Every cell becomes text: numbers in their plain decimal
form, dates as ``YYYY-MM-DD``, so both formats go through the same parsing.
"""
from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from storage import NUL

from .problems import ImportInvalid, ImportProblem

XLSX_MAGIC = b"PK\x03\x04"
UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Row:
    """A data row: the line (CSV) or row number (XLSX) it starts on, and its cells by column."""

    line: int
    cells: dict[str, str]


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[Row]
    format: str  # "csv" or "xlsx"
    header_line: int = 1
    encoding: str | None = None
    # Rows that could not be split into the header's columns (reported with the others).
    problems: tuple[ImportProblem, ...] = ()


def read_table(data: bytes) -> Table:
    """Parse ``data`` (CSV or XLSX, detected from the content) into a :class:`Table`.

    Header names are trimmed and lower-cased; blank lines are skipped.

    Raises:
        ImportInvalid: an empty file, an undecodable or mixed-encoding CSV, an unreadable
            XLSX, or a repeated or empty header name. Rows with more cells than the header
            are left out and listed in ``Table.problems``.
    """
    if not data.strip():
        raise ImportInvalid([ImportProblem(1, "the file is empty")])
    if data.startswith(XLSX_MAGIC):
        return _from_lines(_xlsx_lines(data), "xlsx", None)
    text, encoding = decode_csv(data)
    return _from_lines(_csv_lines(text), "csv", encoding)


def decode_csv(data: bytes) -> tuple[str, str]:
    """The file's text and its encoding (``utf-8``, ``utf-8-sig`` or ``gbk``).

    Raises:
        ImportInvalid: a line is neither UTF-8 nor GBK, or UTF-8 and GBK lines are mixed.
    """
    bom = data.startswith(UTF8_BOM)
    body = data[len(UTF8_BOM):] if bom else data
    first_utf8: int | None = None
    first_other: int | None = None
    for number, raw in enumerate(body.split(b"\n"), start=1):
        if raw.isascii():
            continue  # plain ASCII reads the same in both encodings
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            first_other = first_other or number
        else:
            first_utf8 = first_utf8 or number
        if first_utf8 and first_other:
            break
    if first_utf8 and first_other:
        later, earlier = max(first_utf8, first_other), min(first_utf8, first_other)
        names = ("GBK", "UTF-8") if first_other == later else ("UTF-8", "GBK")
        raise ImportInvalid([ImportProblem(later, (
            f"the file mixes encodings: line {later} is {names[0]} while line {earlier} is {names[1]}; "
            "save the whole file in one encoding (UTF-8 preferred)"))])
    if first_other is None:
        return body.decode("utf-8"), "utf-8-sig" if bom else "utf-8"
    if bom:
        raise ImportInvalid([ImportProblem(first_other, (
            f"line {first_other} is not UTF-8 although the file starts with a UTF-8 byte-order mark"))])
    for number, raw in enumerate(body.split(b"\n"), start=1):
        try:
            raw.decode("gbk")
        except UnicodeDecodeError:
            raise ImportInvalid([ImportProblem(number, (
                f"line {number} is neither UTF-8 nor GBK text; save the file as UTF-8 CSV"))]) from None
    return body.decode("gbk"), "gbk"


def _csv_lines(text: str) -> list[tuple[int, list[str]]]:
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    out: list[tuple[int, list[str]]] = []
    next_line = 1
    try:
        for cells in reader:
            # A quoted cell may span lines: report the line the row starts on.
            out.append((next_line, cells))
            next_line = reader.line_num + 1
    except csv.Error as exc:
        raise ImportInvalid([ImportProblem(reader.line_num or 1, f"the CSV cannot be read: {exc}")]) from None
    return out


def _xlsx_lines(data: bytes) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook  # imported here: only XLSX imports need it

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ImportInvalid([ImportProblem(1, f"the XLSX file cannot be read: {exc}")]) from None
    try:
        sheet = workbook.worksheets[0]
        out = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            out.append((number, [_xlsx_text(v) for v in values]))
        return out
    finally:
        workbook.close()


def _xlsx_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # str() of a float is the shortest text that reads back the same: 1234.5, not 1234.4999…
        return format(Decimal(str(value)).normalize(), "f") if value.is_integer() else str(value)
    return str(value)


def _from_lines(lines: list[tuple[int, list[str]]], fmt: str, encoding: str | None) -> Table:
    lines = [(n, cells) for n, cells in lines if any(c.strip() for c in cells)]
    if not lines:
        raise ImportInvalid([ImportProblem(1, "the file has no header row")])
    header_line, header = lines[0]
    while header and not header[-1].strip():
        header = header[:-1]  # spreadsheets pad rows with empty cells
    columns = [h.strip().lstrip("\ufeff").lower() for h in header]
    problems = []
    seen: dict[str, int] = {}
    for index, name in enumerate(columns, start=1):
        if NUL in name:
            problems.append(ImportProblem(header_line, f"header cell {index} contains a NUL character (U+0000)"))
        elif not name:
            problems.append(ImportProblem(header_line, f"header cell {index} is empty"))
        elif name in seen:
            problems.append(ImportProblem(header_line, f"the column {name!r} appears twice (cells {seen[name]} and {index})",
                                          name))
        else:
            seen[name] = index
    if problems:
        raise ImportInvalid(problems)
    rows = []
    for number, cells in lines[1:]:
        while len(cells) > len(columns) and not cells[-1].strip():
            cells = cells[:-1]
        if len(cells) > len(columns):
            problems.append(ImportProblem(number, f"the row has {len(cells)} cells but the header has {len(columns)}"))
            continue
        # A cell with a NUL (storage.NUL) would fail the first query it reaches: the row is
        # reported and left out.
        with_nul = [name for name, cell in zip(columns, cells) if NUL in cell]
        if with_nul:
            problems.extend(ImportProblem(number, "the cell contains a NUL character (U+0000)", name) for name in with_nul)
            continue
        rows.append(Row(number, {name: cells[i].strip() if i < len(cells) else "" for i, name in enumerate(columns)}))
    return Table(columns, rows, fmt, header_line, encoding, tuple(problems))
