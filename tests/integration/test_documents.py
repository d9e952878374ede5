"""DocumentStore with real databases, a local directory and a real S3 server (weed)."""
from __future__ import annotations

import hashlib
import io
import os
import secrets
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from minio import Minio
from minio.error import S3Error
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from storage import Case, Document
from storage.docx_render import docx_text, render_docx
from storage.documents import (
    DEFAULT_ALLOWED_TYPES,
    DocumentCorrupted,
    DocumentEmpty,
    DocumentNotFound,
    DocumentStore,
    DocumentTooLarge,
    DocumentTypeRefused,
    LocalDirectoryBackend,
    ObjectBackend,
    ObjectMissing,
    S3Backend,
    object_key,
)
from storage.documents import sniff
from tests.fixtures.samples import elf_bytes, exe_bytes, pdf_bytes, png_bytes

MAX = 4096
T0 = datetime(2024, 5, 1, 8, 0, tzinfo=timezone.utc)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def backend(tmp_path: Path) -> LocalDirectoryBackend:
    return LocalDirectoryBackend(tmp_path / "objects")


@pytest.fixture
def store(backend: LocalDirectoryBackend) -> DocumentStore:
    return DocumentStore(backend, MAX, DEFAULT_ALLOWED_TYPES)


@pytest.fixture
def case_id(session_factory: sessionmaker[Session]) -> int:
    with session_factory.begin() as session:
        case = Case(process_key="supervision", status="open", title="滨江花园一期监督")
        session.add(case)
        session.flush()
        return case.id


def _count_rows(session_factory: sessionmaker[Session]) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(Document)) or 0


def _stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_store_and_read_round_trip(
    session_factory: sessionmaker[Session], store: DocumentStore, case_id: int
) -> None:
    data = pdf_bytes("inspection report")
    with session_factory.begin() as session:
        doc = store.store(
            session, data=data, filename="C:\\fakepath\\检查报告.pdf", kind="inspection_report",
            case_id=case_id, author="inspector1", declared_type="application/octet-stream", task_id=7,
        )
        doc_id = doc.id
    with session_factory() as session:
        row, read_back = store.read(session, doc_id)
    assert read_back == data
    assert (row.sha256, row.size, row.content_type) == (_sha(data), len(data), sniff.PDF)
    assert (row.filename, row.kind, row.author, row.case_id, row.task_id) == (
        "检查报告.pdf", "inspection_report", "inspector1", case_id, 7,
    )
    assert row.created_at.tzinfo is not None


def test_same_bytes_are_stored_once(
    session_factory: sessionmaker[Session], store: DocumentStore, backend: LocalDirectoryBackend, case_id: int
) -> None:
    data = png_bytes(2, 2)
    with session_factory.begin() as session:
        first = store.store(session, data=data, filename="a.png", kind="photo", case_id=case_id, author="a")
        second = store.store(session, data=data, filename="b.png", kind="photo", case_id=case_id, author="b")
        assert first.id != second.id and first.sha256 == second.sha256
    assert _stored_files(backend.root) == [backend.path_for(_sha(data))]


def test_size_limit_is_inclusive_and_refusal_stores_nothing(
    session_factory: sessionmaker[Session], store: DocumentStore, backend: LocalDirectoryBackend, case_id: int
) -> None:
    with session_factory.begin() as session:
        store.store(session, data=b"x" * MAX, filename="max.txt", kind="note", case_id=case_id, author="a")
    too_big = b"y" * (MAX + 1)
    with session_factory.begin() as session:
        with pytest.raises(DocumentTooLarge) as refused:
            store.store(session, data=too_big, filename="big.txt", kind="note", case_id=case_id, author="a")
    assert refused.value.code == "too_large"
    assert _count_rows(session_factory) == 1
    assert not backend.exists(_sha(too_big))
    with session_factory.begin() as session:
        with pytest.raises(DocumentEmpty):
            store.store(session, data=b"", filename="empty.txt", kind="note", case_id=case_id, author="a")
    assert _count_rows(session_factory) == 1


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (png_bytes(), "scan.pdf"),
        (elf_bytes(), "scan.pdf"),
        (exe_bytes(), "scan.pdf"),
        (pdf_bytes(), "scan.exe"),
        (b"<script>alert(1)</script>", "page.html"),
    ],
)
def test_content_that_does_not_fit_is_refused(
    session_factory: sessionmaker[Session], store: DocumentStore, backend: LocalDirectoryBackend,
    case_id: int, data: bytes, filename: str,
) -> None:
    with session_factory.begin() as session:
        with pytest.raises(DocumentTypeRefused) as refused:
            store.store(session, data=data, filename=filename, kind="attachment", case_id=case_id,
                        author="a", declared_type="application/pdf")
    assert refused.value.code == "unsupported_type"
    assert _count_rows(session_factory) == 0
    assert _stored_files(backend.root) == []


