"""Services built from configuration."""
from __future__ import annotations

from pathlib import Path

from flask import Flask

from storage.documents import LocalDirectoryBackend, S3Backend
from web.config import load_config
from web.services import Services, build_services, current_services


def config(tmp_path: Path, **override: object) -> dict[str, object]:
    app = Flask("t")
    load_config(app, {"DATA_DIR": str(tmp_path), "SECRET_KEY": "k" * 30, **override})
    return dict(app.config)


def test_local_documents_by_default(tmp_path: Path) -> None:
    services = build_services(config(tmp_path))
    try:
        assert isinstance(services.documents.backend, LocalDirectoryBackend)
        assert services.documents.max_bytes == 20 * 1024 * 1024
        assert services.db_engine.url.database == str(tmp_path.resolve() / "oversite.sqlite3")
        assert services.clock.now().tzinfo is not None
    finally:
        services.close()


def test_s3_documents_when_an_endpoint_is_set(tmp_path: Path) -> None:
    services = build_services(config(tmp_path, S3_ENDPOINT="http://127.0.0.1:9", S3_ACCESS_KEY="a",
                                     S3_SECRET_KEY="b", S3_BUCKET="docs", MAX_UPLOAD_BYTES=1234))
    try:
        backend = services.documents.backend
        assert isinstance(backend, S3Backend) and backend.bucket == "docs"
        assert services.documents.max_bytes == 1234
    finally:
        services.close()


def test_current_services_is_the_apps(app: Flask) -> None:
    with app.app_context():
        services = current_services()
    assert isinstance(services, Services) and services is app.extensions["oversite"]
