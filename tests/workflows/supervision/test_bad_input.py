"""Bad input to the supervision loop: refused field by field, nothing partial ever stored.

Each refused request leaves the task open and every supervision table, the documents and the
project records exactly as they were.
"""
from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update

from storage import RectificationNotice
from tests.fixtures.samples import exe_bytes, pdf_bytes, png_bytes

from .driver import SupervisionApi, assignment, briefing, inspection, reply, review


def refused(sup: SupervisionApi, who: str, task: dict[str, Any], data: dict[str, Any], status: int = 400) -> Any:
    """Complete ``task`` with bad ``data``: the answer is ``status`` and nothing changed."""
    before = sup.counts()
    response = sup.complete(who, task["id"], data)
    assert response.status_code == status, response.get_json()
    assert sup.counts() == before
    assert sup.task_state(task["id"]) == "open"
    return response.get_json()


def _case(sup: SupervisionApi, project_id: int, until: str = "assign_inspectors") -> int:
    case_id = int(sup.ok(sup.start(project_id), 201)["id"])
    if until == "assign_inspectors":
        return case_id
    sup.do(case_id, "assign_inspectors", "dadmin", assignment())
    if until == "briefing":
        return case_id
    sup.do(case_id, "briefing", "insp1", briefing(held_on="2026-03-02"))
    if until == "record_inspection":
        return case_id
    sup.do(case_id, "record_inspection", "insp1", inspection())
    return case_id


def test_assignment_refuses_missing_fields_and_weak_teams(sup: SupervisionApi, project_id: int) -> None:
    case_id = _case(sup, project_id)
    task = sup.task(case_id, "assign_inspectors", "dadmin")
    body = refused(sup, "dadmin", task, {})
    assert set(body["details"]) == {"inspectors", "briefing_on"}
    assert refused(sup, "dadmin", task, assignment(inspectors=["insp1"]))["details"] == {
        "inspectors": ["At least 2 different inspectors are required."]}
    assert refused(sup, "dadmin", task, assignment(inspectors=["insp1", "insp1"]))["details"] == {
        "inspectors": ["An inspector is listed twice."]}
    assert "lead_inspector" in refused(sup, "dadmin", task, assignment(lead_inspector="insp_jb"))["details"]
    # Checked by the step's service: users, their district, the engine's today.
    body = refused(sup, "dadmin", task, assignment(inspectors=["insp1", "nobody", "insp_jb"], lead_inspector=None,
                                                   briefing_on="2026-03-01"))
    assert body["details"] == {"inspectors": ["nobody is not a user.", "insp_jb is not an inspector of 海曙区."],
                               "briefing_on": ["Must not be before today (2026-03-02)."]}
    assert refused(sup, "dadmin", task, {**assignment(), "surprise": 1})["details"] == {
        "surprise": ["Unknown field."]}
    sup.ok(sup.complete("dadmin", task["id"], assignment()))


def test_inspection_refuses_past_deadlines_and_inconsistent_findings(sup: SupervisionApi, project_id: int) -> None:
    case_id = _case(sup, project_id, "record_inspection")
    task = sup.task(case_id, "record_inspection", "insp1")
    body = refused(sup, "insp1", task, inspection(deadline="2026-03-02", next_inspection_on="2026-02-28"))
    assert body["details"] == {"deadline": ["Must be after today (2026-03-02)."],
                               "next_inspection_on": ["Must be after today (2026-03-02)."]}
    assert "inspected_on" in refused(sup, "insp1", task, inspection(inspected_on="2026-03-03"))["details"]
    assert "severity" in refused(sup, "insp1", task, inspection(severity="none"))["details"]
    assert "findings" in refused(sup, "insp1", task, inspection(findings=[]))["details"]
    assert "severity" in refused(sup, "insp1", task, inspection(severity="catastrophic"))["details"]
    assert "next_inspection_on" in refused(sup, "insp1", task, inspection(next_inspection_on=None))["details"]
    assert "inspected_on" in refused(sup, "insp1", task, inspection(inspected_on="3 March"))["details"]
    sup.ok(sup.complete("insp1", task["id"], inspection()))


def test_evidence_must_be_this_cases_documents(sup: SupervisionApi, project_id: int) -> None:
    case_id = _case(sup, project_id, "reply")
    other_project = sup.register_project(code="HS-2026-002")
    other_case = int(sup.ok(sup.start(other_project), 201)["id"])
    foreign = sup.uploaded("contractor", other_case, pdf_bytes("other"), "其他.pdf")
    task = sup.task(case_id, "reply", "contractor")
    assert refused(sup, "contractor", task, reply([]))["details"] == {"evidence": ["Length must be between 1 and 30."]}
    body = refused(sup, "contractor", task, reply([foreign, 999_999]))
    assert body["details"] == {"evidence": [f"Document {foreign} was not uploaded to this case.",
                                            "Document 999999 does not exist."]}
    assert "evidence" in refused(sup, "contractor", task, reply(["1; DROP TABLE document"]))["details"]
    assert "completed_on" in refused(sup, "contractor", task, reply([foreign], completed_on="2026-12-31"))["details"]
    assert set(refused(sup, "contractor", task, {})["details"]) == {"measures", "completed_on", "evidence"}


