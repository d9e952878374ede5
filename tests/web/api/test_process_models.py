"""``/api/v1/process-models``: deploy, versions, BPMN download, validation and hostile models."""
from __future__ import annotations

import hashlib
from typing import Any

import pytest
from sqlalchemy import select

from engine import FixedClock
from storage import AuditEvent
from tests.fixtures import bpmn
from web.services import Services

from .engine_api import START, Api, engine_config, inspection


@pytest.fixture
def app_config(app_config: dict[str, Any], clock: FixedClock) -> dict[str, Any]:
    return engine_config(app_config, clock)


HOSTILE_CONDITIONS = [
    "__import__('os').system('true')",
    "open('/etc/passwd')",
    "().__class__.__mro__[1].__subclasses__()",
    "x.__class__",
    "10**10**10",
    "'x'*10**10",
    "lambda: 1",
]


def many_problems() -> bytes:
    """Seven hostile conditions, a missing form, an unknown operation and an import: ten problems."""
    nodes = ['<bpmn:startEvent id="start"/>', '<bpmn:exclusiveGateway id="gw" default="f_default"/>',
             '<bpmn:endEvent id="end"/>', bpmn.user_task("form_missing", form="no.such_form"),
             '<bpmn:serviceTask id="svc"><bpmn:extensionElements><spiffworkflow:serviceTaskOperator '
             'id="nobody.registered"/></bpmn:extensionElements></bpmn:serviceTask>',
             '<bpmn:scriptTask id="script"><bpmn:script>import os</bpmn:script></bpmn:scriptTask>']
    flows = [bpmn.flow("f0", "start", "gw"), bpmn.flow("f_default", "gw", "end"),
             bpmn.flow("f_a", "gw", "form_missing", "a == 1"), bpmn.flow("f_b", "form_missing", "svc"),
             bpmn.flow("f_c", "svc", "script"), bpmn.flow("f_d", "script", "end")]
    flows += [bpmn.flow(f"f_bad{i}", "gw", "end", cond) for i, cond in enumerate(HOSTILE_CONDITIONS)]
    return bpmn.process("hostile", "".join(nodes + flows))


def model_keys(api: Api) -> list[str]:
    response = api.get("admin", "/process-models")
    assert response.status_code == 200
    return [m["key"] for m in response.get_json()]


def test_deploy_is_201_then_identical_xml_is_the_same_version(api: Api) -> None:
    xml = inspection()
    first = api.deploy(xml)
    assert first.status_code == 201, first.get_json()
    assert first.get_json() == {"key": "inspection", "version": 1, "sha256": hashlib.sha256(xml).hexdigest(),
                                "created": True}
    again = api.deploy(xml, filename="renamed.bpmn")
    assert again.status_code == 200
    assert again.get_json() == {**first.get_json(), "created": False}
    changed = api.deploy(inspection(form=None))
    assert changed.status_code == 201
    body = changed.get_json()
    assert body["key"] == "inspection" and body["version"] == 2 and body["created"] is True
    assert body["sha256"] != first.get_json()["sha256"]


def test_admins_deploy_too(api: Api) -> None:
    response = api.deploy(inspection("by_admin"), who="admin")
    assert response.status_code == 201 and response.get_json()["version"] == 1


def test_invalid_model_reports_every_problem_with_element_and_line(api: Api) -> None:
    response = api.deploy(many_problems(), filename="hostile.bpmn")
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "invalid_model"
    problems = body["details"]
    assert isinstance(problems, list) and len(problems) >= 10
    by_element = {p.get("element_id") for p in problems}
    assert {f"f_bad{i}" for i in range(len(HOSTILE_CONDITIONS))} <= by_element
    assert {"form_missing", "svc", "script"} <= by_element
    assert all(isinstance(p["line"], int) and p["line"] > 0 for p in problems)
    assert all(p["message"] and p["file"] == "hostile.bpmn" for p in problems)
    assert f"{len(problems)} problem" in body["message"]
    assert model_keys(api) == []


