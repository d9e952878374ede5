"""GET /api/v1/health."""
from __future__ import annotations


def test_health_reports_the_database(client) -> None:
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert response.headers["Cache-Control"] == "no-store"


def test_health_without_a_database_is_503(app_config, request, tmp_path) -> None:
    # A SQLite file inside a missing directory cannot be opened.
    app_config["DATABASE_URL"] = f"sqlite:///{tmp_path}/missing/dir/db.sqlite3"
    client = request.getfixturevalue("client")
    response = client.get("/api/v1/health")
    assert response.status_code == 503
    assert response.get_json() == {"status": "degraded", "database": "unavailable",
                                   "version": response.get_json()["version"]}
