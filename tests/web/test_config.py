"""Configuration: defaults, then OVERSITE_* variables, then the test override."""
from __future__ import annotations

import os
import stat
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask

from web.config import DEFAULTS, ConfigError, load_config, policy_decimal


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("OVERSITE_"):
            monkeypatch.delenv(key)


def loaded(tmp_path: Path, **override: object) -> Flask:
    app = Flask("t")
    load_config(app, {"DATA_DIR": str(tmp_path), **override})
    return app


def test_defaults(tmp_path: Path) -> None:
    cfg = loaded(tmp_path).config
    assert cfg["ENV"] == "development"
    assert cfg["DATABASE_URL"] == f"sqlite:///{tmp_path.resolve()}/oversite.sqlite3"
    assert cfg["TASK_BUDGET"] == 500 and cfg["TIMEZONE"] == "Asia/Shanghai"
    assert cfg["DEFAULT_LOCALE"] == "zh_CN" and cfg["S3_BUCKET"] == "oversite"
    assert cfg["RECTIFICATION_DEADLINE_DAYS"] == 7
    assert cfg["DISTRICTS"][0] == "市本级" and len(cfg["DISTRICTS"]) == 13
    assert cfg["MAX_CONTENT_LENGTH"] > cfg["MAX_UPLOAD_BYTES"] == 20 * 1024 * 1024
    assert cfg["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=8)
    assert cfg["SESSION_COOKIE_SECURE"] is False
    assert policy_decimal(cfg, "CRANE_WIND_STOP_MS") == Decimal("13.8")


def test_the_data_dir_default_is_var() -> None:
    assert DEFAULTS["DATA_DIR"] == "./var"


def test_environment_then_test_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OVERSITE_TASK_BUDGET", "42")
    monkeypatch.setenv("OVERSITE_S3_BUCKET", "docs")
    monkeypatch.setenv("OVERSITE_DATABASE_URL", "postgresql://db.example/oversite")
    cfg = loaded(tmp_path, S3_BUCKET="override").config
    assert cfg["TASK_BUDGET"] == 42
    assert cfg["S3_BUCKET"] == "override"
    assert cfg["DATABASE_URL"] == "postgresql://db.example/oversite"


def test_values_that_look_like_json_stay_strings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OVERSITE_SECRET_KEY", "12345")
    monkeypatch.setenv("OVERSITE_S3_ACCESS_KEY", "true")
    cfg = loaded(tmp_path).config
    assert cfg["SECRET_KEY"] == "12345" and cfg["S3_ACCESS_KEY"] == "true"


@pytest.mark.parametrize(("name", "value"), [("TASK_BUDGET", "many"), ("S3_SECURE", "yes"),
                                             ("ENV", "staging"), ("CRANE_WIND_STOP_MS", "fast"),
                                             ("TOKEN_BYTES", "8"), ("LOCK_TIMEOUT_SECONDS", "0"),
                                             ("LOCK_TIMEOUT_SECONDS", "600"), ("LOCK_TIMEOUT_SECONDS", "soon")])
def test_bad_values_are_refused_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str,
                                        value: str) -> None:
    monkeypatch.setenv(f"OVERSITE_{name}", value)
    with pytest.raises(ConfigError, match=f"OVERSITE_{name}"):
        loaded(tmp_path)


def test_production_needs_an_explicit_secret_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OVERSITE_ENV", "production")
    with pytest.raises(ConfigError, match="OVERSITE_SECRET_KEY is not set"):
        loaded(tmp_path)
    assert not (tmp_path / "secret_key").exists()
    monkeypatch.setenv("OVERSITE_SECRET_KEY", "changeme")
    with pytest.raises(ConfigError, match="too short"):
        loaded(tmp_path)
    monkeypatch.setenv("OVERSITE_SECRET_KEY", "s3cr3t-from-the-environment")
    cfg = loaded(tmp_path).config
    assert cfg["SECRET_KEY"] == "s3cr3t-from-the-environment"
    assert cfg["SESSION_COOKIE_SECURE"] is True


def test_development_generates_and_keeps_a_private_key(tmp_path: Path) -> None:
    first = loaded(tmp_path).config["SECRET_KEY"]
    second = loaded(tmp_path).config["SECRET_KEY"]
    assert first == second and len(first) >= 40
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600
    other = tmp_path / "other"
    assert loaded(other).config["SECRET_KEY"] != first


def test_explicit_cookie_security_is_respected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OVERSITE_ENV", "production")
    monkeypatch.setenv("OVERSITE_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("OVERSITE_SESSION_COOKIE_SECURE", "false")
    assert loaded(tmp_path).config["SESSION_COOKIE_SECURE"] is False
