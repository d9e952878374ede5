"""``/sites`` and ``/sites/<project_id>``: a site's devices, latest readings, charts, alarms and rating."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import pytest

from engine import FixedClock
from tests.web.api.devices_api import add_device, deploy_device_alarm, reading
from tests.web.api.engine_api import make_projects
from tests.fixtures.web import bearer, login

START = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def app_config(app_config, clock):
    return {**app_config, "CLOCK": clock}


@pytest.fixture
def site(services, client, make_user, make_token, clock):
    projects = make_projects(services.session_factory)
    deploy_device_alarm(services)
    make_user("acme", roles=[("enterprise", None, "91330200ACME00001X")])
    make_user("other", roles=[("enterprise", None, "91330200OTHER0002Y")])
    dust = add_device(services, projects["acme"], "DUST-1", "dust_noise_monitor")
    add_device(services, projects["acme"], "CAM-1", "video")
    token = make_token("acme")
    now = clock.now()
    body = [reading("pm10", 60 + i, now - timedelta(minutes=20 * i)) for i in range(12)]
    body.append(reading("noise_leq", 75.5, now))
    assert client.post(f"/api/v1/devices/{dust}/readings", json=body, headers=bearer(token)).status_code == 200
    return projects


def test_the_site_page_shows_devices_readings_charts_alarms_and_rating(client, site):
    login(client, "acme")
    page = client.get(f"/sites/{site['acme']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "DUST-1" in html and "CAM-1" in html
    assert "未消除的报警" in html and "噪声超标" in html            # the open noise alarm, in Chinese
    assert "扬尘噪声监测仪" in html and "离线" in html               # the camera never reported
    assert "智慧工地星级" in html and "远程视频监控" in html
    assert "/static/vendor/echarts/dist/echarts.min.js" in html
    charts = re.findall(r'data-site-chart="([^"]+)"', html)
    assert len(charts) == 2  # noise_leq and pm10
    pm10 = json.loads(charts[1].replace("&#34;", '"').replace("&quot;", '"'))
    assert pm10["unit"] == "µg/m³" and pm10["series"][0]["name"] == "DUST-1"
    # 12 readings every 20 minutes up to 01:00 UTC: the hours 21:00 to 01:00, means per hour.
    assert [p[1] for p in pm10["series"][0]["points"]] == [70.5, 68, 65, 62, 60]
    assert "<script>" not in html  # the CSP allows no inline script


def test_the_site_list_and_who_may_see_a_site(app, client, site):
    assert client.get(f"/sites/{site['acme']}").status_code == 302  # log in first
    login(client, "other")
    assert client.get(f"/sites/{site['acme']}").status_code == 404
    listing = client.get("/sites").get_data(as_text=True)
    assert "宁波中心" not in listing and "您可查看的工地均未登记设备" in listing
    acme = app.test_client()
    login(acme, "acme")
    listing = acme.get("/sites").get_data(as_text=True)
    assert "宁波中心" in listing and f"/sites/{site['acme']}" in listing


def test_english_on_request(client, site):
    login(client, "acme")
    html = client.get(f"/sites/{site['acme']}?lang=en").get_data(as_text=True)
    assert "Open alarms" in html and "Noise above the limit" in html
