"""Stage acceptances (工程验收) recorded as the works progress."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine import ServiceContext
from storage import StageAcceptance, record_project_event

from .forms import AcceptanceForm, load_form
from .guards import Problems, case_project, check_documents, check_not_future, require_any_party
from .policy import ProjectPolicy
from .vocab import ACCEPTANCE_STAGE_LABELS


def record_acceptance(ctx: ServiceContext, *, policy: ProjectPolicy) -> dict[str, Any]:
    """Store the acceptance of form ``project.acceptance``; a stage passes only once.

    Raises:
        FieldErrors: a date in the future or before construction started, a stage already
            accepted, documents not uploaded to this case.
        Forbidden: the actor's enterprise is not a party of the project.
    """
    form = load_form(AcceptanceForm, ctx.task_data)
    project = case_project(ctx)
    enterprise = require_any_party(ctx.session, ctx.actor, project)
    problems = Problems()
    day = form["accepted_on"]
    check_not_future(problems, "accepted_on", day, policy.local_today(ctx.clock))
    if project.construction_start is not None and day < project.construction_start:
        problems.add("accepted_on", f"{day.isoformat()} is before construction started "
                                    f"({project.construction_start.isoformat()}).")
    passed = ctx.session.scalars(select(StageAcceptance).where(
        StageAcceptance.project_id == project.id, StageAcceptance.stage == form["stage"],
        StageAcceptance.result == "passed")).first()
    if passed is not None:
        problems.add("stage", f"The stage {ACCEPTANCE_STAGE_LABELS[form['stage']]} was already accepted on "
                              f"{passed.accepted_on.isoformat()}.")
    documents = check_documents(ctx.session, problems, "document_ids", ctx.case.id, form["document_ids"])
    problems.raise_if_any()

    now = ctx.clock.now()
    row = StageAcceptance(project_id=project.id, case_id=ctx.case.id, stage=form["stage"], accepted_on=day,
                          participant_units=form["participant_units"], participants=form["participants"],
                          result=form["result"], remarks=form["remarks"] or None, document_ids=documents,
                          enterprise_code=enterprise, recorded_by=ctx.actor.username, recorded_at=now)
    ctx.session.add(row)
    ctx.session.flush()
    # A failed acceptance is still an acceptance held (the usage report counts use, not results).
    record_project_event(ctx.session, project.id, "acceptance", day, case_id=ctx.case.id, now=now)
    ctx.case.title = f"工程验收 · {project.name} · {ACCEPTANCE_STAGE_LABELS[form['stage']]}"
    return {"acceptance_id": row.id, "result": row.result}
