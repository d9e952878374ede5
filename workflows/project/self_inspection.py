"""Weekly self-inspection (日常检查) and the closed loop of its findings.

A self-inspection case starts with the inspection itself (``project_self_inspection``). When
it finds problems, each rectification round is a short instance of its own
(``project_self_rectification``): open the round (owner and due date recorded) → the reply with
evidence → the verification; a rejected round starts the next one with a new deadline, an
accepted one closes the inspection. A reply overdue is asked for again with a last period
(催告); still overdue, the district admin decides (逾期处置) and sets the next round's deadline.
So no finding is ever open without a round and a date.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from engine import Conflict, NotFound, ServiceContext
from storage import SelfInspection, SelfRectification, record_project_event

from .documents import self_inspection_record
from .forms import (
    SelfInspectionForm,
    SelfRectificationEscalationForm,
    SelfRectificationForm,
    SelfRectificationReviewForm,
    load_form,
)
from .guards import (
    Problems,
    case_project,
    check_documents,
    check_not_future,
    check_not_past,
    require_any_party,
    require_party,
)
from .policy import ProjectPolicy
from .vocab import InspectionStatus, Verdict


def record_self_inspection(ctx: ServiceContext, *, policy: ProjectPolicy) -> dict[str, Any]:
    """Store the inspection of form ``project.self_inspection``; with findings it stays open.

    Raises:
        FieldErrors: an inspection dated in the future, a deadline already past, documents not
            uploaded to this case.
        Forbidden: the actor's enterprise is not that party of the project.
    """
    form = load_form(SelfInspectionForm, ctx.task_data)
    project = case_project(ctx)
    enterprise = require_party(ctx.session, ctx.actor, project, form["party"])
    today = policy.local_today(ctx.clock)
    problems = Problems()
    check_not_future(problems, "inspected_on", form["inspected_on"], today)
    check_not_past(problems, "rectify_by", form["rectify_by"], today)
    documents = check_documents(ctx.session, problems, "document_ids", ctx.case.id, form["document_ids"])
    problems.raise_if_any()

    findings = form["findings"]
    due = None
    if findings:
        # The default deadline runs from when the findings are recorded, never from the past.
        due = form["rectify_by"] or max(form["inspected_on"], today) + timedelta(days=policy.rectification_days)
    now = ctx.clock.now()
    inspection = SelfInspection(
        project_id=project.id, case_id=ctx.case.id, party=form["party"], enterprise_code=enterprise,
        inspected_on=form["inspected_on"], inspector=form["inspector"], items=form["items"], findings=findings,
        hazard_level=form["hazard_level"], status=InspectionStatus.RECTIFYING if findings else InspectionStatus.PASSED,
        rectify_by=due, rounds=0, document_ids=documents, recorded_by=ctx.actor.username, recorded_at=now,
    )
    ctx.session.add(inspection)
    ctx.session.flush()
    record_project_event(ctx.session, project.id, "self_inspection", form["inspected_on"], case_id=ctx.case.id,
                         now=now)
    record = self_inspection_record(ctx, project, inspection)
    ctx.case.title = f"日常检查 · {project.name} · {form['inspected_on'].isoformat()}"
    return {"inspection_id": inspection.id, "open": bool(findings), "findings": len(findings),
            "rectify_by": due.isoformat() if due else None, "record_document_id": record.id}


def _inspection_of_case(ctx: ServiceContext, inspection_id: Any) -> SelfInspection:
    inspection = ctx.session.get(SelfInspection, inspection_id) if isinstance(inspection_id, int) else None
    if inspection is None or inspection.case_id != ctx.case.id:
        raise NotFound(f"self-inspection {inspection_id} is not part of case {ctx.case.id}")
    return inspection


def _round_of_case(ctx: ServiceContext, round_id: Any) -> tuple[SelfRectification, SelfInspection]:
    row = ctx.session.get(SelfRectification, round_id) if isinstance(round_id, int) else None
    if row is None:
        raise NotFound(f"rectification round {round_id} does not exist")
    return row, _inspection_of_case(ctx, row.inspection_id)


def open_self_rectification(ctx: ServiceContext, *, policy: ProjectPolicy, inspection_id: int,
                            round: int) -> dict[str, Any]:
    """Open rectification round ``round`` of an inspection of this case, due on its deadline.

    Raises:
        NotFound: the inspection is not part of this case.
        Conflict: the inspection is not waiting for rectification, or ``round`` is not the next one.
    """
    inspection = _inspection_of_case(ctx, inspection_id)
    if inspection.status != InspectionStatus.RECTIFYING or inspection.rectify_by is None:
        raise Conflict(f"self-inspection {inspection.id} is {inspection.status}: nothing to rectify")
    if round != inspection.rounds + 1:
        raise Conflict(f"self-inspection {inspection.id} is at round {inspection.rounds}; "
                       f"round {round} cannot start now")
    row = SelfRectification(inspection_id=inspection.id, round=round, due_on=inspection.rectify_by,
                            opened_at=ctx.clock.now())
    ctx.session.add(row)
    inspection.rounds = round
    ctx.session.flush()
    return {"round_id": row.id, "round": round, "due_on": row.due_on.isoformat(),
            "due_at": policy.end_of_day(row.due_on).isoformat(), "findings": list(inspection.findings)}


def record_self_rectification(ctx: ServiceContext, *, policy: ProjectPolicy, round_id: int) -> dict[str, Any]:
    """Store the reply of form ``project.self_rectification`` (measures and evidence).

    Raises:
        FieldErrors: a completion date in the future or before the inspection, evidence not
            uploaded to this case.
        Conflict: the round was already answered.
    """
    row, inspection = _round_of_case(ctx, round_id)
    if row.submitted_at is not None:
        raise Conflict(f"round {row.round} of self-inspection {inspection.id} was already answered")
    project = case_project(ctx)
    require_any_party(ctx.session, ctx.actor, project)
    form = load_form(SelfRectificationForm, ctx.task_data)
    problems = Problems()
    check_not_future(problems, "rectified_on", form["rectified_on"], policy.local_today(ctx.clock))
    if form["rectified_on"] < inspection.inspected_on:
        problems.add("rectified_on", f"{form['rectified_on'].isoformat()} is before the inspection "
                                     f"({inspection.inspected_on.isoformat()}).")
    evidence = check_documents(ctx.session, problems, "evidence_document_ids", ctx.case.id,
                               form["evidence_document_ids"])
    problems.raise_if_any()
    row.measures = form["measures"]
    row.rectified_on = form["rectified_on"]
    row.evidence_document_ids = evidence
    row.submitted_by = ctx.actor.username
    row.submitted_at = ctx.clock.now()
    ctx.session.flush()
    return {"round_id": row.id, "submitted": True}


def verify_self_rectification(ctx: ServiceContext, *, policy: ProjectPolicy, round_id: int) -> dict[str, Any]:
    """Record the verification of form ``project.self_rectification_review``.

    Accepted closes the inspection; rejected moves its deadline and asks for the next round.

    Raises:
        FieldErrors: a new deadline already past.
        Conflict: the round was not answered yet, or was already verified.
    """
    row, inspection = _round_of_case(ctx, round_id)
    if row.submitted_at is None or row.verdict is not None:
        raise Conflict(f"round {row.round} of self-inspection {inspection.id} cannot be verified now")
    project = case_project(ctx)
    require_any_party(ctx.session, ctx.actor, project)
    form = load_form(SelfRectificationReviewForm, ctx.task_data)
    now = ctx.clock.now()
    rejected = form["verdict"] == Verdict.REJECTED
    if rejected:
        problems = Problems()
        check_not_past(problems, "next_rectify_by", form["next_rectify_by"], policy.local_today(ctx.clock))
        problems.raise_if_any()
        inspection.rectify_by = form["next_rectify_by"]
    else:
        inspection.status = InspectionStatus.CLOSED
        inspection.closed_at = now
    row.verdict = form["verdict"]
    row.verifier = form["verifier"]
    row.verify_comment = form["comment"] or None
    row.verified_by = ctx.actor.username
    row.verified_at = now
    ctx.session.flush()
    return {"closed": not rejected, "next_round": row.round + 1 if rejected else None}


def remind_self_rectification(ctx: ServiceContext, *, policy: ProjectPolicy, round_id: int) -> dict[str, Any]:
    """The reply is overdue: ask for it again (催告) with a last period before escalation.

    Raises:
        Conflict: the round was answered meanwhile, or already reminded.
    """
    row, inspection = _round_of_case(ctx, round_id)
    if row.submitted_at is not None or row.reminded_at is not None:
        raise Conflict(f"round {row.round} of self-inspection {inspection.id} is not waiting for a reminder")
    now = ctx.clock.now()
    row.reminded_at = now
    return {"late_due_at": (now + timedelta(days=policy.rectification_grace_days)).isoformat(),
            "escalation_due_days": policy.escalation_days}


def escalate_self_rectification(ctx: ServiceContext, *, policy: ProjectPolicy, round_id: int) -> dict[str, Any]:
    """The district admin's decision (逾期处置) of form ``project.self_rectification_escalation``.

    The inspection gets the new deadline and the next round starts with it.

    Raises:
        FieldErrors: a new deadline already past.
        Conflict: the round was answered meanwhile, or already escalated.
    """
    row, inspection = _round_of_case(ctx, round_id)
    if row.submitted_at is not None or row.escalated_at is not None:
        raise Conflict(f"round {row.round} of self-inspection {inspection.id} is not waiting for a decision")
    form = load_form(SelfRectificationEscalationForm, ctx.task_data)
    problems = Problems()
    check_not_past(problems, "new_deadline", form["new_deadline"], policy.local_today(ctx.clock))
    problems.raise_if_any()
    row.escalation = form["decision"]
    row.escalation_reasons = form["reasons"]
    row.escalated_by = ctx.actor.username
    row.escalated_at = ctx.clock.now()
    inspection.rectify_by = form["new_deadline"]
    ctx.session.flush()
    return {"decision": form["decision"], "next_round": row.round + 1}


def open_inspections(project_id: int):  # type: ignore[no-untyped-def]
    """Statement: the project's inspections still waiting for rectification, oldest deadline first."""
    return (select(SelfInspection)
            .where(SelfInspection.project_id == project_id, SelfInspection.status == InspectionStatus.RECTIFYING)
            .order_by(SelfInspection.rectify_by, SelfInspection.id))