def test_generated_docx_is_stored_as_docx(
    session_factory: sessionmaker[Session], store: DocumentStore, case_id: int
) -> None:
    data = render_docx("整改通知书", "建监〔2024〕12号", [("工程名称", "滨江花园一期")], ["请限期整改。"],
                       ["脚手架连墙件缺失"], "监督站", "2024年5月1日")
    big_store = DocumentStore(store.backend, 1024 * 1024)
    with session_factory.begin() as session:
        doc = big_store.store(session, data=data, filename="整改通知书.docx", kind="rectification_notice",
                              case_id=case_id, author="system")
        doc_id = doc.id
    assert doc.content_type == sniff.DOCX
    with session_factory() as session:
        _, read_back = big_store.read(session, doc_id)
    assert "滨江花园一期" in docx_text(read_back)


def test_corrupted_object_is_detected(
    session_factory: sessionmaker[Session], store: DocumentStore, backend: LocalDirectoryBackend, case_id: int
) -> None:
    data = pdf_bytes("original")
    with session_factory.begin() as session:
        doc_id = store.store(session, data=data, filename="a.pdf", kind="report", case_id=case_id, author="a").id
    path = backend.path_for(_sha(data))
    os.chmod(path, 0o644)
    path.write_bytes(pdf_bytes("tampered"))
    with session_factory() as session:
        with pytest.raises(DocumentCorrupted) as corrupted:
            store.read(session, doc_id)
    assert corrupted.value.code == "corrupted"
    path.unlink()
    with session_factory() as session:
        with pytest.raises(ObjectMissing):
            store.read(session, doc_id)


def test_unknown_document_is_not_found(session_factory: sessionmaker[Session], store: DocumentStore) -> None:
    with session_factory() as session:
        with pytest.raises(DocumentNotFound):
            store.read(session, 999_999)


def test_rollback_leaves_a_harmless_object_that_is_reused(
    session_factory: sessionmaker[Session], store: DocumentStore, backend: LocalDirectoryBackend, case_id: int
) -> None:
    data = pdf_bytes("rolled back")
    with session_factory() as session:
        session.begin()
        store.store(session, data=data, filename="a.pdf", kind="report", case_id=case_id, author="a")
        session.rollback()
    assert _count_rows(session_factory) == 0 and backend.exists(_sha(data))
    with session_factory.begin() as session:
        doc_id = store.store(session, data=data, filename="a.pdf", kind="report", case_id=case_id, author="a").id
    with session_factory() as session:
        assert store.read(session, doc_id)[1] == data


def test_documents_are_listed_per_case_oldest_first(
    session_factory: sessionmaker[Session], store: DocumentStore, case_id: int
) -> None:
    with session_factory.begin() as session:
        other = Case(process_key="supervision", status="open")
        session.add(other)
        session.flush()
        for name, minutes, case in [("late.txt", 30, case_id), ("early.txt", 10, case_id),
                                    ("middle.txt", 20, case_id), ("other.txt", 0, other.id)]:
            store.store(session, data=name.encode(), filename=name, kind="note", case_id=case,
                        author="a", created_at=T0 + timedelta(minutes=minutes))
    with session_factory() as session:
        listed = store.list_for_case(session, case_id)
    assert [d.filename for d in listed] == ["early.txt", "middle.txt", "late.txt"]
    assert [d.created_at for d in listed] == [T0 + timedelta(minutes=m) for m in (10, 20, 30)]


def test_document_must_reference_an_existing_case(
    session_factory: sessionmaker[Session], store: DocumentStore
) -> None:
    with session_factory() as session, pytest.raises(IntegrityError):
        with session.begin():
            store.store(session, data=b"note", filename="a.txt", kind="note", case_id=424242, author="a")


def test_programming_errors_are_refused(session_factory: sessionmaker[Session], store: DocumentStore) -> None:
    with session_factory.begin() as session:
        with pytest.raises(ValueError):
            store.store(session, data=b"n", filename="a.txt", kind="", case_id=None, author="a")
        with pytest.raises(ValueError):
            store.store(session, data=b"n", filename="a.txt", kind="k" * 61, case_id=None, author="a")
    assert _count_rows(session_factory) == 0


