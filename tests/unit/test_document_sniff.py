"""Content-type detection and upload checks of storage.documents (no services needed)."""
from __future__ import annotations

import pytest

from storage.docx_render import render_docx
from storage.documents import (
    DEFAULT_ALLOWED_TYPES,
    DocumentEmpty,
    DocumentStore,
    DocumentTooLarge,
    DocumentTypeRefused,
    LocalDirectoryBackend,
    clean_filename,
    detect,
)
from storage.documents import sniff
from tests.fixtures.samples import elf_bytes, exe_bytes, mp4_bytes, ooxml_bytes, pdf_bytes, png_bytes


@pytest.mark.parametrize(
    ("data", "filename", "expected"),
    [
        (pdf_bytes(), "report.pdf", sniff.PDF),
        (png_bytes(), "photo.png", sniff.PNG),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20, "photo.jpg", sniff.JPEG),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 40, "photo.webp", sniff.WEBP),
        (mp4_bytes(), "clip.mp4", sniff.MP4),
        (ooxml_bytes("word/document.xml"), "a.docx", sniff.DOCX),
        (ooxml_bytes("xl/workbook.xml"), "a.xlsx", sniff.XLSX),
        (ooxml_bytes("word/document.xml", "word/vbaProject.bin"), "a.docx", sniff.DOCM),
        (ooxml_bytes("xl/workbook.xml", "xl/vbaProject.bin"), "a.xlsx", sniff.XLSM),
        (ooxml_bytes("ppt/presentation.xml"), "a.pptx", sniff.ZIP),
        (b"PK\x03\x04 not really a zip", "a.docx", sniff.UNKNOWN),
        ("检查记录：一切正常\n".encode(), "notes.txt", sniff.TEXT),
        (b"a,b\n1,2\n", "table.csv", sniff.CSV),
        (b"a,b\n1,2\n", "table.txt", sniff.TEXT),
        ("编号,名称\n".encode("gbk"), "table.csv", sniff.UNKNOWN),
        (b"text with a \x00 byte", "a.txt", sniff.UNKNOWN),
        (elf_bytes(), "a.pdf", "application/x-executable"),
        (exe_bytes(), "a.pdf", "application/x-msdownload"),
    ],
)
def test_detect_uses_the_content(data: bytes, filename: str, expected: str) -> None:
    assert detect(data, filename).content_type == expected


def test_detect_ignores_the_name_for_binaries() -> None:
    assert detect(png_bytes(), "scan.pdf").content_type == sniff.PNG
    assert detect(render_docx("通知", None, [], [], None, None, None), "x.pdf").content_type == sniff.DOCX


@pytest.mark.parametrize(
    ("filename", "ok"),
    [
        ("report.pdf", True),
        ("REPORT.PDF", True),
        ("report", True),
        ("report.exe", False),
        ("report.pdf.exe", False),
        ("report.html", False),
        ("report.pdf.", True),  # trailing dots are dropped by Windows: still .pdf
        ("report.html.", False),
        (".pdf", True),
        (".htaccess", False),
    ],
)
def test_name_must_not_contradict_the_content(filename: str, ok: bool) -> None:
    assert detect(pdf_bytes(), filename).accepts_name(filename) is ok


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("report.pdf", "report.pdf"),
        ("C:\\fakepath\\扫描件.pdf", "扫描件.pdf"),
        ("../../etc/passwd", "passwd"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("tab\tand\nnewline.txt", "tabandnewline.txt"),
        ("evil.html. . ", "evil.html"),
        ("..", ""),
        ("", ""),
        ("a" * 300 + ".pdf", "a" * 251 + ".pdf"),
    ],
)
def test_clean_filename(raw: str, clean: str) -> None:
    assert clean_filename(raw) == clean


def _store(max_bytes: int = 1000) -> DocumentStore:
    return DocumentStore(LocalDirectoryBackend("/nonexistent-never-written"), max_bytes, DEFAULT_ALLOWED_TYPES)


def test_check_refuses_empty_and_oversized_content() -> None:
    store = _store(max_bytes=10)
    with pytest.raises(DocumentEmpty) as empty:
        store.check(b"", "a.txt")
    assert empty.value.code == "empty_document"
    assert store.check(b"x" * 10, "a.txt").content_type == sniff.TEXT
    with pytest.raises(DocumentTooLarge) as large:
        store.check(b"x" * 11, "a.txt")
    assert large.value.code == "too_large"
    assert large.value.details == {"size": 11, "max_bytes": 10}


@pytest.mark.parametrize(
    ("data", "filename", "fragment"),
    [
        (png_bytes(), "scan.pdf", "does not match"),
        (elf_bytes(), "scan.pdf", "not accepted"),
        (exe_bytes(), "scan.pdf", "not accepted"),
        (b"<html><script>alert(1)</script></html>", "page.html", "does not match"),
        (b"GIF89a" + b"\x00" * 20, "a.gif", "not accepted"),
        (ooxml_bytes("word/document.xml", "word/vbaProject.bin"), "a.docx", "not accepted"),
        ("编号".encode("gbk"), "a.txt", "not accepted"),
    ],
)
def test_check_refuses_types(data: bytes, filename: str, fragment: str) -> None:
    with pytest.raises(DocumentTypeRefused) as refused:
        _store().check(data, filename, declared_type="application/pdf")
    assert refused.value.code == "unsupported_type"
    assert fragment in refused.value.message
    assert refused.value.details["declared_type"] == "application/pdf"


def test_allowed_types_are_configurable() -> None:
    only_pdf = DocumentStore(LocalDirectoryBackend("/nonexistent-never-written"), 1000, frozenset({sniff.PDF}))
    assert only_pdf.check(pdf_bytes(), "a.pdf").content_type == sniff.PDF
    with pytest.raises(DocumentTypeRefused):
        only_pdf.check(png_bytes(), "a.png")


def test_store_construction_rejects_a_non_positive_limit() -> None:
    with pytest.raises(ValueError):
        DocumentStore(LocalDirectoryBackend("/x"), 0)
