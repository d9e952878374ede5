"""``/cases``: the cases a user may read, and one case's page (timeline, diagram, documents).

The diagram is drawn in the browser by bpmn-js's NavigatedViewer from the model version the
instance runs (``/api/v1/process-models/<key>/bpmn?version=N``), with the instance's completed
and active user tasks marked (``static/case.js``). Auditors get the same page without any
action (``web.auditor`` renders it read-only).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask.typing import ResponseReturnValue
from marshmallow import Schema, fields, validate
from sqlalchemy.orm import Session

from engine import queries
from engine.actor import Actor
from engine.case_view import (
    Round,
    case_rounds,
    display_names,
    open_tasks_of_case,
    process_names,
    project_summary,
    submitted_by_task,
)
from engine.status import CaseStatus

from .auth.decorators import login_required
from .db import get_session
from .services import current_services
from .task_form import build_fields, display_text
from .ui import actor, query_args, read_only

bp = Blueprint("cases", __name__)
PER_PAGE = 50
MAX_VALUE_CHARS = 300


class CaseListArgs(Schema):
    process = fields.String(load_default=None, validate=validate.Length(max=200))
    status = fields.String(load_default=None, validate=validate.OneOf([s.value for s in CaseStatus]))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=queries.MAX_PAGE))


@bp.get("/cases")
@login_required
def index() -> ResponseReturnValue:
    args, problems = query_args(CaseListArgs())
    session = get_session()
    with session.begin():
        page = queries.list_cases(session, actor(), queries.CaseFilter(args["process"], args["status"]),
                                  args["page"], PER_PAGE)
        processes = process_names(session)
    return render_template("cases/index.html", page=page, args=args, problems=problems, processes=processes,
                           statuses=[s.value for s in CaseStatus])


@dataclass(frozen=True)
class TimelineItem:
    seq: int
    at: Any
    who: str | None
    role: str | None
    action: str
    task: str | None
    task_id: int | None
    changes: list[tuple[str, str]]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, (list, tuple)):
        return "; ".join(_text(v) for v in value)
    if isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    else:
        text = "" if value is None else str(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + "…"


HISTORY_KEYS = {
    "process_key": _l("Process"), "version": _l("Version"), "project_id": _l("Project number"),
    "data": _l("Data"), "document_id": _l("Document number"), "filename": _l("File name"), "size": _l("Size"),
    "kind": _l("Kind"), "channel": _l("Channel"), "reason": _l("Reason"), "name": _l("Name"),
    "due_at": _l("Due"), "content_type": _l("File type"), "documents": _l("Documents"),
}


def _schemas(rounds: list[Round]) -> dict[int, Schema]:
    """task id → the task's form schema (to label and phrase what it was completed with)."""
    forms = current_services().engine.forms
    found: dict[int, Schema] = {}
    for r in rounds:
        for task in r.tasks:
            schema = forms.schema(task.form_key) if task.form_key else None
            if schema is not None:
                found[task.id] = schema
    return found


def values_text(data: dict[str, Any], schema: Schema | None, documents: dict[int, str]) -> list[tuple[str, str]]:
    """Submitted form data as (label, text) pairs: the schema's labels, choice labels, file names."""
    if schema is None:
        return [(k, _text(v)) for k, v in data.items()]
    return [(f.label, display_text(f, documents)) for f in build_fields(schema, data) if f.name in data]


def submitted_summaries(session: Session, case_id: int, rounds: list[Round],
                        documents: dict[int, str]) -> dict[int, list[tuple[str, str]]]:
    """task id → what each completed task of the case was submitted with, ready to show."""
    schemas = _schemas(rounds)
    return {task_id: values_text(data, schemas.get(task_id), documents)
            for task_id, data in submitted_by_task(session, case_id).items()}


def _changes(entry: queries.HistoryEntry, schema: Schema | None, documents: dict[int, str]) -> list[tuple[str, str]]:
    data = dict(entry.data or {})
    submitted = data.get("data")
    if entry.action == "task.completed" and isinstance(submitted, dict):
        return values_text(submitted, schema, documents)
    data.pop("bpmn_id", None)
    return [(str(HISTORY_KEYS.get(k, k)), _text(v)) for k, v in data.items()]


def timeline(session: Session, case_id: int, rounds: list[Round]) -> list[TimelineItem]:
    """The case's audit events as "who, role, when, what changed", oldest first."""
    history = queries.case_history(session, case_id)
    names = display_names(session, {e.actor for e in history if e.actor})
    schemas = _schemas(rounds)
    documents = {d.id: d.filename for d in queries.case_documents(session, case_id)}
    return [TimelineItem(e.seq, e.at, names.get(e.actor or "", e.actor), e.role, e.action, e.task, e.task_id,
                         _changes(e, schemas.get(e.task_id or 0), documents)) for e in history]


def _diagram(rounds: list[Round], wanted: int | None) -> dict[str, Any] | None:
    if not rounds:
        return None
    chosen = next((r for r in rounds if r.instance.id == wanted), rounds[-1])
    return {
        "round": chosen,
        "xml_url": url_for("api_process_models.get_bpmn", key=chosen.process_key, version=chosen.version),
        "marks": json.dumps({"completed": chosen.marks.completed, "active": chosen.marks.active,
                             "cancelled": chosen.marks.cancelled}),
    }


def case_page_context(session: Session, who: Actor, case_id: int, *, readonly: bool) -> dict[str, Any]:
    """Everything the case page shows (404 when ``who`` may not read the case)."""
    case = queries.case_for(session, who, case_id)
    rounds = case_rounds(session, case_id)
    wanted = request.args.get("instance", type=int)
    return {
        "case": case,
        "project": project_summary(session, case.project_id),
        "rounds": rounds,
        "timeline": timeline(session, case_id, rounds),
        "documents": queries.case_documents(session, case_id),
        "diagram": _diagram(rounds, wanted),
        "open_tasks": [] if readonly else open_tasks_of_case(session, who, case_id),
        "read_only": readonly,
        "case_url": (lambda **kw: url_for(request.endpoint or "cases.show", case_id=case_id, **kw)),
    }


@bp.get("/cases/<int:case_id>")
@login_required
def show(case_id: int) -> ResponseReturnValue:
    who = actor()
    session = get_session()
    with session.begin():
        context = case_page_context(session, who, case_id, readonly=read_only(who))
        return render_template("cases/show.html", **context)