def test_two_bad_conditions_are_both_reported_on_their_own_lines(api: Api) -> None:
    inner = ('<bpmn:startEvent id="start"/>\n<bpmn:exclusiveGateway id="gw" default="ok"/>\n'
             '<bpmn:endEvent id="end"/>\n' + bpmn.flow("f0", "start", "gw") + "\n"
             + bpmn.flow("ok", "gw", "end") + "\n"
             + bpmn.flow("bad_import", "gw", "end", "__import__('os')") + "\n"
             + bpmn.flow("bad_dunder", "gw", "end", "x.__class__.__bases__"))
    response = api.deploy(bpmn.process("two_bad", inner))
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_model"
    lines = {p["element_id"]: p["line"] for p in response.get_json()["details"] if p.get("element_id")}
    assert {"bad_import", "bad_dunder"} <= set(lines)
    assert lines["bad_dunder"] == lines["bad_import"] + 1


def test_not_xml_and_empty_files_are_400(api: Api) -> None:
    for data in (b"this is not xml at all", b"   ", b"<root/>", b"\x89PNG\r\n\x1a\n\x00\x00"):
        response = api.deploy(data)
        assert response.status_code == 400, data
        body = response.get_json()
        assert body["error"] == "invalid_model" and body["details"][0]["message"], data
    assert model_keys(api) == []


def test_external_entity_is_refused_without_reading_the_file(api: Api, tmp_path) -> None:  # type: ignore[no-untyped-def]
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xml = f"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file://{secret}">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
<bpmn:process id="p" name="&xxe;" isExecutable="true"/></bpmn:definitions>""".encode()
    response = api.deploy(xml)
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_model"
    assert "DOCTYPE" in response.get_json()["details"][0]["message"]
    assert b"TOP-SECRET" not in response.data


def test_billion_laughs_is_refused(api: Api) -> None:
    lol = "".join(f'<!ENTITY lol{i} "{"&lol%d;" % (i - 1) * 10}">' for i in range(1, 10))
    xml = f"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">{lol}]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">&lol9;</bpmn:definitions>"""
    response = api.deploy(xml.encode())
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_model"
    assert "entity" in response.get_json()["details"][0]["message"].lower()
    assert len(response.data) < 10_000


def test_a_non_utf8_file_is_400_not_500(api: Api) -> None:
    xml = inspection("gbk_model", name="监督检查").decode().replace('encoding="UTF-8"', 'encoding="GBK"')
    response = api.deploy(xml.encode("gbk"))
    assert response.status_code == 400, response.get_json()
    body = response.get_json()
    assert body["error"] == "invalid_model" and "UTF-8" in body["details"][0]["message"]
    assert body["details"][0]["line"] >= 1
    assert model_keys(api) == []


def test_missing_file_field_and_wrong_content_type(api: Api) -> None:
    no_file = api.post("owner", "/process-models", data={}, content_type="multipart/form-data")
    assert no_file.status_code == 400
    assert no_file.get_json()["error"] == "validation_error" and set(no_file.get_json()["details"]) == {"file"}
    as_json = api.post("owner", "/process-models", json={"file": "<xml/>"})
    assert as_json.status_code == 415 and as_json.get_json()["error"] == "unsupported_media_type"


@pytest.mark.parametrize("who", ["insp", "acme", "aud", "dadmin"])
def test_only_process_owners_and_admins_deploy_or_validate(api: Api, who: str) -> None:
    refused = api.deploy(inspection(), who=who)
    assert refused.status_code == 403 and refused.get_json()["error"] == "forbidden"
    checked = api.upload(who, "/process-models/validate", inspection())
    assert checked.status_code == 403 and checked.get_json()["error"] == "forbidden"
    assert model_keys(api) == []


def test_no_token_is_401(api: Api) -> None:
    for response in (api.deploy(inspection(), who=None), api.get(None, "/process-models"),
                     api.get(None, "/process-models/inspection"),
                     api.get(None, "/process-models/inspection/bpmn"),
                     api.upload(None, "/process-models/validate", inspection())):
        assert response.status_code == 401 and response.get_json()["error"] == "unauthorized"
    assert model_keys(api) == []


def test_list_shows_every_model_with_versions_newest_first(api: Api) -> None:
    api.deployed(inspection(name="监督检查"))
    api.deployed(inspection(form=None, name="监督检查"))
    api.deployed(bpmn.sequence("daily_log", ["write"]))
    response = api.get("insp", "/process-models")
    assert response.status_code == 200
    models = {m["key"]: m for m in response.get_json()}
    assert set(models) == {"inspection", "daily_log"}
    assert models["inspection"]["latest_version"] == 2 and models["inspection"]["name"] == "监督检查"
    assert [v["version"] for v in models["inspection"]["versions"]] == [2, 1]
    assert [v["version"] for v in models["daily_log"]["versions"]] == [1]
    version = models["daily_log"]["versions"][0]
    assert version["deployed_by"] == "owner" and version["filename"] == "model.bpmn"
    assert version["deployed_at"].startswith(START.isoformat()[:19])
    assert len(version["sha256"]) == 64 and "bpmn_xml" not in version


