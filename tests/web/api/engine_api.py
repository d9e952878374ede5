"""Helpers for the engine API tests: a test process family, small models, callers by name.

Each engine API test module points its app at a fixed clock and the test family::

    @pytest.fixture
    def app_config(app_config, clock):
        return engine_config(app_config, clock)

and asks for ``api`` (an :class:`Api`: a test client that knows every test user's token).
"""
from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from marshmallow import Schema, fields, validate
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from engine import FixedClock
from storage import Project, ProjectParty
from tests.fixtures import bpmn
from tests.fixtures.web import bearer
from workflows import ProcessFamily, Registries

START = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # a Monday, 09:00 in Shanghai
API = "/api/v1"
ACME = "91330200ACME00001X"
OTHER = "91330200OTHER0002Y"
HAISHU = "海曙区"
JIANGBEI = "江北区"
FORM_KEY = "apitest.inspection"

# Every test user: name → (role, district, enterprise code). Created on first use.
USERS: dict[str, tuple[str, str | None, str | None]] = {
    "admin": ("admin", None, None),
    "owner": ("process_owner", None, None),
    "insp": ("inspector", HAISHU, None),
    "insp2": ("inspector", HAISHU, None),
    "insp_jb": ("inspector", JIANGBEI, None),
    "dadmin": ("district_admin", HAISHU, None),
    "acme": ("enterprise", None, ACME),
    "other": ("enterprise", None, OTHER),
    "aud": ("auditor", None, None),
}


class InspectionForm(Schema):
    passed = fields.Boolean(required=True, metadata={"label": "是否合格"})
    inspected_on = fields.Date(required=True, metadata={"label": "检查日期"})
    severity = fields.String(validate=validate.OneOf(["minor", "serious"]), load_default="minor")


def _register(registries: Registries) -> None:
    registries.forms.register(FORM_KEY, InspectionForm, "监督检查")


TEST_FAMILY = ProcessFamily("apitest", Path(__file__).parent / "no_such_bpmn_dir", _register)


def engine_config(app_config: dict[str, Any], clock: FixedClock) -> dict[str, Any]:
    return {**app_config, "CLOCK": clock, "EXTRA_FAMILIES": [TEST_FAMILY]}


class Api:
    """A test client calling ``/api/v1`` as one of :data:`USERS` (``None``: no token)."""

    def __init__(self, client: FlaskClient, create: Callable[[str], tuple[int, str]]) -> None:
        self.client = client
        self._create = create
        self._users: dict[str, tuple[int, str]] = {}

    def _user(self, who: str) -> tuple[int, str]:
        if who not in self._users:
            self._users[who] = self._create(who)
        return self._users[who]

    def token(self, who: str) -> str:
        return self._user(who)[1]

    def user_id(self, who: str) -> int:
        return self._user(who)[0]

    def with_client(self, client: FlaskClient) -> Api:
        """The same users (and tokens) on another client, e.g. for another thread."""
        other = Api(client, self._create)
        other._users = self._users
        return other

    def headers(self, who: str | None) -> dict[str, str]:
        return bearer(self.token(who)) if who else {}

    def get(self, who: str | None, path: str, **kwargs: Any) -> TestResponse:
        return self.client.get(API + path, headers=self.headers(who), **kwargs)

    def post(self, who: str | None, path: str, **kwargs: Any) -> TestResponse:
        return self.client.post(API + path, headers=self.headers(who), **kwargs)

    def upload(self, who: str | None, path: str, data: bytes, filename: str = "model.bpmn",
               **form: str) -> TestResponse:
        body = {"file": (io.BytesIO(data), filename), **form}
        return self.post(who, path, data=body, content_type="multipart/form-data")

    def deploy(self, xml: bytes, who: str | None = "owner", filename: str = "model.bpmn") -> TestResponse:
        return self.upload(who, "/process-models", xml, filename)

    def deployed(self, xml: bytes) -> dict[str, Any]:
        response = self.deploy(xml)
        assert response.status_code in (200, 201), response.get_json()
        return response.get_json()  # type: ignore[no-any-return]

    def start(self, key: str, who: str | None = "admin", data: Mapping[str, Any] | None = None,
              project_id: int | None = None) -> TestResponse:
        body: dict[str, Any] = {"process_key": key, "data": dict(data or {})}
        if project_id is not None:
            body["project_id"] = project_id
        return self.post(who, "/cases", json=body)

    def started(self, key: str, who: str = "admin", data: Mapping[str, Any] | None = None,
                project_id: int | None = None) -> dict[str, Any]:
        response = self.start(key, who, data, project_id)
        assert response.status_code == 201, response.get_json()
        return response.get_json()  # type: ignore[no-any-return]

    def tasks(self, who: str, **query: Any) -> list[dict[str, Any]]:
        response = self.get(who, "/tasks", query_string=query)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["items"]  # type: ignore[no-any-return]

    def open_task(self, case_id: int, who: str = "admin") -> dict[str, Any]:
        """The case's one open task (as the admin sees it)."""
        (task,) = self.tasks(who, case_id=case_id)
        return task

    def complete(self, who: str | None, task_id: int, data: Any = None) -> TestResponse:
        return self.post(who, f"/tasks/{task_id}/complete", json={} if data is None else {"data": data})