def test_blank_filename_gets_a_name_from_the_content(
    session_factory: sessionmaker[Session], store: DocumentStore
) -> None:
    with session_factory.begin() as session:
        doc = store.store(session, data=pdf_bytes(), filename="../", kind="report", case_id=None, author=None)
    assert doc.filename == "document.pdf"


# --- S3 ---------------------------------------------------------------------------------


@pytest.fixture
def s3_backend(s3_server: dict[str, str]) -> S3Backend:
    """An S3 backend on a fresh bucket (created by the backend on its first write)."""
    return S3Backend(s3_server["endpoint"], s3_server["access_key"], s3_server["secret_key"],
                     bucket="oversite-" + secrets.token_hex(4))


@pytest.mark.s3
def test_s3_round_trip(s3_backend: S3Backend) -> None:
    data = pdf_bytes("s3")
    sha = _sha(data)
    assert not s3_backend.client.bucket_exists(s3_backend.bucket)
    assert not s3_backend.exists(sha)
    s3_backend.put(sha, data, sniff.PDF)
    assert s3_backend.client.bucket_exists(s3_backend.bucket)
    assert s3_backend.exists(sha)
    assert s3_backend.get(sha) == data
    with s3_backend.open_stream(sha) as stream:
        assert stream.read(4) == b"%PDF"
        assert stream.read() == data[4:]
    stat = s3_backend.client.stat_object(s3_backend.bucket, object_key(sha))
    assert (stat.size, stat.content_type) == (len(data), sniff.PDF)


@pytest.mark.s3
def test_s3_put_is_idempotent(s3_backend: S3Backend) -> None:
    data = b"write once"
    sha = _sha(data)
    s3_backend.put(sha, data, "text/plain")
    s3_backend.put(sha, data, "application/octet-stream")  # a rewrite would change this
    stat = s3_backend.client.stat_object(s3_backend.bucket, object_key(sha))
    assert stat.content_type == "text/plain"
    assert s3_backend.get(sha) == data


@pytest.mark.s3
def test_s3_refuses_bad_keys_and_reports_missing_objects(s3_backend: S3Backend) -> None:
    with pytest.raises(ValueError):
        s3_backend.put(_sha(b"one"), b"two", "text/plain")
    with pytest.raises(ValueError):
        s3_backend.exists("../" + "a" * 61)
    s3_backend.ensure_bucket()
    with pytest.raises(ObjectMissing):
        s3_backend.get(_sha(b"absent"))


@pytest.mark.s3
def test_s3_errors_other_than_missing_are_not_hidden(s3_server: dict[str, str]) -> None:
    wrong = S3Backend(s3_server["endpoint"], s3_server["access_key"], "wrong-secret", bucket="oversite-x")
    with pytest.raises(S3Error):
        wrong.exists(_sha(b"x"))


@pytest.mark.s3
def test_s3_endpoint_may_be_a_url(s3_server: dict[str, str]) -> None:
    backend = S3Backend("http://" + s3_server["endpoint"], s3_server["access_key"], s3_server["secret_key"],
                        bucket="oversite-" + secrets.token_hex(4))
    data = b"url endpoint"
    backend.put(_sha(data), data, "text/plain")
    assert backend.get(_sha(data)) == data


@pytest.mark.s3
def test_document_store_on_s3(
    session_factory: sessionmaker[Session], s3_backend: S3Backend, s3_server: dict[str, str], case_id: int
) -> None:
    backend: ObjectBackend = s3_backend
    store = DocumentStore(backend, MAX)
    data = png_bytes(3, 3)
    with session_factory.begin() as session:
        doc_id = store.store(session, data=data, filename="photo.PNG", kind="photo", case_id=case_id,
                             author="inspector1").id
    with session_factory() as session:
        row, read_back = store.read(session, doc_id)
    assert read_back == data and row.content_type == sniff.PNG
    # Overwrite the object behind the store's back: reading must notice.
    raw = Minio(s3_server["endpoint"], access_key=s3_server["access_key"], secret_key=s3_server["secret_key"],
                secure=False)
    forged = png_bytes(4, 4)
    raw.put_object(s3_backend.bucket, object_key(_sha(data)), io.BytesIO(forged), len(forged))
    with session_factory() as session:
        with pytest.raises(DocumentCorrupted):
            store.read(session, doc_id)
