"""``/api/v1/devices``: registration, scoping, push tokens and HTTP push, and the open-data readings."""
from __future__ import annotations

from datetime import timedelta

import pytest

from .devices_api import add_device, deploy_device_alarm, devices_config, reading

MODBUS_MAP = [{"quantity": "power_kwh", "address": 0, "data_type": "uint32", "scale": 0.1, "unit": "kWh"}]


@pytest.fixture
def app_config(app_config, clock):
    return devices_config(app_config, clock)


def register(api, who, **body):
    return api.post(who, "/devices", json={"code": "D1", "device_type": "dust_noise_monitor", "protocol": "http",
                                            **body})


def test_an_enterprise_registers_its_sites_devices(api, projects):
    response = register(api, "acme", project_id=projects["acme"], protocol="hj212", mn_code="010000A8900016F000169DC0")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["project_id"], body["code"], body["protocol"], body["mn_code"], body["online"]) == (
        projects["acme"], "D1", "hj212", "010000A8900016F000169DC0", False)
    modbus = register(api, "admin", project_id=projects["other"], code="M1", device_type="power_meter",
                      protocol="modbus", modbus_host="10.0.0.5", modbus_port=502, modbus_unit_id=3,
                      register_map=MODBUS_MAP)
    assert modbus.status_code == 201, modbus.get_json()
    assert modbus.get_json()["register_map"][0] == {**MODBUS_MAP[0], "count": 2, "offset": 0.0, "table": "holding",
                                                    "word_order": "big"}
    assert modbus.get_json()["poll_interval_seconds"] == 60


@pytest.mark.parametrize(("body", "field"), [
    ({"protocol": "hj212"}, "mn_code"),
    ({"protocol": "modbus", "modbus_host": "h", "modbus_port": 502, "modbus_unit_id": 1}, "register_map"),
    ({"protocol": "modbus", "modbus_port": 502, "modbus_unit_id": 1, "register_map": MODBUS_MAP}, "modbus_host"),
    ({"protocol": "modbus", "modbus_host": "h", "modbus_port": 502, "modbus_unit_id": 1,
      "register_map": [{"quantity": "x", "address": 0, "data_type": "int128", "unit": ""}]}, "register_map"),
    ({"protocol": "http", "register_map": MODBUS_MAP}, "register_map"),
    ({"code": "site/1"}, "code"),
    ({"device_type": "toaster"}, "device_type"),
    ({"protocol": "zigbee"}, "protocol"),
    ({"modbus_port": 70000}, "modbus_port"),
])
def test_invalid_devices_are_refused_field_by_field(api, projects, body, field):
    response = register(api, "admin", project_id=projects["acme"], **body)
    assert response.status_code == 400, response.get_json()
    assert field in response.get_json()["details"]


def test_identities_are_unique(api, projects):
    assert register(api, "admin", project_id=projects["acme"], protocol="hj212", mn_code="MN1").status_code == 201
    again = register(api, "admin", project_id=projects["acme"], code="D2", protocol="hj212", mn_code="MN1")
    assert again.status_code == 400 and "mn_code" in again.get_json()["details"]
    same_code = register(api, "admin", project_id=projects["acme"])
    assert same_code.status_code == 400 and "code" in same_code.get_json()["details"]
    assert register(api, "admin", project_id=projects["other"]).status_code == 201  # codes are per project


def test_who_may_register(api, projects):
    assert register(api, None, project_id=projects["acme"]).status_code == 401
    assert register(api, "other", project_id=projects["acme"]).status_code == 404  # not its project
    assert register(api, "insp", project_id=projects["acme"]).status_code == 403   # staff read, do not install
    assert register(api, "dadmin", project_id=projects["acme"]).status_code == 201
    assert register(api, "admin", project_id=99999).status_code == 404


def test_lists_and_details_are_scoped_to_the_callers_projects(api, projects, services, clock):
    mine = add_device(services, projects["acme"], "A1", last_seen_at=clock.now() - timedelta(minutes=5))
    add_device(services, projects["acme"], "A2")
    theirs = add_device(services, projects["other"], "O1")
    listed = api.get("acme", "/devices").get_json()
    assert [d["code"] for d in listed["items"]] == ["A1", "A2"] and listed["total"] == 2
    assert [d["code"] for d in api.get("insp_jb", "/devices").get_json()["items"]] == ["O1"]
    assert len(api.get("aud", "/devices").get_json()["items"]) == 3
    online = api.get("acme", "/devices", query_string={"online": "true"}).get_json()["items"]
    assert [(d["code"], d["online"]) for d in online] == [("A1", True)]
    assert api.get("acme", f"/devices/{mine}").get_json()["code"] == "A1"
    assert api.get("acme", f"/devices/{theirs}").status_code == 404
    assert api.get("acme", "/devices/424242").status_code == 404


def test_http_push_with_a_device_token(api, projects, services, clock):
    device = add_device(services, projects["acme"])
    issued = api.post("acme", f"/devices/{device}/tokens", json={"label": "gateway"})
    assert issued.status_code == 201
    token = issued.get_json()["token"]
    body = [reading("pm10", 80, clock.now(), "ug/m3"), reading("noise_leq", 61.5, clock.now() - timedelta(minutes=1))]
    pushed = api.client.post(f"/api/v1/devices/{device}/readings", json=body, headers={"Authorization": f"Bearer {token}"})
    assert pushed.status_code == 200, pushed.get_json()
    assert pushed.get_json() == {"stored": 2, "duplicates": 0, "alarms_raised": 0}
    again = api.client.post(f"/api/v1/devices/{device}/readings", json=body, headers={"Authorization": f"Bearer {token}"})
    assert again.get_json() == {"stored": 0, "duplicates": 2, "alarms_raised": 0}
    other = add_device(services, projects["acme"], "D2")
    wrong = api.client.post(f"/api/v1/devices/{other}/readings", json=body,
                            headers={"Authorization": f"Bearer {token}"})
    assert wrong.status_code == 401
    assert api.client.post(f"/api/v1/devices/{device}/readings", json=body).status_code == 401
    assert api.client.post(f"/api/v1/devices/{device}/readings", json=body,
                           headers={"Authorization": "Bearer nonsense"}).status_code == 401
    assert api.get("acme", f"/devices/{device}").get_json()["online"] is True


