"""The application's services, built once per app from its configuration.

Routes and CLI commands reach the database, the document store, the BPMN engine and the
clock only through :class:`Services`, so a test can build them against any database.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from flask import current_app
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from engine import ProcessEngine
from engine.clock import Clock, SystemClock
from storage import make_engine, make_session_factory
from workflows import FAMILIES, Registries, build_engine, build_registries
from storage.documents import DocumentStore, LocalDirectoryBackend, ObjectBackend, S3Backend

EXTENSION_KEY = "oversite"


@dataclass
class Services:
    """Everything a request or a command needs besides its input.

    Attributes:
        config: the application's configuration (``app.config``).
        session_factory: makes SQLAlchemy sessions; the caller owns each transaction.
        documents: the document store (S3 or a local directory).
        engine: the BPMN engine (``engine.ProcessEngine``).
        clock: the source of "now" for everything the platform records.
        registries: what the process families registered (services, forms, calendar jobs).
    """

    config: Mapping[str, Any]
    session_factory: sessionmaker[Session]
    documents: DocumentStore
    engine: ProcessEngine
    clock: Clock
    registries: Registries

    @property
    def db_engine(self) -> Engine:
        """The SQLAlchemy engine behind ``session_factory``."""
        bind = self.session_factory.kw["bind"]
        assert isinstance(bind, Engine)
        return bind

    def close(self) -> None:
        """Release the database connection pool (tests and CLI commands call this at the end)."""
        self.db_engine.dispose()


def build_services(config: Mapping[str, Any], clock: Clock | None = None) -> Services:
    """Build the services described by ``config`` (see ``web.config.DEFAULTS``).

    A test may list ``EXTRA_FAMILIES`` (``workflows.ProcessFamily`` objects) in ``config``:
    they register after ``workflows.FAMILIES``, e.g. a form that no shipped family provides.
    """
    Path(config["DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    db = make_engine(config["DATABASE_URL"], lock_timeout=config["LOCK_TIMEOUT_SECONDS"])
    session_factory = make_session_factory(db)
    documents = DocumentStore(_object_backend(config), max_bytes=config["MAX_UPLOAD_BYTES"])
    clock = clock or SystemClock()
    extra = list(config.get("EXTRA_FAMILIES") or ())
    registries = build_registries(config, [*FAMILIES, *extra] if extra else None)
    engine = build_engine(config, clock, {"documents": documents}, registries)
    return Services(
        config=config,
        session_factory=session_factory,
        documents=documents,
        engine=engine,
        clock=clock,
        registries=registries,
    )


def _object_backend(config: Mapping[str, Any]) -> ObjectBackend:
    if config.get("S3_ENDPOINT"):
        return S3Backend(
            endpoint=config["S3_ENDPOINT"],
            access_key=config.get("S3_ACCESS_KEY") or "",
            secret_key=config.get("S3_SECRET_KEY") or "",
            bucket=config["S3_BUCKET"],
            secure=bool(config.get("S3_SECURE")),
        )
    return LocalDirectoryBackend(Path(config["DATA_DIR"]) / "documents")


def current_services() -> Services:
    """The services of the current Flask application."""
    services = current_app.extensions[EXTENSION_KEY]
    assert isinstance(services, Services)
    return services
