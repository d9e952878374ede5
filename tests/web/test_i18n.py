"""Language choice and local times."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from flask import Flask, render_template_string

from web.i18n import local_dt


def test_local_dt_shows_shanghai_time(app: Flask) -> None:
    with app.test_request_context("/"):
        assert local_dt(datetime(2026, 3, 1, 16, 30, tzinfo=timezone.utc)) == "2026-03-02 00:30"
        assert local_dt(None) == ""
        assert render_template_string("{{ t | local_dt('HH:mm') }}",
                                      t=datetime(2026, 3, 1, 1, 5, tzinfo=timezone.utc)) == "09:05"
        with pytest.raises(ValueError, match="timezone-aware"):
            local_dt(datetime(2026, 3, 1, 16, 30))


def test_chinese_by_default_english_on_request_and_remembered(client) -> None:
    assert 'lang="zh-CN"' in client.get("/auth/login").get_data(as_text=True)
    english = client.get("/auth/login?lang=en").get_data(as_text=True)
    assert 'lang="en"' in english and "Log in" in english
    assert 'lang="en"' in client.get("/auth/login").get_data(as_text=True)
    assert "登录" in client.get("/auth/login?lang=zh_CN").get_data(as_text=True)


def test_unknown_language_is_ignored(client) -> None:
    assert 'lang="zh-CN"' in client.get("/auth/login?lang=xx").get_data(as_text=True)


def test_chinese_is_the_default_whatever_the_browser_asks(app: Flask) -> None:
    client = app.test_client()
    page = client.get("/auth/login", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert 'lang="zh-CN"' in page
    page = client.get("/auth/login?lang=en", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert 'lang="en"' in page


def test_api_calls_do_not_store_the_language(client) -> None:
    response = client.get("/api/v1/health?lang=en")
    assert "Set-Cookie" not in response.headers
