"""Content-type detection from the bytes themselves, never from the name the client sent.

An upload's declared type and its file name are claims; the content decides. The name only
matters in one direction: when its extension contradicts the content (an ``.exe`` renamed
``.pdf``, a PNG named ``.pdf``, a text file named ``.html`` or ``.bat``), the upload is
refused, because the name is what a recipient's machine will use to open the download.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

import filetype

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
WEBP = "image/webp"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEXT = "text/plain"
CSV = "text/csv"
MP4 = "video/mp4"
ZIP = "application/zip"
DOCM = "application/vnd.ms-word.document.macroEnabled.12"
XLSM = "application/vnd.ms-excel.sheet.macroEnabled.12"
UNKNOWN = "application/octet-stream"

# The extensions a file name may carry for each detected type (lower case, with the dot).
EXTENSIONS: dict[str, frozenset[str]] = {
    PDF: frozenset({".pdf"}),
    JPEG: frozenset({".jpg", ".jpeg"}),
    PNG: frozenset({".png"}),
    WEBP: frozenset({".webp"}),
    DOCX: frozenset({".docx"}),
    XLSX: frozenset({".xlsx"}),
    TEXT: frozenset({".txt", ".text", ".log", ".md"}),
    CSV: frozenset({".csv"}),
    MP4: frozenset({".mp4", ".m4v"}),
    ZIP: frozenset({".zip"}),
    DOCM: frozenset({".docm"}),
    XLSM: frozenset({".xlsm"}),
}


@dataclass(frozen=True)
class Detected:
    """What the content is: its MIME type and the file-name extensions that fit it."""

    content_type: str
    extensions: frozenset[str]

    def accepts_name(self, filename: str) -> bool:
        """False when ``filename`` has an extension that contradicts the content.

        A name without any extension contradicts nothing and is accepted.
        """
        ext = extension_of(filename)
        return ext == "" or ext in self.extensions


def extension_of(filename: str) -> str:
    """The lower-cased last extension of ``filename`` including the dot, or ``""``."""
    # Windows drops trailing dots and spaces, so "evil.html." would be saved as "evil.html".
    base = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1].rstrip(". ")
    _stem, dot, ext = base.rpartition(".")
    if not dot or not ext.strip():
        return ""
    return "." + ext.strip().lower()


def detect(data: bytes, filename: str = "") -> Detected:
    """Detect the type of ``data``.

    Office Open XML files are ZIP archives, so a ZIP is opened (central directory only,
    nothing is decompressed) and classified by its ``word/`` or ``xl/`` parts; macro-enabled
    variants are told apart so they can be refused. Other binaries go through ``filetype``'s
    magic numbers. Anything else is text when it decodes as UTF-8 and holds no NUL byte; text
    is ``text/csv`` when the name ends in ``.csv``. Non-UTF-8 text (e.g. GBK) is not text here.

    Args:
        data: the whole content.
        filename: the client's file name, consulted only to tell CSV from plain text.
    """
    if data[:4] == b"PK\x03\x04":
        return _with_extensions(_office_type(data))
    kind = filetype.guess(data)
    if kind is not None:
        mime = str(kind.mime)
        return Detected(mime, EXTENSIONS.get(mime, frozenset({"." + str(kind.extension)})))
    if _is_text(data):
        mime = CSV if extension_of(filename) == ".csv" else TEXT
        return _with_extensions(mime)
    return Detected(UNKNOWN, frozenset())


def _with_extensions(mime: str) -> Detected:
    return Detected(mime, EXTENSIONS.get(mime, frozenset()))


def _office_type(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, ValueError, EOFError):
        return UNKNOWN
    if "[Content_Types].xml" not in names:
        return ZIP
    macros = any(name.lower().endswith("vbaproject.bin") for name in names)
    if any(name.startswith("word/") for name in names):
        return DOCM if macros else DOCX
    if any(name.startswith("xl/") for name in names):
        return XLSM if macros else XLSX
    return ZIP


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
