"""``/models`` pages: who may see them, and that each page carries the right model data."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from marshmallow import Schema, fields

from engine import Actor, BpmnFile, Scope
from storage import ROLES
from tests.fixtures import bpmn
from tests.fixtures.web import MakeUser, login
from web.modeler.importmap import MODULES, hash_source
from web.services import Services
from workflows import ProcessFamily, Registries

FORM_KEY = "modelpages.review"
OPERATION = "modelpages.notify"
PAGE_DATA = re.compile(r'<script type="application/json" id="page-data">(.*?)</script>', re.S)
IMPORT_MAP = re.compile(r'<script type="importmap">(.*?)</script>', re.S)
EDITORS = ("process_owner", "admin")
OTHERS = tuple(r for r in ROLES if r not in EDITORS)


class ReviewForm(Schema):
    ok = fields.Boolean(required=True, metadata={"label": "是否通过"})


def _notify(ctx: Any, **kwargs: Any) -> None:
    """Tell the parties of the case (test operation)."""


def _register(registries: Registries) -> None:
    registries.forms.register(FORM_KEY, ReviewForm, "审查表")
    registries.services.register(OPERATION, _notify)


FAMILY = ProcessFamily("modelpages", Path(__file__).parent / "no_bpmn_here", _register)


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "EXTRA_FAMILIES": [FAMILY]}


def deploy(services: Services, xml: bytes, filename: str = "model.bpmn") -> int:
    actor = Actor("owner", None, (Scope("process_owner"),))
    with services.session_factory.begin() as session:
        return services.engine.deploy(session, [BpmnFile(filename, xml)], actor)[0].definition.version


def review(name: str = "Review") -> bytes:
    inner = ('<bpmn:startEvent id="start"/>' + bpmn.user_task("review", name, form=FORM_KEY)
             + '<bpmn:endEvent id="end"/>' + bpmn.flow("f0", "start", "review") + bpmn.flow("f1", "review", "end"))
    return bpmn.process("review_proc", inner, name="审查流程")


@pytest.fixture
def models(services: Services) -> dict[str, bytes]:
    """``review_proc`` v1 and v2 (renamed task) and ``other_proc`` v1."""
    v1, v2 = review("Review"), review("Review twice")
    assert deploy(services, v1) == 1
    assert deploy(services, v2) == 2
    deploy(services, bpmn.sequence("other_proc", ["a"]))
    return {"v1": v1, "v2": v2}


def as_role(client: FlaskClient, make_user: MakeUser, role: str) -> FlaskClient:
    make_user(f"u_{role}", roles=[(role, "海曙区" if role in ("inspector", "district_admin") else None,
                                  "91330200ACME00001X" if role == "enterprise" else None)])
    assert login(client, f"u_{role}").status_code == 302
    return client


def page_data(html: str) -> dict[str, Any]:
    match = PAGE_DATA.search(html)
    assert match, "no page data"
    return json.loads(match.group(1))


PAGES = ["/models", "/models/new", "/models/review_proc/edit", "/models/review_proc/versions/1",
         "/models/review_proc/diff"]


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page(client: FlaskClient, models: dict[str, bytes],
                                                       path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


@pytest.mark.parametrize("role", OTHERS)
def test_other_roles_get_the_403_page(client: FlaskClient, make_user: MakeUser, models: dict[str, bytes],
                                      role: str) -> None:
    as_role(client, make_user, role)
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 403, path
        assert response.mimetype == "text/html"
        assert "无权访问" in response.get_data(as_text=True)
    assert "/models" not in client.get("/").get_data(as_text=True)  # no navigation link either


@pytest.mark.parametrize("role", EDITORS)
def test_process_owners_and_admins_see_every_page(client: FlaskClient, make_user: MakeUser,
                                                  models: dict[str, bytes], role: str) -> None:
    as_role(client, make_user, role)
    for path in PAGES:
        assert client.get(path).status_code == 200, path
    assert 'href="/models"' in client.get("/").get_data(as_text=True)


def test_list_shows_every_model_with_its_versions(client: FlaskClient, make_user: MakeUser,
                                                  models: dict[str, bytes]) -> None:
    html = as_role(client, make_user, "process_owner").get("/models").get_data(as_text=True)
    assert "审查流程" in html and "<code>review_proc</code>" in html and "<code>other_proc</code>" in html
    assert 'href="/models/review_proc/versions/2"' in html and 'href="/models/review_proc/versions/1"' in html
    assert 'href="/models/review_proc/edit"' in html
    assert 'href="/models/review_proc/edit?version=1"' in html
    assert 'href="/models/review_proc/diff?a=1&amp;b=2"' in html
    assert "/models/other_proc/diff" not in html  # one version: nothing to compare


def test_list_without_models_says_so(client: FlaskClient, make_user: MakeUser) -> None:
    html = as_role(client, make_user, "admin").get("/models").get_data(as_text=True)
    assert 'class="notice"' in html and 'href="/models/new"' in html


def test_editor_carries_the_latest_version_and_the_registered_choices(
        client: FlaskClient, make_user: MakeUser, models: dict[str, bytes]) -> None:
    html = as_role(client, make_user, "process_owner").get("/models/review_proc/edit").get_data(as_text=True)
    data = page_data(html)
    assert data["key"] == "review_proc" and data["basedOn"] == 2 and data["latest"] == 2
    assert data["xml"] == models["v2"].decode()
    assert data["urls"] == {"validate": "/api/v1/process-models/validate", "deploy": "/api/v1/process-models",
                            "models": "/models"}
    assert data["messages"]["problems"] == "发现 {count} 个问题。"
    for role in ROLES:
        assert f'<option value="{role}">' in html
    assert f'<option value="{FORM_KEY}">审查表 ({FORM_KEY})</option>' in html
    assert f'<option value="{OPERATION}" data-description="Tell the parties of the case (test operation).">' in html
    assert '<option value="case.start_process"' in html
    for field in ("prop-role", "prop-form", "prop-due", "prop-enterprise", "prop-operation", "prop-result",
                  "prop-timer-kind", "prop-timer-expression", "prop-signal-name", "prop-message-name",
                  "prop-correlation-property"):
        assert f'<label for="{field}">' in html and f'id="{field}"' in html
    assert "bpmn-js/dist/bpmn-modeler.production.min.js" in html


def test_editor_can_start_from_an_old_version(client: FlaskClient, make_user: MakeUser,
                                              models: dict[str, bytes]) -> None:
    html = as_role(client, make_user, "process_owner").get("/models/review_proc/edit?version=1").get_data(as_text=True)
    data = page_data(html)
    assert data["basedOn"] == 1 and data["latest"] == 2 and data["xml"] == models["v1"].decode()


def test_new_model_starts_from_a_fresh_executable_diagram(client: FlaskClient, make_user: MakeUser,
                                                          services: Services) -> None:
    as_role(client, make_user, "process_owner")
    first = page_data(client.get("/models/new").get_data(as_text=True))
    second = page_data(client.get("/models/new").get_data(as_text=True))
    assert first["key"] != second["key"] and first["basedOn"] is None
    assert f'<bpmn:process id="{first["key"]}" isExecutable="true">' in first["xml"]
    assert 'bpmnElement="StartEvent_1"' in first["xml"]  # carries DI, so the modeler can draw it
    with services.session_factory() as session:
        problems = services.engine.validate(session, [BpmnFile("new.bpmn", first["xml"].encode())])
    assert all(p.get("element_id") != first["key"] or "executable" not in p["message"] for p in problems)


def test_version_page_is_read_only_and_shows_that_version(client: FlaskClient, make_user: MakeUser,
                                                          models: dict[str, bytes]) -> None:
    as_role(client, make_user, "process_owner")
    for n in (1, 2):
        html = client.get(f"/models/review_proc/versions/{n}").get_data(as_text=True)
        assert page_data(html)["xml"] == models[f"v{n}"].decode()
        assert "bpmn-navigated-viewer.production.min.js" in html and "bpmn-modeler" not in html
        assert f'href="/models/review_proc/edit?version={n}"' in html
    assert 'href="/models/review_proc/diff?a=1&amp;b=2"' in html


@pytest.mark.parametrize("path", ["/models/review_proc/versions/3", "/models/nothing/versions/1",
                                  "/models/nothing/edit", "/models/nothing/diff", "/models/review_proc/diff?a=5"])
def test_missing_models_and_versions_are_404_pages(client: FlaskClient, make_user: MakeUser,
                                                   models: dict[str, bytes], path: str) -> None:
    response = as_role(client, make_user, "process_owner").get(path)
    assert response.status_code == 404 and response.mimetype == "text/html"


@pytest.mark.parametrize("query", ["a=0", "b=x", "version=-1"])
def test_bad_query_arguments_are_400_pages(client: FlaskClient, make_user: MakeUser, models: dict[str, bytes],
                                           query: str) -> None:
    as_role(client, make_user, "process_owner")
    path = "/models/review_proc/edit" if query.startswith("version") else "/models/review_proc/diff"
    response = client.get(f"{path}?{query}")
    assert response.status_code == 400 and response.mimetype == "text/html"


def test_diff_compares_the_chosen_versions(client: FlaskClient, make_user: MakeUser,
                                           models: dict[str, bytes]) -> None:
    as_role(client, make_user, "process_owner")
    data = page_data(client.get("/models/review_proc/diff").get_data(as_text=True))
    assert (data["a"]["version"], data["b"]["version"]) == (1, 2)  # default: latest against the one before
    assert data["a"]["xml"] == models["v1"].decode() and data["b"]["xml"] == models["v2"].decode()
    data = page_data(client.get("/models/review_proc/diff?a=2&b=1").get_data(as_text=True))
    assert (data["a"]["version"], data["b"]["version"]) == (2, 1)
    single = page_data(client.get("/models/other_proc/diff").get_data(as_text=True))
    assert single["a"]["version"] == single["b"]["version"] == 1


def test_diff_page_allows_exactly_its_import_map(client: FlaskClient, make_user: MakeUser,
                                                 models: dict[str, bytes]) -> None:
    response = as_role(client, make_user, "process_owner").get("/models/review_proc/diff")
    html = response.get_data(as_text=True)
    match = IMPORT_MAP.search(html)
    assert match
    policy = response.headers["Content-Security-Policy"]
    assert f"script-src 'self' {hash_source(match.group(1))}" in policy
    assert "unsafe-inline" not in policy
    imports = json.loads(match.group(1))["imports"]
    assert set(imports) == set(MODULES)
    for url in imports.values():  # every mapped module is served
        with client.get(url) as served:
            assert served.status_code == 200, url
    # other pages keep the application's policy: no inline script anywhere else
    assert "sha256-" not in client.get("/models/review_proc/edit").headers["Content-Security-Policy"]
