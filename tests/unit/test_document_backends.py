"""LocalDirectoryBackend: content-addressed, write-once files (S3Backend: tests/integration)."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from storage.documents import LocalDirectoryBackend, ObjectMissing, object_key


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_round_trip_uses_sharded_paths(tmp_path: Path) -> None:
    backend = LocalDirectoryBackend(tmp_path)
    data = b"hello documents"
    sha = _sha(data)
    assert not backend.exists(sha)
    backend.put(sha, data, "text/plain")
    assert backend.exists(sha)
    assert backend.get(sha) == data
    assert backend.path_for(sha) == tmp_path / sha[:2] / sha[2:4] / sha
    with backend.open_stream(sha) as stream:
        assert stream.read() == data
    # Nothing but the object itself: no temporary file is left behind.
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == [backend.path_for(sha)]


def test_put_is_idempotent_and_never_rewrites(tmp_path: Path) -> None:
    backend = LocalDirectoryBackend(tmp_path)
    data = b"write once"
    sha = _sha(data)
    backend.put(sha, data, "text/plain")
    path = backend.path_for(sha)
    before = path.stat()
    backend.put(sha, data, "text/plain")
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert path.stat().st_mode & 0o222 == 0  # immutable objects are read-only on disk


def test_put_refuses_data_that_does_not_match_its_key(tmp_path: Path) -> None:
    backend = LocalDirectoryBackend(tmp_path)
    with pytest.raises(ValueError, match="hashes to"):
        backend.put(_sha(b"one"), b"two", "text/plain")
    assert not backend.exists(_sha(b"one"))
    assert list(tmp_path.rglob("*.part")) == []


@pytest.mark.parametrize("key", ["../../etc/passwd", "ABC", "a" * 63, "A" * 64, "g" * 64, ""])
def test_keys_must_be_hex_digests(tmp_path: Path, key: str) -> None:
    backend = LocalDirectoryBackend(tmp_path)
    with pytest.raises(ValueError, match="SHA-256"):
        backend.exists(key)
    with pytest.raises(ValueError):
        object_key(key)


def test_missing_objects_raise_object_missing(tmp_path: Path) -> None:
    backend = LocalDirectoryBackend(tmp_path)
    sha = _sha(b"absent")
    with pytest.raises(ObjectMissing) as missing:
        backend.get(sha)
    assert missing.value.code == "object_missing"
    with pytest.raises(ObjectMissing):
        backend.open_stream(sha)
