"""``DocumentStore``: checks an upload, writes its object, records it in the ``document`` table.

Access control is the caller's job: the web layer decides who may upload to or read from a
case before it calls ``store`` or ``read``; this module trusts its caller and only protects
the store itself (size, type, integrity).
"""
from __future__ import annotations

import hashlib
import unicodedata
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ..errors import DocumentCorrupted, DocumentEmpty, DocumentNotFound, DocumentTooLarge, DocumentTypeRefused
from ..records import Document
from . import sniff
from .backends import ObjectBackend

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_ALLOWED_TYPES: frozenset[str] = frozenset(
    {sniff.PDF, sniff.JPEG, sniff.PNG, sniff.WEBP, sniff.DOCX, sniff.XLSX, sniff.TEXT, sniff.CSV, sniff.MP4}
)
_FILENAME_MAX = 255
_KIND_MAX = 60
_AUTHOR_MAX = 120


class DocumentStore:
    """Documents of cases: content-addressed objects in a backend plus rows in ``document``.

    Args:
        backend: where the bytes go (``LocalDirectoryBackend`` or ``S3Backend``).
        max_bytes: largest accepted upload, inclusive.
        allowed_types: MIME types accepted, as detected from the content.
    """

    def __init__(
        self,
        backend: ObjectBackend,
        max_bytes: int = DEFAULT_MAX_BYTES,
        allowed_types: frozenset[str] = DEFAULT_ALLOWED_TYPES,
    ) -> None:
        if max_bytes < 1:
            raise ValueError("max_bytes must be positive")
        self.backend = backend
        self.max_bytes = max_bytes
        self.allowed_types = frozenset(allowed_types)

    def check(self, data: bytes, filename: str, declared_type: str | None = None) -> sniff.Detected:
        """Validate an upload without storing it; returns the detected type.

        Raises:
            DocumentEmpty: ``data`` is empty.
            DocumentTooLarge: ``data`` is longer than ``max_bytes``.
            DocumentTypeRefused: the content's type is not allowed, or the name contradicts it.
        """
        if not data:
            raise DocumentEmpty("the document is empty")
        if len(data) > self.max_bytes:
            raise DocumentTooLarge(
                f"the document is {len(data)} bytes; the limit is {self.max_bytes} bytes",
                {"size": len(data), "max_bytes": self.max_bytes},
            )
        detected = sniff.detect(data, filename)
        # The client's declared type is a claim: it is reported, never trusted.
        details = {"detected_type": detected.content_type, "declared_type": declared_type, "filename": filename}
        if detected.content_type not in self.allowed_types:
            raise DocumentTypeRefused(
                f"files of type {detected.content_type} are not accepted", details
            )
        if not detected.accepts_name(filename):
            raise DocumentTypeRefused(
                f"the file name {filename!r} does not match its content ({detected.content_type})", details
            )
        return detected

    def store(
        self,
        session: Session,
        *,
        data: bytes,
        filename: str,
        kind: str,
        case_id: int | None,
        author: str | None,
        declared_type: str | None = None,
        task_id: int | None = None,
        created_at: datetime | None = None,
    ) -> Document:
        """Check, write and record one document; the caller commits.

        Args:
            session: the caller's session (its transaction).
            data: the document's bytes.
            filename: the client's file name (path parts and control characters are removed).
            kind: what the document is for (e.g. ``inspection_photo``), set by code.
            case_id: the case it belongs to, if any.
            author: username of who stored it.
            declared_type: the Content-Type the client declared (informational only).
            task_id: the inbox task it was uploaded for, if any.
            created_at: the time to record (the engine's clock); defaults to now.

        Returns:
            The new, flushed ``Document`` row.

        Raises:
            DocumentEmpty, DocumentTooLarge, DocumentTypeRefused: see ``check``.
        """
        if not kind or len(kind) > _KIND_MAX:
            raise ValueError(f"kind must be 1..{_KIND_MAX} characters")
        if author is not None and len(author) > _AUTHOR_MAX:
            raise ValueError(f"author must be at most {_AUTHOR_MAX} characters")
        name = clean_filename(filename)
        detected = self.check(data, name, declared_type)
        if not name:
            name = "document" + min(detected.extensions, default="")
        sha256 = hashlib.sha256(data).hexdigest()
        # The object is written BEFORE the row is inserted, outside the database transaction.
        # Objects are content-addressed and written once, so if the transaction later rolls
        # back, the object left behind is harmless (nothing points at it) and is simply reused
        # by the next upload of the same bytes. The opposite order could commit a row whose
        # object was never written, i.e. lose a document.
        self.backend.put(sha256, data, detected.content_type)
        document = Document(
            sha256=sha256,
            case_id=case_id,
            task_id=task_id,
            kind=kind,
            filename=name,
            content_type=detected.content_type,
            size=len(data),
            author=author,
        )
        if created_at is not None:
            document.created_at = created_at
        session.add(document)
        session.flush()
        return document

    def read(self, session: Session, document_id: int) -> tuple[Document, bytes]:
        """Return a document's row and bytes, verified against its SHA-256.

        Raises:
            DocumentNotFound: no such document row.
            ObjectMissing: the row exists but the backend has no object for it.
            DocumentCorrupted: the object's bytes do not hash to the recorded SHA-256.
        """
        document = session.get(Document, document_id)
        if document is None:
            raise DocumentNotFound(f"document {document_id} does not exist")
        data = self.backend.get(document.sha256)
        actual = hashlib.sha256(data).hexdigest()
        if actual != document.sha256 or len(data) != document.size:
            raise DocumentCorrupted(
                f"document {document_id} is corrupted: its object no longer matches its SHA-256",
                {"document_id": document_id, "expected": document.sha256, "actual": actual},
            )
        return document, data

    def list_for_case(self, session: Session, case_id: int) -> list[Document]:
        """The case's documents, oldest first."""
        return list(session.scalars(documents_for_case(case_id)))


def documents_for_case(case_id: int) -> Select[Document]:
    """Statement selecting a case's documents, oldest first (id breaks ties)."""
    return select(Document).where(Document.case_id == case_id).order_by(Document.created_at, Document.id)


def clean_filename(filename: str) -> str:
    """The last path part of ``filename`` without control characters, at most 255 characters.

    Browsers may send a full client path (``C:\\fakepath\\x.pdf``) and attackers may send
    ``../``; only the base name is kept. Truncation keeps the extension.
    """
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    base = base.rstrip(". ")
    if base in ("", ".", ".."):
        return ""
    if len(base) > _FILENAME_MAX:
        stem, dot, ext = base.rpartition(".")
        if dot and 0 < len(ext) < 16:
            base = stem[: _FILENAME_MAX - len(ext) - 1] + "." + ext
        else:
            base = base[:_FILENAME_MAX]
    return base
