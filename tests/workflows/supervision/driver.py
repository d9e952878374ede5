"""Drives a supervision case through the HTTP API as the people who work it.

``SupervisionApi`` knows the test users (created on first use with a bearer token), registers
enterprises and a project through ``/api/v1/enterprises`` and ``/api/v1/projects``, deploys the
family's shipped models and offers one method per step of the loop.
"""
from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from engine import SYSTEM, FixedClock
from storage import (
    Document, Finding, Inspection, ProjectRecord, RectificationNotice, RectificationRound, Reminder,
    SupervisionAssignment, Task,
)
from storage.docx_render import docx_text
from tests.fixtures.web import bearer
from web.services import Services
from workflows import bpmn_files
from workflows.reference.credit_code import check_character
from workflows.supervision import FAMILY

START = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # Monday 2 March 2026, 09:00 in Ningbo
API = "/api/v1"
HAISHU = "海曙区"
JIANGBEI = "江北区"


def credit_code(serial: str) -> str:
    """A valid unified social credit code ending in ``serial`` (8 characters of the alphabet)."""
    first17 = "91330203" + serial.rjust(9, "0")
    return first17 + check_character(first17)


BUILDER = credit_code("BUD000001")
CONTRACTOR = credit_code("BUD000002")
SUPERVISOR = credit_code("BUD000003")
OTHER = credit_code("BUD000004")

# name → (role, district, enterprise code, display name)
USERS: dict[str, tuple[str, str | None, str | None, str]] = {
    "admin": ("admin", None, None, "系统管理员"),
    "dadmin": ("district_admin", HAISHU, None, "海曙区管理员"),
    "insp1": ("inspector", HAISHU, None, "张监督"),
    "insp2": ("inspector", HAISHU, None, "李监督"),
    "insp_jb": ("inspector", JIANGBEI, None, "江北监督员"),
    "insp_jb2": ("inspector", JIANGBEI, None, "江北监督员二"),
    "builder": ("enterprise", None, BUILDER, "建设单位经办人"),
    "contractor": ("enterprise", None, CONTRACTOR, "施工单位经办人"),
    "supervisor": ("enterprise", None, SUPERVISOR, "监理单位经办人"),
    "other": ("enterprise", None, OTHER, "无关企业经办人"),
}
ENTERPRISES = {BUILDER: "宁波城建开发有限公司", CONTRACTOR: "浙江甬兴建设集团有限公司",
               SUPERVISOR: "宁波正大工程监理有限公司", OTHER: "杭州无关建筑有限公司"}
PROJECT_NAME = "海曙区望春街道安置房工程"

MODELS: dict[str, type] = {
    "documents": Document, "notices": RectificationNotice, "findings": Finding, "rounds": RectificationRound,
    "inspections": Inspection, "assignments": SupervisionAssignment, "records": ProjectRecord,
    "reminders": Reminder,
}


