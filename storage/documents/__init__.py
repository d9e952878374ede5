"""Document store: content-addressed objects (local directory or S3) recorded in ``document``."""
from .backends import LocalDirectoryBackend, ObjectBackend, S3Backend, object_key
from .sniff import Detected, detect
from .store import (
    DEFAULT_ALLOWED_TYPES,
    DEFAULT_MAX_BYTES,
    DocumentStore,
    clean_filename,
    documents_for_case,
)
from ..errors import (
    DocumentCorrupted,
    DocumentEmpty,
    DocumentNotFound,
    DocumentTooLarge,
    DocumentTypeRefused,
    ObjectMissing,
    StorageError,
)

__all__ = [
    "DEFAULT_ALLOWED_TYPES", "DEFAULT_MAX_BYTES", "Detected", "DocumentCorrupted", "DocumentEmpty",
    "DocumentNotFound", "DocumentStore", "DocumentTooLarge", "DocumentTypeRefused",
    "LocalDirectoryBackend", "ObjectBackend", "ObjectMissing", "S3Backend", "StorageError",
    "clean_filename", "detect", "documents_for_case", "object_key",
]
