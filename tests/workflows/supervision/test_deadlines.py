"""The injected clock past a deadline: the reminder, then the escalation, appear.

Timers fire through ``engine.fire_due_timers`` (what the worker runs), on the app's clock.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.fixtures.samples import pdf_bytes

from .driver import CONTRACTOR, SupervisionApi, assignment, briefing, inspection, reply, review

DEADLINE_PASSES = datetime(2026, 3, 9, 16, 0, tzinfo=timezone.utc)  # midnight after 9 March in Ningbo


def _notice_issued(sup: SupervisionApi, project_id: int) -> int:
    case_id = sup.ok(sup.start(project_id), 201)["id"]
    sup.do(case_id, "assign_inspectors", "dadmin", assignment())
    sup.do(case_id, "briefing", "insp1", briefing(held_on="2026-03-02"))
    sup.do(case_id, "record_inspection", "insp1", inspection())  # deadline: 7 days, 9 March
    return int(case_id)


def test_overdue_reply_gives_a_reminder_then_an_escalation(sup: SupervisionApi, project_id: int) -> None:
    case_id = _notice_issued(sup, project_id)
    reply_task = sup.task(case_id, "reply", "contractor")

    sup.clock.set(DEADLINE_PASSES - timedelta(seconds=1))
    assert sup.fire_timers() == 0
    assert sup.task_state(reply_task["id"]) == "open"

    # The deadline passes: the reply is withdrawn, a reminder goes to the contractor, who
    # gets a last period (reminder_grace, 3 days) in a new task.
    sup.clock.set(DEADLINE_PASSES)
    assert sup.fire_timers() == 1
    assert sup.task_state(reply_task["id"]) == "cancelled"
    late = sup.task(case_id, "reply_late", "contractor")
    assert late["role"] == "enterprise" and late["name"] == "逾期整改回复（已催告）"
    assert late["due_at"] == "2026-03-12T16:00:00+00:00"
    (reminder,) = sup.summary(case_id)["reminders"]
    assert reminder["subject"] == "rectification_reply" and reminder["recipient_enterprise"] == CONTRACTOR
    assert "甬建监（海曙区）整〔2026〕第0001号" in reminder["message"] and "已逾期" in reminder["message"]
    assert sup.summary(case_id, "contractor")["notices"][0]["rounds_detail"][0]["reminded_at"] is not None

    # The last period passes too: the district admin must decide.
    sup.clock.advance(timedelta(days=3))
    assert sup.fire_timers() == 1
    assert sup.task_state(late["id"]) == "cancelled"
    escalate = sup.task(case_id, "escalate", "dadmin")
    assert escalate["role"] == "district_admin" and escalate["due_at"] == "2026-03-15T16:00:00+00:00"
    assert "escalate" not in [t["bpmn_id"] for t in sup.open_tasks(case_id, "insp1")]  # not the inspectors' task

    sup.ok(sup.complete("dadmin", escalate["id"], {"decision": "stop_work", "reasons": "逾期未整改，隐患仍存在。",
                                                     "new_deadline": "2026-03-20"}))
    (order,) = sup.documents(case_id, "stop_work_order")
    text = sup.text(order["id"])
    assert text.startswith("停工整改通知书\n甬建监（海曙区）停〔2026〕第0001号\n")
    assert "原通知书\t甬建监（海曙区）整〔2026〕第0001号" in text and "整改期限\t2026年3月20日" in text
    assert "立即停工整改" in text
    (notice,) = sup.summary(case_id)["notices"]
    assert notice["escalated"] and notice["rounds"] == 2 and notice["deadline"] == "2026-03-20"
    assert notice["rounds_detail"][0]["escalation"] == "stop_work"
    assert all(f["due_on"] == "2026-03-20" and f["status"] == "open" for f in notice["findings"])
    # The rectification goes on: a new round with the new deadline, which the contractor can close.
    second = sup.task(case_id, "reply", "contractor")
    assert second["due_at"] == "2026-03-20T16:00:00+00:00"
    evidence = sup.uploaded("contractor", case_id, pdf_bytes("done"), "整改.pdf")
    sup.ok(sup.complete("contractor", second["id"], reply([evidence], completed_on="2026-03-13")))
    sup.do(case_id, "review", "insp1", review("accepted", reviewed_on="2026-03-13"))
    assert sup.summary(case_id)["notices"][0]["status"] == "closed"


def test_penalty_transfer_is_documented(sup: SupervisionApi, project_id: int) -> None:
    case_id = _notice_issued(sup, project_id)
    sup.clock.set(DEADLINE_PASSES)
    sup.fire_timers()
    sup.clock.advance(timedelta(days=3))
    sup.fire_timers()
    sup.do(case_id, "escalate", "dadmin", {"decision": "penalty_transfer", "reasons": "拒不整改。",
                                            "new_deadline": "2026-03-25"})
    (doc,) = sup.documents(case_id, "penalty_transfer")
    text = sup.text(doc["id"])
    assert text.startswith("行政处罚案件移交书\n甬建监（海曙区）移〔2026〕第0001号\n")
    assert "移交行政处罚" in text and "2026年3月25日前完成整改" in text


def test_a_late_reply_after_the_reminder_still_closes_the_loop(sup: SupervisionApi, project_id: int) -> None:
    case_id = _notice_issued(sup, project_id)
    sup.clock.set(DEADLINE_PASSES + timedelta(hours=1))
    assert sup.fire_timers() == 1
    evidence = sup.uploaded("contractor", case_id, pdf_bytes("late"), "整改.pdf")
    sup.do(case_id, "reply_late", "contractor", reply([evidence], completed_on="2026-03-10"))
    assert sup.open_bpmn_ids(case_id) == ["record_inspection", "review"]
    sup.clock.advance(timedelta(days=5))
    assert sup.fire_timers() == 0  # the escalation timer went with the late-reply task


def _acceptance_scheduled(sup: SupervisionApi, project_id: int) -> int:
    case_id = sup.ok(sup.start(project_id), 201)["id"]
    sup.do(case_id, "assign_inspectors", "dadmin", assignment())
    sup.do(case_id, "briefing", "insp1", briefing(held_on="2026-03-02"))
    sup.do(case_id, "record_inspection", "insp1", inspection(severity="none", findings=[], next_step="complete",
                                                             next_inspection_on=None))
    plan = sup.uploaded("builder", case_id, pdf_bytes("plan"), "方案.pdf")
    sup.do(case_id, "notify_acceptance", "builder", {
        "acceptance_on": "2026-03-11", "location": "现场", "organizer": "王建设", "participants": "五方责任主体",
        "documents": [plan]})
    return int(case_id)


def test_acceptance_report_and_filing_reminders_fall_due(sup: SupervisionApi, project_id: int) -> None:
    case_id = _acceptance_scheduled(sup, project_id)  # Mon 2 → Wed 11 March: 7 working days
    sup.clock.set(datetime(2026, 3, 11, 1, 0, tzinfo=timezone.utc))
    assert sup.fire_timers() == 1
    report = sup.task(case_id, "supervise_acceptance", "insp1")
    assert report["due_at"] == "2026-03-16T16:00:00+00:00"
    sup.clock.set(datetime(2026, 3, 16, 16, 0, tzinfo=timezone.utc))
    assert sup.fire_timers() == 1
    (reminder,) = sup.summary(case_id)["reminders"]
    assert reminder["subject"] == "acceptance_report" and reminder["recipient_role"] == "inspector"
    assert sup.task_state(report["id"]) == "open"  # the report is still owed
    sup.do(case_id, "supervise_acceptance", "insp2", {
        "held_on": "2026-03-11", "inspectors": ["insp1", "insp2"], "procedure_compliant": False,
        "opinion": "验收程序存在瑕疵。", "issues": ["勘察单位未到场"]})
    filing = sup.task(case_id, "file_acceptance", "builder")
    assert filing["due_at"] == "2026-03-26T16:00:00+00:00"
    sup.clock.set(datetime(2026, 3, 26, 16, 0, tzinfo=timezone.utc))
    assert sup.fire_timers() == 1
    reminders = sup.summary(case_id)["reminders"]
    assert [r["subject"] for r in reminders] == ["acceptance_report", "acceptance_filing"]
    assert reminders[1]["recipient_enterprise"] is not None and "备案已逾期" in reminders[1]["message"]
