"""Object backends: where document bytes live, addressed by their SHA-256 and written once.

Both backends share one key layout, ``ab/cd/<sha256>``: two levels of sharding keep every
directory (or S3-on-filer prefix, as with SeaweedFS) small even with millions of objects.
Neither backend stores metadata beyond the content type: the ``document`` table is the index.
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import threading
from pathlib import Path
from typing import IO, Any, Protocol, cast
from urllib.parse import urlsplit

from minio import Minio
from minio.error import S3Error

from ..errors import ObjectMissing

_SHA256 = re.compile(r"[0-9a-f]{64}")
# S3 error codes meaning "no such object" (SeaweedFS and MinIO differ slightly; a missing
# bucket also means the object is not there).
_MISSING_CODES = frozenset({"NoSuchKey", "NoSuchObject", "NotFound", "ResourceNotFound", "NoSuchBucket"})


class ObjectBackend(Protocol):
    """Content-addressed, write-once object storage (the port ``DocumentStore`` writes through)."""

    def put(self, sha256: str, data: bytes, content_type: str) -> None:
        """Store ``data`` under ``sha256``; a no-op when the object already exists."""

    def get(self, sha256: str) -> bytes:
        """Return the object's bytes; raises ``ObjectMissing`` when there is none."""

    def exists(self, sha256: str) -> bool:
        """Whether an object is stored under ``sha256``."""

    def open_stream(self, sha256: str) -> IO[bytes]:
        """A readable binary stream of the object (the caller closes it)."""


def object_key(sha256: str) -> str:
    """The sharded key ``ab/cd/<sha256>``; refuses anything but 64 lowercase hex digits.

    Raises:
        ValueError: ``sha256`` is not a hex digest (this also rules out path traversal).
    """
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


def _check_digest(sha256: str, data: bytes) -> None:
    # A wrong key would poison the store forever (write-once), so refuse it up front.
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise ValueError(f"data hashes to {actual}, not to the key {sha256}")


class LocalDirectoryBackend:
    """Objects as files under ``root`` (the embedded default).

    Writes go to a temporary file in the target directory, are fsynced and then renamed over
    the final name with ``os.replace``, so a reader never sees a half-written object and a
    crash leaves at most a stray temporary file.
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        """The file that holds (or would hold) the object ``sha256``."""
        return self.root / object_key(sha256)

    def put(self, sha256: str, data: bytes, content_type: str) -> None:
        path = self.path_for(sha256)
        _check_digest(sha256, data)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            # Objects are immutable: make that visible on disk too.
            os.chmod(tmp_name, 0o444)
            os.replace(tmp_name, path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        _fsync_dir(path.parent)

    def get(self, sha256: str) -> bytes:
        try:
            return self.path_for(sha256).read_bytes()
        except FileNotFoundError:
            raise ObjectMissing(f"object {sha256} is missing from the document directory") from None

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def open_stream(self, sha256: str) -> IO[bytes]:
        try:
            return self.path_for(sha256).open("rb")
        except FileNotFoundError:
            raise ObjectMissing(f"object {sha256} is missing from the document directory") from None


def _fsync_dir(directory: Path) -> None:
    # The rename is only durable once the directory entry is on disk.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class S3Backend:
    """Objects in one S3 bucket (MinIO in production, SeaweedFS in tests) via the ``minio`` client.

    The bucket is created on first write if it does not exist, not in the constructor, so an
    application can start while the object store is still coming up.

    Args:
        endpoint: ``host:port``, or a URL ``http(s)://host:port`` whose scheme then decides
            ``secure``.
        access_key: S3 access key.
        secret_key: S3 secret key.
        bucket: bucket holding the objects.
        secure: use HTTPS (ignored when ``endpoint`` carries a scheme).
        region: bucket region, when the server needs one.
    """

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        secure: bool = False,
        region: str | None = None,
    ) -> None:
        if "://" in endpoint:
            parts = urlsplit(endpoint)
            secure = parts.scheme == "https"
            endpoint = parts.netloc
        self.bucket = bucket
        self.region = region
        self.client = Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region)
        self._bucket_ready = False
        self._bucket_lock = threading.Lock()

    def ensure_bucket(self) -> None:
        """Create the bucket unless it exists (safe when several processes race to do it)."""
        if self._bucket_ready:
            return
        with self._bucket_lock:
            if self._bucket_ready:
                return
            if not self.client.bucket_exists(self.bucket):
                try:
                    if self.region:
                        self.client.make_bucket(self.bucket, location=self.region)
                    else:
                        self.client.make_bucket(self.bucket)
                except S3Error as exc:
                    if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                        raise
            self._bucket_ready = True

    def put(self, sha256: str, data: bytes, content_type: str) -> None:
        key = object_key(sha256)
        _check_digest(sha256, data)
        self.ensure_bucket()
        if self.exists(sha256):
            return
        # Two writers racing on the same key write identical bytes, so the race is harmless.
        self.client.put_object(self.bucket, key, io.BytesIO(data), len(data), content_type=content_type)

    def get(self, sha256: str) -> bytes:
        with self.open_stream(sha256) as stream:
            return stream.read()

    def exists(self, sha256: str) -> bool:
        try:
            self.client.stat_object(self.bucket, object_key(sha256))
        except S3Error as exc:
            if exc.code in _MISSING_CODES:
                return False
            raise
        return True

    def open_stream(self, sha256: str) -> IO[bytes]:
        try:
            response = self.client.get_object(self.bucket, object_key(sha256))
        except S3Error as exc:
            if exc.code in _MISSING_CODES:
                raise ObjectMissing(f"object {sha256} is missing from bucket {self.bucket}") from None
            raise
        return cast(IO[bytes], _ReleasingStream(response))


class _ReleasingStream(io.RawIOBase):
    """A minio (urllib3) response that hands its connection back to the pool when closed."""

    def __init__(self, response: Any) -> None:
        super().__init__()
        self._response = response

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._response.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return cast(bytes, self._response.read())
        return cast(bytes, self._response.read(size))

    def close(self) -> None:
        if not self.closed:
            try:
                self._response.close()
                self._response.release_conn()
            finally:
                super().close()
