"""Through the HTTP API: a project from registration to the end of its supervision.

Assignment → briefing → an inspection with findings → a rectification notice → two rejected
rounds and an accepted one → a clean inspection → completion acceptance (notice, timer on the
acceptance day, report, filing) → the case is closed. Every generated document is downloaded
and its text checked: title, 文号, parties, items, deadline, signature and date.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from storage import Project, ProjectRecord
from tests.fixtures.samples import pdf_bytes, png_bytes

from .driver import (
    BUILDER, CONTRACTOR, ENTERPRISES, PROJECT_NAME, SUPERVISOR, SupervisionApi, assignment, briefing, inspection,
    reply, review,
)

AUTHORITY = "宁波市住房和城乡建设局"


def _parties_in(text: str) -> None:
    assert f"工程名称\t{PROJECT_NAME}" in text
    assert f"建设单位\t{ENTERPRISES[BUILDER]}" in text
    assert f"施工单位\t{ENTERPRISES[CONTRACTOR]}" in text
    assert f"监理单位\t{ENTERPRISES[SUPERVISOR]}" in text


def test_a_project_from_registration_to_closure(sup: SupervisionApi, project_id: int) -> None:
    # 1. Assignment (分配监督任务) by the district admin.
    case_id = sup.ok(sup.start(project_id), 201)["id"]
    task = sup.task(case_id, "assign_inspectors", "dadmin")
    assert task["role"] == "district_admin" and task["due_at"].startswith("2026-03-05")
    sup.ok(sup.complete("dadmin", task["id"], assignment()))
    summary = sup.summary(case_id)
    assert [(m["inspector"], m["is_lead"]) for m in summary["team"]] == [("insp1", True), ("insp2", False)]

    # 2. Briefing (交底) by an inspector: the briefing record.
    task = sup.task(case_id, "briefing", "insp1")
    assert task["due_at"] == "2026-03-04T16:00:00+00:00"  # end of the planned day, Ningbo time
    sup.do(case_id, "briefing", "insp2", briefing(held_on="2026-03-02"))
    (record,) = sup.documents(case_id, "briefing_record")
    text = sup.text(record["id"])
    assert text.startswith("质量安全监督交底记录\n甬建监（海曙区）交〔2026〕第0001号\n")
    _parties_in(text)
    assert "参会人员\t建设单位：王建设；施工单位：陈项目；监理单位：赵总监" in text
    assert "监督人员\t张监督、李监督" in text
    assert "1. 落实建设单位首要责任\n2. 危大工程专项方案须经论证后实施" in text
    assert text.endswith(f"{AUTHORITY}\n2026年3月2日")

    # 3. Inspection with findings: supervision record + rectification notice (default 7 days).
    photo = sup.uploaded("insp1", case_id, png_bytes(), "现场.png")
    sup.do(case_id, "record_inspection", "insp1", inspection(photos=[photo]))
    (record,) = sup.documents(case_id, "supervision_record")
    text = sup.text(record["id"])
    assert text.startswith("建设工程质量安全监督记录\n甬建监（海曙区）记〔2026〕第0001号\n")
    _parties_in(text)
    assert "检查人员\t张监督、李监督" in text and "检查部位及内容\t主体结构、脚手架" in text
    assert "1. 3号楼外脚手架连墙件缺失\n2. 2号楼临边防护栏杆高度不足" in text
    (notice_doc,) = sup.documents(case_id, "rectification_notice")
    text = sup.text(notice_doc["id"])
    assert text.startswith("整改通知书\n甬建监（海曙区）整〔2026〕第0001号\n")
    _parties_in(text)
    assert f"受通知单位\t{ENTERPRISES[CONTRACTOR]}" in text and "整改期限\t2026年3月9日" in text
    assert f"{ENTERPRISES[CONTRACTOR]}：\n" in text and "于2026年3月9日前整改完毕" in text
    assert "1. 3号楼外脚手架连墙件缺失\n2. 2号楼临边防护栏杆高度不足" in text
    assert text.endswith(f"{AUTHORITY}\n2026年3月2日")
    (notice,) = sup.summary(case_id)["notices"]
    assert notice["status"] == "open" and notice["owner"] == CONTRACTOR and notice["deadline"] == "2026-03-09"
    assert [(f["owner"], f["due_on"], f["status"]) for f in notice["findings"]] == [
        (CONTRACTOR, "2026-03-09", "open")] * 2
    assert sup.open_bpmn_ids(case_id) == ["record_inspection", "reply"]  # the next inspection runs too

    # 4. Two rejected rounds, then an accepted one; each round a new short instance.
    deadlines = []
    for round_no, result in enumerate(["rejected", "rejected", "accepted"], start=1):
        reply_task = sup.task(case_id, "reply", "contractor")
        assert reply_task["role"] == "enterprise"
        if round_no == 1:  # the notice's owner alone is offered the reply; the other parties may not claim it
            assert sup.open_tasks(case_id, "builder") == [] and sup.open_tasks(case_id, "supervisor") == []
            assert sup.post("supervisor", f"/tasks/{reply_task['id']}/claim").status_code == 403
        evidence = sup.uploaded("contractor", case_id, pdf_bytes(f"round {round_no}"), f"整改回复{round_no}.pdf")
        sup.ok(sup.complete("contractor", reply_task["id"], reply([evidence])))
        extra = {"next_deadline": "2026-03-20"} if round_no == 2 else {}
        sup.clock.advance(timedelta(days=1))
        sup.do(case_id, "review", "insp2", review(result, reviewed_on=sup.clock.now().date().isoformat(), **extra))
        deadlines.append(sup.summary(case_id)["notices"][0]["deadline"])
    assert deadlines == ["2026-03-10", "2026-03-20", "2026-03-20"]  # default 7 days after the 1st review
    (notice,) = sup.summary(case_id)["notices"]
    assert notice["status"] == "closed" and notice["rounds"] == 3
    assert [r["result"] for r in notice["rounds_detail"]] == ["rejected", "rejected", "accepted"]
    assert all(f["status"] == "closed" and f["rounds"] == 3 for f in notice["findings"])
    reviews = sup.documents(case_id, "review_record")
    assert len(reviews) == 3
    first, last = sup.text(reviews[0]["id"]), sup.text(reviews[-1]["id"])
    assert first.startswith("整改复查记录\n甬建监（海曙区）复〔2026〕第0001号\n")
    assert "整改通知书\t甬建监（海曙区）整〔2026〕第0001号" in first and "复查轮次\t第1轮" in first
    assert "复查结论\t整改不合格，须继续整改。" in first and "复查意见：连墙件间距仍不符合规范。" in first
    assert last.startswith("整改复查记录\n甬建监（海曙区）复〔2026〕第0003号\n") and "整改合格，问题销号" in last

    # 5. A clean inspection ends daily supervision: completion acceptance begins.
    today = sup.clock.now().date()
    sup.do(case_id, "record_inspection", "insp1", inspection(
        inspected_on=today.isoformat(), severity="none", findings=[], next_step="complete", next_inspection_on=None))
    assert sup.open_bpmn_ids(case_id) == ["notify_acceptance"]
    assert len(sup.documents(case_id, "supervision_record")) == 2

    # 6. Notice ≥ 7 working days ahead (Thu 5 March → Mon 16 March is the earliest).
    plan = sup.uploaded("builder", case_id, pdf_bytes("plan"), "竣工验收方案.pdf")
    notice_data = {"acceptance_on": "2026-03-13", "location": "项目现场", "organizer": "王建设",
                   "participants": "建设、施工、监理、设计、勘察单位", "documents": [plan]}
    task = sup.task(case_id, "notify_acceptance", "builder")
    assert sup.open_tasks(case_id, "contractor") == []  # the builder's to announce
    early = sup.complete("builder", task["id"], notice_data)
    assert early.status_code == 400 and "2026-03-16" in early.get_json()["details"]["acceptance_on"][0]
    sup.ok(sup.complete("builder", task["id"], {**notice_data, "acceptance_on": "2026-03-16"}))
    assert sup.open_bpmn_ids(case_id) == []  # waiting for the acceptance day
    assert sup.fire_timers() == 0
    sup.clock.set(sup.clock.now().replace(day=16, hour=1))  # 16 March, 09:00 in Ningbo
    assert sup.fire_timers() == 1
    task = sup.task(case_id, "supervise_acceptance", "insp1")
    assert task["due_at"] == "2026-03-21T16:00:00+00:00"  # report within 5 days after

    # 7. Report, then filing; the case and the project's supervision end.
    sup.do(case_id, "supervise_acceptance", "insp1", {
        "held_on": "2026-03-16", "inspectors": ["insp1", "insp2"], "procedure_compliant": True,
        "opinion": "验收组织形式、程序符合规定。", "issues": []})
    (report,) = sup.documents(case_id, "acceptance_report")
    text = sup.text(report["id"])
    assert text.startswith("工程竣工验收监督报告\n甬建监（海曙区）验〔2026〕第0001号\n")
    _parties_in(text)
    assert "验收日期\t2026年3月16日" in text and "验收程序\t符合规定" in text
    task = sup.task(case_id, "file_acceptance", "builder")
    assert task["due_at"] == "2026-03-31T16:00:00+00:00"  # filing within 15 days after
    filing = sup.uploaded("builder", case_id, pdf_bytes("filing"), "备案表.pdf")
    sup.ok(sup.complete("builder", task["id"], {"filed_on": "2026-03-16", "filing_number": "海建竣备2026-018",
                                                "documents": [filing]}))
    case = sup.ok(sup.get("admin", f"/cases/{case_id}"))
    assert case["status"] == "completed"
    assert sup.summary(case_id)["acceptance"]["status"] == "filed"
    with sup.services.session_factory() as session:
        project = session.get(Project, project_id)
        assert project is not None and project.supervision_end == date(2026, 3, 16)
        events = [(r.kind, r.occurred_on) for r in session.scalars(
            select(ProjectRecord).where(ProjectRecord.project_id == project_id).order_by(ProjectRecord.id))]
    assert events == [("assignment", date(2026, 3, 2)), ("briefing", date(2026, 3, 2)),
                      ("supervision_record", date(2026, 3, 2)), ("supervision_record", today)]


def test_a_serious_hazard_gives_a_partial_stop_work_notice(sup: SupervisionApi, project_id: int) -> None:
    case_id = sup.ok(sup.start(project_id), 201)["id"]
    sup.do(case_id, "assign_inspectors", "dadmin", assignment())
    sup.do(case_id, "briefing", "insp1", briefing(held_on="2026-03-02"))
    sup.do(case_id, "record_inspection", "insp1", inspection(
        severity="serious", findings=["塔吊基础积水，标准节螺栓松动"], deadline="2026-03-05"))
    (doc,) = sup.documents(case_id, "stop_work_notice")
    text = sup.text(doc["id"])
    assert text.startswith("局部停工整改通知书\n甬建监（海曙区）停〔2026〕第0001号\n")
    assert "局部停止施工，于2026年3月5日前整改完毕" in text and "1. 塔吊基础积水，标准节螺栓松动" in text
    (notice,) = sup.summary(case_id)["notices"]
    assert notice["kind"] == "stop_work" and notice["findings"][0]["severity"] == "serious"
    assert sup.task(case_id, "reply", "contractor")["due_at"] == "2026-03-05T16:00:00+00:00"


def test_document_numbers_run_per_district_and_kind(sup: SupervisionApi, project_id: int) -> None:
    other = sup.register_project(code="JB-2026-001", district="江北区")
    first = sup.ok(sup.start(project_id), 201)["id"]
    second = sup.ok(sup.start(other, who="admin"), 201)["id"]
    sup.do(first, "assign_inspectors", "dadmin", assignment())
    sup.do(first, "briefing", "insp1", briefing(held_on="2026-03-02"))
    sup.do(second, "assign_inspectors", "admin", assignment(inspectors=["insp_jb", "insp_jb2"], lead_inspector=None))
    sup.do(second, "briefing", "insp_jb", briefing(held_on="2026-03-02", inspectors_present=["insp_jb", "insp_jb2"]))
    numbers = [sup.text(d["id"]).splitlines()[1] for c in (first, second) for d in sup.documents(c, "briefing_record")]
    assert numbers == ["甬建监（海曙区）交〔2026〕第0001号", "甬建监（江北区）交〔2026〕第0001号"]