class SupervisionApi:
    def __init__(self, client: FlaskClient, services: Services, clock: FixedClock,
                 make_user: Callable[..., Any], make_token: Callable[[str], str]) -> None:
        self.client, self.services, self.clock = client, services, clock
        self._make_user, self._make_token = make_user, make_token
        self._tokens: dict[str, str] = {}

    # -- plumbing -----------------------------------------------------------------------
    def token(self, who: str) -> str:
        if who not in self._tokens:
            role, district, enterprise, display = USERS[who]
            self._make_user(who, roles=[(role, district, enterprise)], display_name=display)
            self._tokens[who] = self._make_token(who)
        return self._tokens[who]

    def get(self, who: str, path: str, **kwargs: Any) -> TestResponse:
        return self.client.get(API + path, headers=bearer(self.token(who)), **kwargs)

    def post(self, who: str, path: str, **kwargs: Any) -> TestResponse:
        return self.client.post(API + path, headers=bearer(self.token(who)), **kwargs)

    def ok(self, response: TestResponse, status: int = 200) -> Any:
        assert response.status_code == status, (response.status_code, response.get_json())
        return response.get_json()

    def deploy(self) -> None:
        files = [f for f in bpmn_files([FAMILY])]
        with self.services.session_factory.begin() as session:
            self.services.engine.deploy(session, files, SYSTEM)

    def fire_timers(self) -> int:
        return self.services.engine.fire_due_timers(self.services.session_factory)

    def counts(self) -> dict[str, int]:
        with self.services.session_factory() as session:
            return {name: session.scalar(select(func.count()).select_from(model)) or 0
                    for name, model in MODELS.items()}

    # -- registration -------------------------------------------------------------------
    def register_project(self, code: str = "HS-2026-001", district: str = HAISHU) -> int:
        for enterprise, name in ENTERPRISES.items():
            response = self.post("admin", "/enterprises", json={"code": enterprise, "name": name})
            assert response.status_code in (201, 409), response.get_json()
        body = self.ok(self.post("admin", "/projects", json={
            "code": code, "name": PROJECT_NAME, "district": district, "address": "海曙区望春街道联丰路88号",
            "supervision_start": "2026-03-01", "construction_start": "2026-03-01",
            "parties": [{"role": "builder", "enterprise_code": BUILDER},
                        {"role": "contractor", "enterprise_code": CONTRACTOR},
                        {"role": "supervisor", "enterprise_code": SUPERVISOR}],
        }), 201)
        return int(body["id"])

    def start(self, project_id: int, who: str = "dadmin") -> TestResponse:
        return self.post(who, "/cases", json={"process_key": "supervision_case", "project_id": project_id})

    # -- tasks --------------------------------------------------------------------------
    def open_tasks(self, case_id: int, who: str = "admin") -> list[dict[str, Any]]:
        return self.ok(self.get(who, "/tasks", query_string={"case_id": case_id}))["items"]  # type: ignore[no-any-return]

    def task(self, case_id: int, bpmn_id: str, who: str = "admin") -> dict[str, Any]:
        found = [t for t in self.open_tasks(case_id, who) if t["bpmn_id"] == bpmn_id]
        assert len(found) == 1, [(t["bpmn_id"], t["role"]) for t in self.open_tasks(case_id)]
        return found[0]

    def open_bpmn_ids(self, case_id: int) -> list[str]:
        return sorted(t["bpmn_id"] for t in self.open_tasks(case_id))

    def complete(self, who: str, task_id: int, data: Mapping[str, Any]) -> TestResponse:
        return self.post(who, f"/tasks/{task_id}/complete", json={"data": dict(data)})

    def do(self, case_id: int, bpmn_id: str, who: str, data: Mapping[str, Any]) -> dict[str, Any]:
        task = self.task(case_id, bpmn_id, who)
        self.ok(self.complete(who, task["id"], data))
        return task

    def task_state(self, task_id: int) -> str:
        with self.services.session_factory() as session:
            task = session.get(Task, task_id)
            assert task is not None
            return task.state

    # -- documents ----------------------------------------------------------------------
    def upload(self, who: str, case_id: int, data: bytes, filename: str, kind: str = "evidence") -> TestResponse:
        form = {"file": (io.BytesIO(data), filename), "case_id": str(case_id), "kind": kind}
        return self.post(who, "/documents", data=form, content_type="multipart/form-data")

    def uploaded(self, who: str, case_id: int, data: bytes, filename: str) -> int:
        return int(self.ok(self.upload(who, case_id, data, filename), 201)["id"])

    def documents(self, case_id: int, kind: str | None = None) -> list[dict[str, Any]]:
        docs = self.ok(self.get("admin", f"/cases/{case_id}/documents"))
        return [d for d in docs if kind is None or d["kind"] == kind]

    def text(self, document_id: int, who: str = "admin") -> str:
        response = self.get(who, f"/documents/{document_id}")
        assert response.status_code == 200, response.status_code
        return docx_text(response.data)

    def summary(self, case_id: int, who: str = "admin") -> dict[str, Any]:
        return self.ok(self.get(who, f"/supervision/cases/{case_id}"))  # type: ignore[no-any-return]


# -- form data of each step -----------------------------------------------------------------

def assignment(**over: Any) -> dict[str, Any]:
    return {"inspectors": ["insp1", "insp2"], "lead_inspector": "insp1", "briefing_on": "2026-03-04", **over}


def briefing(**over: Any) -> dict[str, Any]:
    return {"held_on": "2026-03-04", "location": "项目部会议室", "builder_representative": "王建设",
            "contractor_representative": "陈项目", "supervisor_representative": "赵总监",
            "inspectors_present": ["insp1", "insp2"],
            "key_points": ["落实建设单位首要责任", "危大工程专项方案须经论证后实施"], **over}


def inspection(**over: Any) -> dict[str, Any]:
    return {"inspected_on": "2026-03-02", "inspectors": ["insp1", "insp2"], "scope": "主体结构、脚手架",
            "summary": "现场施工有序，但存在安全隐患。", "severity": "general",
            "findings": ["3号楼外脚手架连墙件缺失", "2号楼临边防护栏杆高度不足"],
            "next_step": "continue", "next_inspection_on": "2026-04-01", **over}


def reply(evidence: list[int], **over: Any) -> dict[str, Any]:
    return {"measures": "已补设连墙件并加高防护栏杆。", "completed_on": "2026-03-02", "evidence": evidence, **over}


def review(result: str, **over: Any) -> dict[str, Any]:
    return {"reviewed_on": "2026-03-02", "result": result,
            "opinion": "经复查，整改到位。" if result == "accepted" else "连墙件间距仍不符合规范。", **over}
