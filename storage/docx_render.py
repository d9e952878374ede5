"""Official Chinese documents (通知书、记录、报告) rendered deterministically with python-docx.

Service tasks render a document from data and store it by SHA-256, so rendering the same data
twice must give the same bytes. python-docx stamps two things that vary: the core properties
(created / modified times) and every ZIP entry's modification time. Both are pinned here: the
core properties get a fixed timestamp and the package is rewritten with a fixed ZIP date,
entry order and attributes. Nothing else in the output depends on the clock or on randomness.
"""
from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import docx
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

# Fixed, input-independent metadata: the document's real date is part of its text.
FIXED_TIMESTAMP = datetime(2000, 1, 1, tzinfo=timezone.utc)
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)

# Font names as (East Asian name, Latin name); Word picks by script.
SONG = ("宋体", "SimSun")
FANGSONG = ("仿宋", "FangSong")
# Chinese font sizes: 二号 22pt (title), 三号 16pt (body), 四号 14pt (table).
TITLE_SIZE = Pt(22)
BODY_SIZE = Pt(16)
TABLE_SIZE = Pt(14)


def render_docx(
    title: str,
    doc_number: str | None,
    fields: list[tuple[str, str]],
    paragraphs: list[str],
    items: list[str] | None,
    signature: str | None,
    date_text: str | None,
) -> bytes:
    """Render an official document and return the .docx bytes (identical for identical input).

    Layout (after GB/T 9704): A4 with official margins; the title centred in bold 宋体 二号;
    the document number (文号) centred beneath it; a two-column table of ``fields``
    (label, value); body ``paragraphs`` with a two-character first-line indent; ``items``
    numbered ``1.``, ``2.``…; then the signature (落款) and date right-aligned.

    Args:
        title: the document title, e.g. ``整改通知书``.
        doc_number: the 文号, e.g. ``建监〔2024〕12号``, or None.
        fields: label/value rows of the header table (may be empty).
        paragraphs: body paragraphs.
        items: numbered items (e.g. rectification requirements), or None.
        signature: the issuing body, or None.
        date_text: the date as it should be printed, e.g. ``2024年5月1日``, or None.

    Raises:
        ValueError: ``title`` is blank.
    """
    if not title.strip():
        raise ValueError("a document needs a title")
    document = docx.Document()
    _page_setup(document)
    _base_style(document)

    _paragraph(document, title, font=SONG, size=TITLE_SIZE, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    if doc_number:
        _paragraph(document, doc_number, font=FANGSONG, size=BODY_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER)
    if fields:
        _fields_table(document, fields)
    for text in paragraphs:
        para = _paragraph(document, text, font=FANGSONG, size=BODY_SIZE, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
        para.paragraph_format.first_line_indent = Pt(32)  # two characters of 三号
    for number, text in enumerate(items or [], start=1):
        _paragraph(document, f"{number}. {text}", font=FANGSONG, size=BODY_SIZE)
    if signature or date_text:
        _paragraph(document, "", font=FANGSONG, size=BODY_SIZE)
    if signature:
        _paragraph(document, signature, font=FANGSONG, size=BODY_SIZE, align=WD_ALIGN_PARAGRAPH.RIGHT)
    if date_text:
        _paragraph(document, date_text, font=FANGSONG, size=BODY_SIZE, align=WD_ALIGN_PARAGRAPH.RIGHT)

    _pin_core_properties(document, title)
    raw = io.BytesIO()
    document.save(raw)
    return _normalize_zip(raw.getvalue())


def docx_text(data: bytes) -> str:
    """All paragraph and table text of a .docx in document order, one line per paragraph.

    A table row becomes one line with its cells separated by a tab (merged cells once).
    """
    document = docx.Document(io.BytesIO(data))
    return "\n".join(_block_lines(document.iter_inner_content()))


def _block_lines(blocks: Iterator[Paragraph | Table]) -> Iterator[str]:
    for block in blocks:
        if isinstance(block, Paragraph):
            yield block.text
        else:
            for row in block.rows:
                seen: set[int] = set()
                cells: list[str] = []
                for cell in row.cells:
                    if id(cell._tc) in seen:
                        continue
                    seen.add(id(cell._tc))
                    cells.append(_cell_text(cell))
                yield "\t".join(cells)


def _cell_text(cell: _Cell) -> str:
    return "\n".join(_block_lines(cell.iter_inner_content()))


def _page_setup(document: Any) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)


def _base_style(document: Any) -> None:
    normal = document.styles["Normal"]
    normal.font.size = BODY_SIZE
    _set_font_names(normal.element.get_or_add_rPr(), FANGSONG)


def _set_font_names(rpr: Any, font: tuple[str, str]) -> None:
    # python-docx's font.name only sets the Latin slots; Chinese text uses w:eastAsia.
    east_asian, latin = font
    fonts = rpr.get_or_add_rFonts()
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:eastAsia"), east_asian)


def _paragraph(
    container: Any,
    text: str,
    *,
    font: tuple[str, str],
    size: Pt,
    bold: bool = False,
    align: Any = None,
) -> Paragraph:
    para: Paragraph = container.add_paragraph()
    if align is not None:
        para.alignment = align
    run = para.add_run(text)
    run.font.size = size
    run.font.bold = bold
    _set_font_names(run._element.get_or_add_rPr(), font)
    return para


def _fields_table(document: Any, fields: list[tuple[str, str]]) -> None:
    table = document.add_table(rows=0, cols=2)
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for label, value in fields:
        label_cell, value_cell = table.add_row().cells
        label_cell.width, value_cell.width = Cm(4.2), Cm(11.4)
        _fill_cell(label_cell, label, bold=True)
        _fill_cell(value_cell, value, bold=False)


def _fill_cell(cell: _Cell, text: str, *, bold: bool) -> None:
    para = cell.paragraphs[0]
    run = para.add_run(text)
    run.font.size = TABLE_SIZE
    run.font.bold = bold
    _set_font_names(run._element.get_or_add_rPr(), FANGSONG)


def _pin_core_properties(document: Any, title: str) -> None:
    props = document.core_properties
    props.title = title
    props.author = "Oversite"
    props.last_modified_by = "Oversite"
    props.comments = ""
    props.revision = 1
    props.created = FIXED_TIMESTAMP
    props.modified = FIXED_TIMESTAMP


def _normalize_zip(raw: bytes) -> bytes:
    """Rewrite the package with fixed entry dates and attributes, in the original order."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 3
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, src.read(info.filename), compresslevel=6)
    return out.getvalue()
