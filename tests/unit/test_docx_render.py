"""storage.docx_render: official layout, deterministic bytes, text extraction."""
from __future__ import annotations

import hashlib
import io
import time
import zipfile

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn

from storage.docx_render import FIXED_TIMESTAMP, ZIP_DATE_TIME, docx_text, render_docx

NOTICE = dict(
    title="整改通知书",
    doc_number="建监〔2024〕12号",
    fields=[("工程名称", "滨江花园一期"), ("施工单位", "某某建设有限公司"), ("检查日期", "2024年4月28日")],
    paragraphs=["经检查，你单位施工现场存在下列问题，请于2024年5月10日前整改完毕并书面回复。"],
    items=["脚手架连墙件缺失", "临边防护不到位"],
    signature="某市建设工程质量安全监督站",
    date_text="2024年5月1日",
)


def test_same_data_gives_same_bytes() -> None:
    first = render_docx(**NOTICE)
    time.sleep(1.1)  # ZIP times have 2-second resolution; cross at least one tick boundary
    second = render_docx(**NOTICE)
    time.sleep(1.1)
    assert render_docx(**NOTICE) == second == first
    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(second).hexdigest()


def test_different_data_gives_different_bytes() -> None:
    other = dict(NOTICE, items=["脚手架连墙件缺失"])
    assert render_docx(**other) != render_docx(**NOTICE)


def test_metadata_is_pinned() -> None:
    data = render_docx(**NOTICE)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert {info.date_time for info in archive.infolist()} == {ZIP_DATE_TIME}
        assert "word/document.xml" in archive.namelist()
    props = docx.Document(io.BytesIO(data)).core_properties
    assert props.created == props.modified == FIXED_TIMESTAMP
    assert props.title == "整改通知书"


def test_text_holds_title_number_fields_items_and_signature() -> None:
    text = docx_text(render_docx(**NOTICE))
    lines = text.splitlines()
    assert lines[0] == "整改通知书"
    assert lines[1] == "建监〔2024〕12号"
    assert "工程名称\t滨江花园一期" in lines
    assert "施工单位\t某某建设有限公司" in lines
    assert "1. 脚手架连墙件缺失" in lines
    assert "2. 临边防护不到位" in lines
    assert lines[-2:] == ["某市建设工程质量安全监督站", "2024年5月1日"]


def test_layout_is_official() -> None:
    document = docx.Document(io.BytesIO(render_docx(**NOTICE)))
    title, number = document.paragraphs[0], document.paragraphs[1]
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert number.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert title.runs[0].bold is True
    assert title.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "宋体"
    assert document.paragraphs[-1].alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert document.paragraphs[-2].alignment == WD_ALIGN_PARAGRAPH.RIGHT
    (table,) = document.tables
    assert len(table.columns) == 2 and len(table.rows) == 3
    assert table.rows[0].cells[0].paragraphs[0].runs[0].bold is True


def test_optional_parts_can_be_left_out() -> None:
    text = docx_text(render_docx("情况说明", None, [], ["正文。"], None, None, None))
    assert text.splitlines() == ["情况说明", "正文。"]
    assert docx.Document(io.BytesIO(render_docx("情况说明", None, [], [], None, None, None))).tables == []


def test_title_is_required() -> None:
    with pytest.raises(ValueError):
        render_docx("  ", None, [], [], None, None, None)
