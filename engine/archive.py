"""A case's archive for auditors: one ZIP with its history, every document and a manifest.

Layout::

    case.json          the case, its instances and tasks
    history.json       the case's audit events, oldest first (who, role, when, what)
    history.csv        the same as a table (UTF-8 with BOM so spreadsheet programs read Chinese)
    documents/<id>-<filename>
    manifest.json      every file above with its size and SHA-256

The ZIP is produced as a stream of chunks (data descriptors, no seeking), so a case with
hundreds of megabytes of photos never sits in memory as a whole: only one document at a time.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.orm import Session

from storage import Case, Document

from .case_view import case_rounds
from .queries import HistoryEntry, case_documents, case_history

MANIFEST = "manifest.json"
HISTORY_COLUMNS = ("seq", "at", "actor", "role", "action", "task", "task_id", "instance_id", "data")
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class ArchiveDocument:
    id: int
    path: str
    sha256: str
    size: int
    filename: str
    kind: str


@dataclass
class ArchivePlan:
    """Everything of the archive except the documents' bytes (read one by one while streaming)."""

    case_id: int
    generated_at: datetime
    generated_by: str
    files: dict[str, bytes] = field(default_factory=dict)
    documents: list[ArchiveDocument] = field(default_factory=list)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(timezone.utc).isoformat() if value is not None else None


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False, default=str).encode("utf-8")


def _history_rows(entries: list[HistoryEntry]) -> list[dict[str, Any]]:
    return [{"seq": e.seq, "at": _iso(e.at), "actor": e.actor, "role": e.role, "action": e.action,
             "task": e.task, "task_id": e.task_id, "instance_id": e.instance_id, "data": e.data} for e in entries]


def _history_csv(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HISTORY_COLUMNS)
    for row in rows:
        writer.writerow([json.dumps(row[c], ensure_ascii=False, sort_keys=True) if c == "data" else
                         ("" if row[c] is None else row[c]) for c in HISTORY_COLUMNS])
    return out.getvalue().encode("utf-8-sig")


def _case_json(session: Session, case: Case) -> dict[str, Any]:
    rounds = case_rounds(session, case.id)
    return {
        "id": case.id, "process_key": case.process_key, "title": case.title, "status": case.status,
        "project_id": case.project_id, "district": case.district, "enterprise_code": case.enterprise_code,
        "data": case.data, "created_at": _iso(case.created_at), "created_by": case.created_by,
        "closed_at": _iso(case.closed_at),
        "instances": [{
            "id": r.instance.id, "process_key": r.process_key, "version": r.version, "status": r.instance.status,
            "parent_id": r.instance.parent_id, "created_at": _iso(r.instance.created_at),
            "completed_at": _iso(r.instance.completed_at),
            "tasks": [{"id": t.id, "bpmn_id": t.bpmn_id, "name": t.name, "role": t.role, "state": t.state,
                       "due_at": _iso(t.due_at), "created_at": _iso(t.created_at),
                       "completed_at": _iso(t.completed_at), "completed_by": t.completed_by} for t in r.tasks],
        } for r in rounds],
    }


def _document_path(document: Document) -> str:
    # The id keeps two uploads named "photo.jpg" apart; "/" and "\\" never reach a path.
    name = document.filename.replace("/", "_").replace("\\", "_") or "document"
    return f"documents/{document.id}-{name}"


def plan_archive(session: Session, case: Case, *, generated_at: datetime, generated_by: str) -> ArchivePlan:
    """Collect the case's history and document list (the caller has checked read access)."""
    plan = ArchivePlan(case.id, generated_at, generated_by)
    rows = _history_rows(case_history(session, case.id))
    plan.files["case.json"] = _json_bytes(_case_json(session, case))
    plan.files["history.json"] = _json_bytes(rows)
    plan.files["history.csv"] = _history_csv(rows)
    plan.documents = [ArchiveDocument(d.id, _document_path(d), d.sha256, d.size, d.filename, d.kind)
                      for d in case_documents(session, case.id)]
    return plan


class _Sink(io.RawIOBase):
    """A write-only, unseekable file collecting what ``zipfile`` writes until it is taken."""

    def __init__(self) -> None:
        super().__init__()
        self._chunks: list[bytes] = []
        self._position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._chunks.append(chunk)
        self._position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._position

    def take(self) -> bytes:
        data, self._chunks = b"".join(self._chunks), []
        return data


def stream_archive(plan: ArchivePlan, read_document: Callable[[int], bytes]) -> Iterator[bytes]:
    """The ZIP's bytes in chunks; ``read_document(id)`` returns a document's verified bytes.

    Raises:
        ValueError: a document's bytes do not match its recorded SHA-256 (the archive stops:
            an archive that silently carries a wrong file would be worse than none).
    """
    sink = _Sink()
    stamp = plan.generated_at.astimezone(timezone.utc).timetuple()[:6]
    manifest: list[dict[str, Any]] = []
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:

        def add(path: str, data: bytes) -> Iterator[bytes]:
            info = zipfile.ZipInfo(path, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w") as dest:
                for start in range(0, len(data), CHUNK):
                    dest.write(data[start:start + CHUNK])
                    yield sink.take()
            manifest.append({"path": path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
            yield sink.take()

        for path, data in plan.files.items():
            yield from add(path, data)
        for doc in plan.documents:
            data = read_document(doc.id)
            if hashlib.sha256(data).hexdigest() != doc.sha256:
                raise ValueError(f"document {doc.id} does not match its SHA-256")
            yield from add(doc.path, data)
        body = {
            "case_id": plan.case_id,
            "generated_at": _iso(plan.generated_at),
            "generated_by": plan.generated_by,
            "algorithm": "sha256",
            "files": list(manifest),
            "documents": [{"id": d.id, "path": d.path, "filename": d.filename, "kind": d.kind,
                           "sha256": d.sha256, "size": d.size} for d in plan.documents],
        }
        yield from add(MANIFEST, _json_bytes(body))  # it lists every file but itself
    yield sink.take()
