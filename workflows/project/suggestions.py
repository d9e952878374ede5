"""Suggestions (意见建议): any user submits one, the district's staff answer, the submitter reads it.

The suggestion comes with the case's start data (form ``project.suggestion``), so a bad one is
refused before anything is stored. The case is addressed to the project's district, or to the
district the submitter chose, so the answer task reaches that district's staff.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine import Conflict, NotFound, ServiceContext
from storage import Project, Suggestion

from .forms import SuggestionAnswerForm, SuggestionForm, load_form
from .guards import Problems, enterprise_codes
from .policy import ProjectPolicy
from .vocab import SuggestionStatus


def submit_suggestion(ctx: ServiceContext, *, policy: ProjectPolicy) -> dict[str, Any]:
    """Store the suggestion given in the start data and address the case to its district.

    Raises:
        FieldErrors: a missing title or content, no district (or an unknown one) for a
            suggestion that concerns no project.
        Conflict: the case already holds a suggestion.
    """
    form = load_form(SuggestionForm, ctx.task_data)
    if ctx.session.scalars(select(Suggestion.id).where(Suggestion.case_id == ctx.case.id)).first() is not None:
        raise Conflict(f"case {ctx.case.id} already holds a suggestion")
    project = ctx.session.get(Project, ctx.case.project_id) if ctx.case.project_id is not None else None
    district = project.district if project is not None else form["district"]
    problems = Problems()
    if project is None and not district:
        problems.add("district", "Choose the district the suggestion is for (or start it on a project).")
    elif project is None and district not in policy.districts:
        problems.add("district", f"Unknown district {district!r}; one of: {', '.join(policy.districts)}.")
    problems.raise_if_any()

    now = ctx.clock.now()
    codes = sorted(enterprise_codes(ctx.actor))
    row = Suggestion(case_id=ctx.case.id, project_id=project.id if project else None, district=district,
                     category=form["category"], title=form["title"], content=form["content"],
                     contact=form["contact"] or None, submitted_by=ctx.actor.username,
                     enterprise_code=codes[0] if codes else None, submitted_at=now, status=SuggestionStatus.SUBMITTED)
    ctx.session.add(row)
    ctx.session.flush()
    ctx.case.district = district
    ctx.case.title = f"意见建议 · {form['title']}"
    return {"suggestion_id": row.id, "district": district}


def answer_suggestion(ctx: ServiceContext, *, policy: ProjectPolicy, suggestion_id: int) -> dict[str, Any]:
    """Store the answer of form ``project.suggestion_answer``; the case data show it to the submitter.

    Raises:
        NotFound: the suggestion is not part of this case.
        Conflict: it was already answered.
    """
    row = ctx.session.get(Suggestion, suggestion_id) if isinstance(suggestion_id, int) else None
    if row is None or row.case_id != ctx.case.id:
        raise NotFound(f"suggestion {suggestion_id} is not part of case {ctx.case.id}")
    if row.status != SuggestionStatus.SUBMITTED:
        raise Conflict(f"suggestion {row.id} was already answered")
    form = load_form(SuggestionAnswerForm, ctx.task_data)
    now = ctx.clock.now()
    row.answer = form["answer"]
    row.answered_by = ctx.actor.username
    row.answered_at = now
    row.status = SuggestionStatus.ANSWERED
    ctx.case.data = {**(ctx.case.data or {}), "answer": row.answer, "answered_at": now.isoformat(),
                     "answered_by": row.answered_by}
    ctx.case.updated_at = now
    ctx.session.flush()
    return {"answered": True}