def test_evidence_uploads_too_large_or_of_a_forbidden_type_are_refused(sup: SupervisionApi, project_id: int) -> None:
    case_id = _case(sup, project_id, "reply")
    before = sup.counts()
    too_large = sup.upload("contractor", case_id, b"%PDF-1.4\n" + b"0" * (sup.services.documents.max_bytes + 1),
                           "大文件.pdf")
    assert too_large.status_code == 413, too_large.get_json()
    forbidden = sup.upload("contractor", case_id, exe_bytes(), "整改照片.jpg")
    assert forbidden.status_code == 400 and forbidden.get_json()["error"] == "unsupported_type"
    disguised = sup.upload("contractor", case_id, exe_bytes(), "setup.exe")
    assert disguised.status_code == 400
    assert sup.counts() == before


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "MAX_UPLOAD_BYTES": 256 * 1024}  # keeps the "too large" upload small


def test_replying_to_a_closed_notice_is_a_conflict(sup: SupervisionApi, project_id: int) -> None:
    case_id = _case(sup, project_id, "reply")
    evidence = sup.uploaded("contractor", case_id, png_bytes(), "整改后.png")
    first = sup.do(case_id, "reply", "contractor", reply([evidence]))
    sup.do(case_id, "review", "insp1", review("accepted"))
    again = sup.complete("contractor", first["id"], reply([evidence]))
    assert again.status_code == 409, again.get_json()


def test_a_reply_to_a_notice_closed_meanwhile_is_a_conflict(sup: SupervisionApi, project_id: int) -> None:
    """Even with its reply task still open, a closed notice takes no reply (service check)."""
    case_id = _case(sup, project_id, "reply")
    evidence = sup.uploaded("contractor", case_id, png_bytes(), "整改后.png")
    task = sup.task(case_id, "reply", "contractor")
    with sup.services.session_factory.begin() as session:
        session.execute(update(RectificationNotice).values(status="closed"))
    body = refused(sup, "contractor", task, reply([evidence]), status=409)
    assert body["error"] == "conflict" and "already closed" in body["message"]


def test_an_enterprise_cannot_act_on_another_enterprises_project(sup: SupervisionApi, project_id: int) -> None:
    case_id = _case(sup, project_id, "reply")
    task = sup.task(case_id, "reply", "contractor")
    # An enterprise that is no party to the project does not see the task, the case or its documents.
    assert sup.complete("other", task["id"], reply([1])).status_code == 404
    assert sup.get("other", f"/tasks/{task['id']}").status_code == 404
    assert sup.get("other", f"/supervision/cases/{case_id}").status_code == 404
    assert sup.upload("other", case_id, png_bytes(), "x.png").status_code == 403
    (notice,) = sup.documents(case_id, "rectification_notice")
    assert sup.get("other", f"/documents/{notice['id']}").status_code == 403
    assert sup.ok(sup.get("other", "/supervision/findings"))["total"] == 0
    # The supervising engineer is a party, but the notice is addressed to the contractor.
    evidence = sup.uploaded("supervisor", case_id, png_bytes(), "监理.png")
    body = refused(sup, "supervisor", task, reply([evidence]), status=403)
    assert body["error"] == "forbidden"
    # Enterprises do not open supervision cases, not even for their own project.
    assert sup.start(project_id, who="contractor").status_code == 403
    assert sup.start(project_id, who="other").status_code == 403


def test_a_project_has_one_active_supervision_case(sup: SupervisionApi, project_id: int) -> None:
    _case(sup, project_id)
    before = sup.counts()
    second = sup.start(project_id)
    assert second.status_code == 409 and "already under supervision" in second.get_json()["message"]
    assert sup.counts() == before
    cases = sup.ok(sup.get("admin", "/cases", query_string={"project_id": project_id}))
    assert cases["total"] == 1


def test_completion_acceptance_waits_for_open_findings(sup: SupervisionApi, project_id: int, client: FlaskClient) -> None:
    case_id = _case(sup, project_id, "reply")
    task = sup.task(case_id, "record_inspection", "insp1")
    body = refused(sup, "insp1", task, inspection(severity="none", findings=[], next_step="complete",
                                                  next_inspection_on=None))
    assert body["details"] == {"next_step": ["2 problem(s) of earlier notices are still open."]}
