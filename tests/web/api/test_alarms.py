"""``/api/v1/alarms``: scoped lists, details, acknowledgement by the district's staff."""
from __future__ import annotations

import pytest

from .devices_api import add_device, deploy_device_alarm, devices_config, reading


@pytest.fixture
def app_config(app_config, clock):
    return devices_config(app_config, clock)


@pytest.fixture
def alarms(api, projects, services, clock) -> dict[str, int]:
    """One open noise alarm on ACME's site, one on OTHER's."""
    deploy_device_alarm(services)
    found = {}
    for name in ("acme", "other"):
        device = add_device(services, projects[name], f"N-{name}")
        assert api.post("admin", f"/devices/{device}/readings",
                        json=[reading("noise_leq", 80, clock.now())]).get_json()["alarms_raised"] == 1
        (alarm,) = api.get("admin", "/alarms", query_string={"device_id": device}).get_json()["items"]
        found[name] = alarm["id"]
    return found


def test_lists_are_scoped_and_filtered(api, alarms, projects):
    assert [a["id"] for a in api.get("acme", "/alarms").get_json()["items"]] == [alarms["acme"]]
    assert [a["id"] for a in api.get("insp_jb", "/alarms").get_json()["items"]] == [alarms["other"]]
    assert api.get("aud", "/alarms").get_json()["total"] == 2
    assert api.get("admin", "/alarms", query_string={"status": "cleared"}).get_json()["total"] == 0
    assert api.get("admin", "/alarms", query_string={"status": "active", "rule": "noise_leq",
                                                     "project_id": projects["acme"]}).get_json()["total"] == 1
    assert api.get("admin", "/alarms", query_string={"status": "burning"}).status_code == 400
    assert api.get(None, "/alarms").status_code == 401
    one = api.get("acme", f"/alarms/{alarms['acme']}").get_json()
    assert (one["rule"], one["severity"], one["status"], one["breach_count"]) == ("noise_leq", "alarm", "open", 1)
    assert one["values"]["latest"]["value"] == 80 and one["case_id"] is not None
    assert api.get("acme", f"/alarms/{alarms['other']}").status_code == 404


def test_staff_of_the_district_acknowledge(api, alarms, clock):
    path = f"/alarms/{alarms['acme']}/acknowledge"
    assert api.post("acme", path).status_code == 403       # enterprises do not acknowledge
    assert api.post("insp_jb", path).status_code == 404    # another district's alarm
    assert api.post("aud", path).status_code == 403
    done = api.post("insp", path)
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    assert (body["status"], body["acknowledged_by"], body["acknowledged_at"]) == (
        "acknowledged", "insp", clock.now().isoformat())
    again = api.post("insp", path)
    assert again.status_code == 409 and again.get_json()["error"] == "conflict"
    assert api.post("admin", "/alarms/424242/acknowledge").status_code == 404
    assert api.get("acme", "/alarms", query_string={"status": "active"}).get_json()["total"] == 1