def test_http_push_as_the_enterprise_and_who_may_not(api, projects, services, clock):
    device = add_device(services, projects["acme"])
    body = [reading("pm10", 80, clock.now())]
    assert api.post("acme", f"/devices/{device}/readings", json=body).status_code == 200
    assert api.post("other", f"/devices/{device}/readings", json=body).status_code == 404
    assert api.post("insp", f"/devices/{device}/readings", json=body).status_code == 403
    assert api.post("acme", "/devices/424242/readings", json=body).status_code == 404
    assert api.post("other", f"/devices/{device}/tokens", json={}).status_code == 404
    assert api.post("insp", f"/devices/{device}/tokens", json={}).status_code == 403


def test_http_push_refuses_a_batch_with_bad_items_item_by_item(api, projects, services, clock):
    device = add_device(services, projects["acme"])
    now = clock.now()
    bad_types = api.post("acme", f"/devices/{device}/readings", json=[
        reading("pm10", 80, now), reading("pm10", "80", now), {"quantity": "pm10", "value": 1}, reading("pm10", True, now)])
    assert bad_types.status_code == 400
    details = bad_types.get_json()["details"]
    assert set(details) == {"1", "2", "3"} and "value" in details["1"] and "measured_at" in details["2"]
    bad_values = api.post("acme", f"/devices/{device}/readings", json=[
        reading("pm10", 80, now), reading("pm10", 80, now + timedelta(hours=1)), reading("noise_leq", 900, now),
        reading("pm10", 1, now, "mg/m3"), reading("ozone", 1, now)])
    assert bad_values.status_code == 400
    details = bad_values.get_json()["details"]
    assert sorted(details) == ["1", "2", "3", "4"]
    assert details["1"][0].startswith("measured_at is in the future")
    assert details["4"] == ["unknown quantity 'ozone'"]
    naive = api.post("acme", f"/devices/{device}/readings", json=[{"quantity": "pm10", "value": 1,
                                                                   "measured_at": "2026-03-02T09:00:00"}])
    assert naive.status_code == 400
    assert api.post("acme", f"/devices/{device}/readings", json={"quantity": "pm10"}).status_code == 400
    assert api.post("acme", f"/devices/{device}/readings", data="[]", content_type="text/plain").status_code == 415
    # Nothing was stored by the refused batches.
    listed = api.get("acme", f"/projects/{projects['acme']}/readings").get_json()
    assert listed["total"] == 0


def test_a_pushed_breach_raises_an_alarm_and_a_case(api, projects, services, clock):
    deploy_device_alarm(services)
    device = add_device(services, projects["acme"])
    pushed = api.post("acme", f"/devices/{device}/readings", json=[reading("noise_leq", 75, clock.now())])
    assert pushed.get_json()["alarms_raised"] == 1
    (alarm,) = api.get("acme", "/alarms").get_json()["items"]
    case = api.get("acme", f"/cases/{alarm['case_id']}").get_json()
    assert case["process_key"] == "device_alarm" and case["project_id"] == projects["acme"]
    tasks = api.tasks("acme", case_id=alarm["case_id"])
    assert [t["bpmn_id"] for t in tasks] == ["rectify"]


def test_project_readings_are_open_data_for_the_projects_own_enterprise(api, projects, services, clock):
    mine = add_device(services, projects["acme"], "A1")
    theirs = add_device(services, projects["other"], "O1")
    now = clock.now()
    assert api.post("admin", f"/devices/{mine}/readings", json=[
        reading("pm10", 10 + i, now - timedelta(minutes=10 * i)) for i in range(30)]
        + [reading("noise_leq", 50, now)]).status_code == 200
    assert api.post("admin", f"/devices/{theirs}/readings", json=[reading("pm10", 99, now)]).status_code == 200
    path = f"/projects/{projects['acme']}/readings"
    page = api.get("acme", path, query_string={"quantity": "pm10", "per_page": 5}).get_json()
    assert page["total"] == 30 and [r["value"] for r in page["items"]] == [10, 11, 12, 13, 14]
    assert page["items"][0] == {"device_id": mine, "quantity": "pm10", "measured_at": now.isoformat(),
                                "value": 10, "unit": "µg/m³", "quality": "ok"}
    window = api.get("acme", path, query_string={"from": (now - timedelta(minutes=30)).isoformat(),
                                                  "to": now.isoformat()}).get_json()
    assert sorted(r["value"] for r in window["items"]) == [11, 12, 13]  # 'to' excluded
    assert api.get("acme", path, query_string={"device_id": theirs}).get_json()["total"] == 0
    assert api.get("other", path).status_code == 404
    assert api.get("insp", path).status_code == 200 and api.get("insp_jb", path).status_code == 404
    assert api.get("acme", path, query_string={"from": now.isoformat(), "to": (now - timedelta(days=1)).isoformat()}
                   ).status_code == 400
    assert api.get("acme", path, query_string={"from": (now - timedelta(days=40)).isoformat()}).status_code == 400
