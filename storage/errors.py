"""Errors the storage layer raises; the web layer maps each ``code`` to one HTTP status.

``storage`` sits below ``engine`` and must not import it, so these do not subclass
``engine.errors.EngineError``; they carry the same ``code`` / ``message`` / ``details``
attributes so the web layer can render both families the same way. At the end: how to read the
database's own errors (:func:`is_contention`, :func:`is_duplicate`).
"""
from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy.exc import DBAPIError


class StorageError(Exception):
    """Base class. ``code`` is the stable machine-readable error code of the API."""

    code = "storage_error"

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class DocumentEmpty(StorageError):
    """An upload had no content (HTTP 400)."""

    code = "empty_document"


class DocumentTooLarge(StorageError):
    """An upload exceeded the configured size limit (HTTP 413)."""

    code = "too_large"


class DocumentTypeRefused(StorageError):
    """The content's type is not allowed, or the file name's extension contradicts it (HTTP 400)."""

    code = "unsupported_type"


class DocumentNotFound(StorageError):
    """No document row has the requested id (HTTP 404)."""

    code = "not_found"


class ObjectMissing(StorageError):
    """The object store has no object for a SHA-256 that should be there (HTTP 500)."""

    code = "object_missing"


class DocumentCorrupted(StorageError):
    """The bytes read back do not hash to the document's SHA-256 (HTTP 500)."""

    code = "corrupted"


# What the database says when concurrent transactions collide. The transaction was rolled back
# whole, so running it again may succeed: deadlock detected, serialization failure, lock not
# available (``lock_timeout`` or NOWAIT), and SQLite's write lock held past its busy timeout.
CONTENTION_SQLSTATES = frozenset({"40P01", "40001", "55P03"})
UNIQUE_VIOLATION_SQLSTATE = "23505"


def is_contention(error: DBAPIError) -> bool:
    """The database refused the transaction because of concurrent ones; a retry may succeed."""
    if getattr(error.orig, "sqlstate", None) in CONTENTION_SQLSTATES:
        return True
    return isinstance(error.orig, sqlite3.OperationalError) and "locked" in str(error.orig)


def is_duplicate(error: DBAPIError) -> bool:
    """A unique constraint refused a row: typically the same thing saved twice at the same moment."""
    if getattr(error.orig, "sqlstate", None) == UNIQUE_VIOLATION_SQLSTATE:
        return True
    return isinstance(error.orig, sqlite3.IntegrityError) and str(error.orig).startswith("UNIQUE constraint failed")
