"""engine.archive.stream_archive: a streamed ZIP whose manifest lists every file's SHA-256."""
from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import datetime, timezone

import pytest

from engine.archive import CHUNK, ArchiveDocument, ArchivePlan, stream_archive

AT = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


def plan_with(documents: dict[int, bytes]) -> ArchivePlan:
    plan = ArchivePlan(7, AT, "auditor", files={"history.json": b"[]", "history.csv": "seq\r\n".encode("utf-8-sig")})
    plan.documents = [ArchiveDocument(i, f"documents/{i}-f{i}.bin", hashlib.sha256(d).hexdigest(), len(d), f"f{i}.bin",
                                      "photo") for i, d in documents.items()]
    return plan


def test_the_stream_is_a_zip_with_a_true_manifest() -> None:
    big = bytes(range(256)) * (CHUNK // 128)  # two chunks and more: streamed in parts
    documents = {1: b"small", 2: big, 3: b""}
    chunks = list(stream_archive(plan_with(documents), documents.__getitem__))
    assert len(chunks) > 3 and all(isinstance(c, bytes) for c in chunks)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert archive.testzip() is None
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["case_id"] == 7 and manifest["generated_at"] == "2026-03-02T01:00:00+00:00"
    assert [f["path"] for f in manifest["files"]] == ["history.json", "history.csv", "documents/1-f1.bin",
                                                      "documents/2-f2.bin", "documents/3-f3.bin"]
    for entry in manifest["files"]:
        data = archive.read(entry["path"])
        assert entry == {"path": entry["path"], "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    assert archive.read("documents/2-f2.bin") == big
    assert archive.getinfo("history.json").date_time == (2026, 3, 2, 1, 0, 0)


def test_a_document_that_does_not_match_its_hash_stops_the_archive() -> None:
    plan = plan_with({1: b"original"})
    with pytest.raises(ValueError, match="document 1"):
        list(stream_archive(plan, lambda _id: b"tampered"))
