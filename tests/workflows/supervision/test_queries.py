"""``/api/v1/supervision``: a case's state and the findings list, within the caller's scope."""
from __future__ import annotations

from datetime import datetime, timezone

from .driver import CONTRACTOR, SupervisionApi, assignment, briefing, inspection


def test_findings_list_open_first_and_overdue_by_the_engine_clock(sup: SupervisionApi, project_id: int) -> None:
    case_id = sup.ok(sup.start(project_id), 201)["id"]
    sup.do(case_id, "assign_inspectors", "dadmin", assignment())
    sup.do(case_id, "briefing", "insp1", briefing(held_on="2026-03-02"))
    sup.do(case_id, "record_inspection", "insp1", inspection())
    page = sup.ok(sup.get("insp1", "/supervision/findings", query_string={"status": "open"}))
    assert page["total"] == 2
    assert [(f["position"], f["owner"], f["due_on"]) for f in page["items"]] == [
        (1, CONTRACTOR, "2026-03-09"), (2, CONTRACTOR, "2026-03-09")]
    assert sup.ok(sup.get("contractor", "/supervision/findings", query_string={"owner": CONTRACTOR}))["total"] == 2
    assert sup.ok(sup.get("insp_jb", "/supervision/findings"))["total"] == 0  # another district
    assert sup.ok(sup.get("insp1", "/supervision/findings", query_string={"overdue": "true"}))["total"] == 0
    sup.clock.set(datetime(2026, 3, 10, 1, 0, tzinfo=timezone.utc))
    assert sup.ok(sup.get("insp1", "/supervision/findings", query_string={"overdue": "true"}))["total"] == 2
    assert sup.get("insp1", "/supervision/findings", query_string={"status": "lost"}).status_code == 400


def test_case_summary_is_404_outside_the_scope(sup: SupervisionApi, project_id: int) -> None:
    case_id = sup.ok(sup.start(project_id), 201)["id"]
    assert sup.summary(case_id, "dadmin")["team"] == []
    assert sup.get("insp_jb", f"/supervision/cases/{case_id}").status_code == 404
    assert sup.get("admin", "/supervision/cases/999999").status_code == 404
    assert sup.client.get(f"/api/v1/supervision/cases/{case_id}").status_code == 401
