"""A statistics table as a Word document (landscape A4, 宋体 title, 仿宋 body)."""
from __future__ import annotations

import io
from datetime import datetime, timezone
from typing import Any

import docx
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

SONG = ("宋体", "SimSun")
FANGSONG = ("仿宋", "FangSong")
# The document's date is in its text; the package metadata is fixed.
FIXED_TIMESTAMP = datetime(2000, 1, 1, tzinfo=timezone.utc)


def _font(run: Any, font: tuple[str, str], size: float, bold: bool = False) -> None:
    run.font.size = Pt(size)
    run.font.bold = bold
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    east_asian, latin = font
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:eastAsia"), east_asian)


def _paragraph(document: Any, text: str, font: tuple[str, str], size: float, *, bold: bool = False,
               align: Any = None) -> None:
    para = document.add_paragraph()
    if align is not None:
        para.alignment = align
    _font(para.add_run(text), font, size, bold)


def render_table(title: str, subtitle: str, columns: list[str], rows: list[list[str]], remark: str) -> bytes:
    """The .docx bytes of a titled table: header row in bold, the last row (合计) in bold."""
    document = docx.Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21)
    section.left_margin = section.right_margin = Cm(1.8)
    section.top_margin = section.bottom_margin = Cm(2)
    _paragraph(document, title, SONG, 18, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(document, subtitle, FANGSONG, 12, align=WD_ALIGN_PARAGRAPH.CENTER)
    table = document.add_table(rows=0, cols=len(columns))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for index, values in enumerate([columns, *rows]):
        bold = index == 0 or index == len(rows)
        for cell, text in zip(table.add_row().cells, values):
            para = cell.paragraphs[0]
            para.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _font(para.add_run(text), FANGSONG, 10.5, bold)
    _paragraph(document, remark, FANGSONG, 10.5)
    props = document.core_properties
    props.title, props.author, props.last_modified_by = title, "Oversite", "Oversite"
    props.created = props.modified = FIXED_TIMESTAMP
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
