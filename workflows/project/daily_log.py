"""Daily work logs (工作日志): one per working day from the contractor and from the supervising engineer.

Each log is a short case of its own (``project_daily_log``): the party fills the form, then
:func:`record_daily_log` stores it, counts it for the bureau's usage report and clears the
day from the missing-log list if the calendar job had already flagged it.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from engine import FieldErrors, ServiceContext
from storage import DailyLog, MissingDailyLog, record_project_event

from .forms import DailyLogForm, load_form
from .guards import Problems, case_project, check_documents, check_not_future, require_party
from .policy import ProjectPolicy
from .vocab import LOG_PARTY_LABELS


def _duplicate_message(party: str, day: str, case_id: int | None) -> str:
    where = f" (case {case_id})" if case_id else ""
    return f"The {party} has already filed its daily log for {day}{where}; one log per day and party."


def record_daily_log(ctx: ServiceContext, *, policy: ProjectPolicy) -> dict[str, Any]:
    """Store the log of form ``project.daily_log`` from the task data; one per day and party.

    Raises:
        FieldErrors: a date in the future or outside the construction period, a second log for
            the same day and party, documents not uploaded to this case.
        Forbidden: the actor's enterprise is not that party of the project.
    """
    form = load_form(DailyLogForm, ctx.task_data)
    project = case_project(ctx)
    party, day = form["party"], form["log_date"]
    enterprise = require_party(ctx.session, ctx.actor, project, party)
    today = policy.local_today(ctx.clock)
    problems = Problems()
    check_not_future(problems, "log_date", day, today)
    if project.construction_start is not None and day < project.construction_start:
        problems.add("log_date", f"{day.isoformat()} is before construction started "
                                 f"({project.construction_start.isoformat()}).")
    if project.construction_end is not None and day >= project.construction_end:
        problems.add("log_date", f"Construction ended on {project.construction_end.isoformat()}.")
    earlier = ctx.session.scalars(select(DailyLog).where(
        DailyLog.project_id == project.id, DailyLog.party == party, DailyLog.log_date == day)).first()
    if earlier is not None:
        problems.add("log_date", _duplicate_message(party, day.isoformat(), earlier.case_id))
    documents = check_documents(ctx.session, problems, "document_ids", ctx.case.id, form["document_ids"])
    problems.raise_if_any()

    now = ctx.clock.now()
    log = DailyLog(project_id=project.id, case_id=ctx.case.id, party=party, log_date=day,
                   enterprise_code=enterprise, weather=form["weather"], workers_on_site=form["workers_on_site"],
                   work_content=form["work_content"], quality_safety=form["quality_safety"] or None,
                   issues=form["issues"] or None, document_ids=documents, filed_by=ctx.actor.username,
                   filed_at=now)
    try:
        with ctx.session.begin_nested():  # another worker may have filed it meanwhile
            ctx.session.add(log)
            ctx.session.flush()
    except IntegrityError:
        raise FieldErrors({"log_date": [_duplicate_message(party, day.isoformat(), None)]}) from None
    record_project_event(ctx.session, project.id, "daily_log", day, case_id=ctx.case.id, now=now)
    late = ctx.session.execute(
        update(MissingDailyLog)
        .where(MissingDailyLog.project_id == project.id, MissingDailyLog.party == party,
               MissingDailyLog.log_date == day, MissingDailyLog.resolved_at.is_(None))
        .values(resolved_at=now, resolved_case_id=ctx.case.id)
    ).rowcount  # type: ignore[attr-defined]
    ctx.case.title = f"工作日志 · {project.name} · {day.isoformat()} · {LOG_PARTY_LABELS[party]}"
    return {"daily_log_id": log.id, "log_date": day.isoformat(), "party": party, "filed_late": bool(late)}