def test_get_one_model_and_its_versions(api: Api) -> None:
    v1 = api.deployed(inspection())
    v2 = api.deployed(inspection(form=None))
    response = api.get("acme", "/process-models/inspection")
    assert response.status_code == 200
    body = response.get_json()
    assert body["key"] == "inspection" and body["latest_version"] == 2
    assert [(v["version"], v["sha256"]) for v in body["versions"]] == [(2, v2["sha256"]), (1, v1["sha256"])]


def test_bpmn_of_latest_and_of_an_older_version(api: Api) -> None:
    old, new = inspection(), inspection(form=None)
    api.deployed(old)
    api.deployed(new)
    latest = api.get("insp", "/process-models/inspection/bpmn")
    assert latest.status_code == 200 and latest.mimetype == "application/xml"
    assert latest.headers["X-Process-Version"] == "2" and latest.data == new
    first = api.get("insp", "/process-models/inspection/bpmn", query_string={"version": 1})
    assert first.status_code == 200 and first.headers["X-Process-Version"] == "1"
    assert first.data == old and b"apitest.inspection" in first.data
    missing = api.get("insp", "/process-models/inspection/bpmn", query_string={"version": 3})
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"
    for bad in ("0", "abc"):
        refused = api.get("insp", "/process-models/inspection/bpmn", query_string={"version": bad})
        assert refused.status_code == 400 and set(refused.get_json()["details"]) == {"version"}


def test_unknown_key_is_404(api: Api) -> None:
    for path in ("/process-models/nowhere", "/process-models/nowhere/bpmn"):
        response = api.get("admin", path)
        assert response.status_code == 404, path
        body = response.get_json()
        assert body["error"] == "not_found" and "nowhere" in body["message"]


def test_validate_reports_problems_without_deploying(api: Api) -> None:
    good = api.upload("owner", "/process-models/validate", inspection())
    assert good.status_code == 200 and good.get_json() == {"valid": True, "problems": []}
    bad = api.upload("owner", "/process-models/validate", many_problems(), "hostile.bpmn")
    assert bad.status_code == 200
    body = bad.get_json()
    assert body["valid"] is False and len(body["problems"]) >= 10
    assert {"f_bad0", "form_missing", "svc"} <= {p.get("element_id") for p in body["problems"]}
    not_xml = api.upload("owner", "/process-models/validate", b"<x")
    assert not_xml.get_json()["valid"] is False and not_xml.get_json()["problems"][0]["file"] == "model.bpmn"
    assert model_keys(api) == []


def test_deploy_is_audited_once_per_new_version(api: Api, services: Services) -> None:
    api.deployed(inspection())
    api.deployed(inspection())  # identical: nothing new to record
    with services.session_factory() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "model.deployed")).all()
    assert [(e.actor, e.role, e.data["key"], e.data["version"]) for e in events] == [
        ("owner", "process_owner", "inspection", 1)]
    response = api.get("aud", "/audit/verify")
    assert response.status_code == 200 and response.get_json()["ok"] is True


def test_openapi_lists_the_process_model_paths(api: Api) -> None:
    spec = api.get(None, "/openapi.json").get_json()
    paths = spec["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/process-models"])
    assert "get" in paths["/api/v1/process-models/{key}"]
    bpmn_get = paths["/api/v1/process-models/{key}/bpmn"]["get"]
    assert "version" in {p["name"] for p in bpmn_get["parameters"] if p["in"] == "query"}
    assert "post" in paths["/api/v1/process-models/validate"]
    upload = paths["/api/v1/process-models"]["post"]["requestBody"]["content"]["multipart/form-data"]
    schema = spec["components"]["schemas"][upload["schema"]["$ref"].rsplit("/", 1)[-1]]
    assert schema["properties"]["file"] == {"type": "string", "format": "binary"}
    assert {"201", "400"} <= set(paths["/api/v1/process-models"]["post"]["responses"])