def make_projects(session_factory: sessionmaker[Session]) -> dict[str, int]:
    """ACME's project in 海曙区 ("acme"), OTHER's in 江北区 ("other"), a partyless one in 海曙区."""
    with session_factory.begin() as session:
        acme = Project(code="P-ACME", name="宁波中心", district=HAISHU,
                       parties=[ProjectParty(enterprise_code=ACME, party_role="contractor")])
        other = Project(code="P-OTHER", name="江北大桥", district=JIANGBEI,
                        parties=[ProjectParty(enterprise_code=OTHER, party_role="contractor")])
        bare = Project(code="P-BARE", name="海曙小学", district=HAISHU)
        session.add_all([acme, other, bare])
        session.flush()
        return {"acme": acme.id, "other": other.id, "bare": bare.id}


# -- models -----------------------------------------------------------------------------

def inspection(pid: str = "inspection", *, form: str | None = FORM_KEY, due: str | None = None,
               lane: str | None = "inspector", name: str | None = None) -> bytes:
    """start → inspect (lane ``lane``, form ``form``, due ``due``) → archive (no lane) → end."""
    inner = ('<bpmn:startEvent id="start"/>' + bpmn.user_task("inspect", "现场检查", form=form, due=due)
             + bpmn.user_task("archive", "归档") + '<bpmn:endEvent id="end"/>'
             + bpmn.flow("f0", "start", "inspect") + bpmn.flow("f1", "inspect", "archive")
             + bpmn.flow("f2", "archive", "end"))
    lanes = {lane: ["inspect"]} if lane else None
    return bpmn.process(pid, inner, lanes=lanes, name=name)


SIGNAL_DEF = ('<bpmn:signal id="Sig_alarm" name="device_alarm"><bpmn:extensionElements>'
              '<spiffworkflow:variableName>alarm</spiffworkflow:variableName></bpmn:extensionElements>'
              '</bpmn:signal>')


def alarm_wait(pid: str = "alarm_wait") -> bytes:
    """start → wait for signal ``device_alarm`` (payload into ``alarm``) → handle → end."""
    inner = ('<bpmn:startEvent id="start"/><bpmn:intermediateCatchEvent id="wait">'
             '<bpmn:signalEventDefinition signalRef="Sig_alarm"/></bpmn:intermediateCatchEvent>'
             + bpmn.user_task("handle") + '<bpmn:endEvent id="end"/>'
             + bpmn.flow("f0", "start", "wait") + bpmn.flow("f1", "wait", "handle")
             + bpmn.flow("f2", "handle", "end"))
    return bpmn.process(pid, inner, extra=SIGNAL_DEF)


def lab_result_wait(pid: str = "lab_result") -> bytes:
    """start → wait for message ``test_result`` correlated by ``project_code`` → read → end."""
    return bpmn.correlated_message_wait(pid)
