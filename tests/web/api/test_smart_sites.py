"""``/api/v1/reports/smart-sites`` and ``/api/v1/projects/{id}/site-applications``."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from storage import Project

from .devices_api import add_device, devices_config

ORDER = ("remote_video", "real_name_attendance", "dust_noise_monitoring", "wage_account")


@pytest.fixture
def app_config(app_config, clock):
    return devices_config(app_config, clock)


@pytest.fixture
def sites(projects, services, clock) -> dict[str, int]:
    """ACME's site under construction since 2025 (8,000 m²: one star required) with three online devices."""
    with services.session_factory.begin() as session:
        for name in ("acme", "other"):
            project = session.get(Project, projects[name])
            project.construction_start = date(2025, 6, 1)
            project.floor_area_m2 = Decimal(8000)
    for kind in ("video", "attendance_gate", "dust_noise_monitor"):
        add_device(services, projects["acme"], kind, kind, last_seen_at=clock.now() - timedelta(minutes=1))
    add_device(services, projects["other"], "V", "video")
    return projects


def test_declarations_complete_a_sites_first_star(api, sites):
    acme = sites["acme"]
    report = api.get("admin", "/reports/smart-sites").get_json()
    by_project = {p["project_id"]: p for p in report["projects"]}
    assert by_project[acme]["applications"] == list(ORDER[:3])
    assert (by_project[acme]["level"], by_project[acme]["required"], by_project[acme]["short"]) == (0, 1, True)
    assert {p["project_id"] for p in report["short"]} == {acme, sites["other"]}
    declared = api.post("acme", f"/projects/{acme}/site-applications",
                        json={"application": "wage_account", "note": "农民工工资专用账户 已开设"})
    assert declared.status_code == 201, declared.get_json()
    assert declared.get_json()["declared_by"] == "acme"
    report = api.get("acme", "/reports/smart-sites").get_json()
    (mine,) = report["projects"]  # an enterprise sees its own sites only
    assert (mine["applications"], mine["level"], mine["short"]) == (list(ORDER), 1, False)
    assert [a["application"] for a in api.get("acme", f"/projects/{acme}/site-applications").get_json()] == [
        "wage_account"]


def test_district_rows_follow_the_configured_order_with_a_total(api, sites, app):
    report = api.get("admin", "/reports/smart-sites", query_string={"as_of": "2026-03-02"}).get_json()
    assert [r["district"] for r in report["districts"]] == app.config["DISTRICTS"]
    haishu = next(r for r in report["districts"] if r["district"] == "海曙区")
    assert (haishu["projects"], haishu["devices"], haishu["online"], haishu["online_rate"]) == (1, 3, 3, "100.00")
    total = report["total"]
    assert (total["district"], total["projects"], total["devices"], total["online"], total["online_rate"]) == (
        "合计", 2, 4, 3, "75.00")
    assert report["as_of"] == "2026-03-02T01:00:00+00:00"  # today: no later than now


@pytest.mark.parametrize("as_of", ["yesterday", "2026-13-01", "2026-03-02T09:00:00"])
def test_bad_dates_are_refused(api, sites, as_of):
    response = api.get("admin", "/reports/smart-sites", query_string={"as_of": as_of})
    assert response.status_code == 400 and "as_of" in response.get_json()["details"]


def test_a_past_date_rates_the_sites_as_they_were(api, sites):
    report = api.get("admin", "/reports/smart-sites", query_string={"as_of": "2025-05-31"}).get_json()
    assert report["projects"] == []  # not started yet


def test_who_declares_what(api, sites):
    acme = sites["acme"]
    path = f"/projects/{acme}/site-applications"
    assert api.post("acme", path, json={"application": "remote_video"}).status_code == 400  # devices show it
    assert api.post("other", path, json={"application": "bim"}).status_code == 404
    assert api.post("insp", path, json={"application": "bim"}).status_code == 403
    assert api.post("dadmin", path, json={"application": "bim"}).status_code == 201
    assert api.post("acme", path, json={"application": "bim"}).status_code == 409
    withdrawn = api.client.delete(f"/api/v1{path}/bim", headers=api.headers("acme"))
    assert withdrawn.status_code == 200 and withdrawn.get_json()["withdrawn_at"] is not None
    assert api.client.delete(f"/api/v1{path}/bim", headers=api.headers("acme")).status_code == 404
    assert api.post("acme", path, json={"application": "bim"}).status_code == 201  # declared again
    assert api.get("other", path).status_code == 404
