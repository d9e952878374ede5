"""``/tasks/<id>``: a task's form (from its marshmallow schema) beside its case, drafts, completion.

Submitting: files first (each stored in its own right, so a rejected form keeps them), then the
form data through ``engine.complete``. A rejected form comes back with the errors beside each
field and everything typed still there. Completing twice gives one completion: the second
submission finds the task done and says so.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from marshmallow import Schema
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from engine import Conflict, FieldErrors, Forbidden, ScriptFailed, TaskBudgetExceeded, queries
from engine.actor import Actor
from engine.case_view import case_rounds, display_names, project_summary, submitted_values
from engine.status import OPEN_TASK_STATES, TaskState
from engine.tasks import check_task_access, get_task_for
from storage import Case, Task, User
from storage.drafts import delete_drafts, load_draft, save_draft
from storage.errors import DocumentEmpty, DocumentTooLarge, DocumentTypeRefused, StorageError, is_contention

from .audit_trail import record
from .cases import submitted_summaries
from .auth.decorators import login_required
from .db import get_session
from .errors import busy_message
from .services import current_services
from .task_form import UPLOAD_SUFFIX, FormField, RawValues, build_fields, flatten_errors, raw_values, to_data
from .ui import actor, local_tz, near_due_limit

bp = Blueprint("tasks", __name__)


def _schema(task: Task) -> Schema | None:
    return current_services().engine.forms.schema(task.form_key) if task.form_key else None


def _form_title(task: Task) -> str | None:
    form = current_services().registries.forms.get(task.form_key) if task.form_key else None
    return form.title if form else None


def _may_work(session: Session, who: Actor, task: Task, case: Case) -> bool:
    if task.state not in OPEN_TASK_STATES:
        return False
    try:
        check_task_access(session, who, task, case, to_work=True)
    except Forbidden:
        return False
    return task.state == TaskState.OPEN or task.assignee_id == who.user_id


def _initial_values(session: Session, who: Actor, task: Task, schema: Schema | None) -> tuple[dict[str, Any], Any]:
    """A saved draft if there is one, else what the task's data already holds for the form."""
    draft = load_draft(session, task.id, who.user_id) if who.user_id is not None else None
    if draft is not None:
        return dict(draft.values), draft
    if schema is None:
        return {}, None
    keys = {f.data_key or name for name, f in schema.fields.items()}
    return {k: v for k, v in (task.data or {}).items() if k in keys}, None


def _context(session: Session, who: Actor, task: Task, fields: list[FormField], **extra: Any) -> dict[str, Any]:
    case = session.get(Case, task.case_id)
    assert case is not None
    documents = queries.case_documents(session, case.id)
    rounds = case_rounds(session, case.id)
    document_names = {d.id: d.filename for d in documents}
    names = display_names(session, {t.completed_by for r in rounds for t in r.tasks if t.completed_by})
    assignee = _assignee_name(session, task) if task.state == TaskState.CLAIMED else None
    return {
        "task": task, "case": case, "fields": fields, "form_title": _form_title(task),
        "project": project_summary(session, case.project_id), "rounds": rounds, "names": names,
        "documents": documents, "documents_by_id": {d.id: d for d in documents},
        "earlier_values": submitted_summaries(session, case.id, rounds, document_names),
        "workable": _may_work(session, who, task, case), "assignee": assignee,
        "now": current_services().clock.now(), "near_due": near_due_limit(), **extra,
    }


def _assignee_name(session: Session, task: Task) -> str | None:
    user = session.get(User, task.assignee_id) if task.assignee_id is not None else None
    return (user.display_name or user.username) if user else None


@bp.get("/tasks/<int:task_id>")
@login_required
def show(task_id: int) -> ResponseReturnValue:
    who = actor()
    session = get_session()
    with session.begin():
        task = get_task_for(session, task_id, who, to_work=False)
        schema = _schema(task)
        if task.state == TaskState.COMPLETED:
            submitted = submitted_values(session, task.id) or {}
            fields = build_fields(schema, submitted) if schema is not None else []
            context = _context(session, who, task, fields, draft=None)
        else:
            values, draft = _initial_values(session, who, task, schema)
            fields = build_fields(schema, values) if schema is not None else []
            context = _context(session, who, task, fields, draft=draft)
        return render_template("tasks/show.html", **context)


def _upload_error(exc: StorageError) -> str:
    if isinstance(exc, DocumentTooLarge):
        limit = current_services().documents.max_bytes // (1024 * 1024)
        return _("The file is too large: at most %(mb)s MB.", mb=limit)
    if isinstance(exc, DocumentTypeRefused):
        return _("This type of file is not accepted: upload a PDF, an image, a video, a Word or Excel file, "
                 "or plain text.")
    if isinstance(exc, DocumentEmpty):
        return _("The file is empty.")
    return _("The file could not be stored.")


def _store_uploads(session: Session, who: Actor, task: Task, schema: Schema) -> tuple[dict[str, list[int]],
                                                                                      dict[str, list[str]]]:
    """Store the files chosen in the form's file inputs; new document ids and errors per field."""
    services = current_services()
    stored: dict[str, list[int]] = {}
    errors: dict[str, list[str]] = {}
    for item in build_fields(schema):
        if item.kind not in ("file", "files"):
            continue
        for upload in request.files.getlist(item.name + UPLOAD_SUFFIX):
            if not upload.filename:
                continue
            data = upload.stream.read(services.documents.max_bytes + 1)
            try:
                document = services.documents.store(
                    session, data=data, filename=upload.filename, kind=item.name[:60], case_id=task.case_id,
                    task_id=task.id, author=who.username, declared_type=upload.mimetype or None,
                    created_at=services.clock.now())
            except StorageError as exc:
                errors.setdefault(item.name, []).append(f"{upload.filename}: {_upload_error(exc)}")
                continue
            record(session, "document.upload", actor=who.username, role=who.role_for_audit, case_id=task.case_id,
                   task_id=task.id, data={"document_id": document.id, "sha256": document.sha256,
                                          "filename": document.filename, "size": document.size,
                                          "kind": document.kind, "channel": "task form"})
            stored.setdefault(item.name, []).append(document.id)
    return stored, errors


def _foreign_documents(session: Session, task: Task, schema: Schema, raw: RawValues) -> dict[str, list[str]]:
    """Document ids in the form that are not documents of this case (never trust the browser)."""
    mine = {d.id for d in queries.case_documents(session, task.case_id)}
    errors: dict[str, list[str]] = {}
    for item in build_fields(schema):
        if item.kind in ("file", "files"):
            value = raw.get(item.name)
            for v in value if isinstance(value, list) else [value or ""]:
                if v and (not v.isdigit() or int(v) not in mine):
                    errors.setdefault(item.name, []).append(_("Unknown document: upload the file again."))
    return errors


def _rerender(session: Session, who: Actor, task: Task, schema: Schema | None, raw: RawValues,
              errors: dict[str, list[str]], status: int) -> ResponseReturnValue:
    fields = build_fields(schema, raw, errors) if schema is not None else []
    general = [m for k, msgs in errors.items() if k not in {f.name for f in fields} for m in msgs]
    context = _context(session, who, task, fields, draft=None, general_errors=general)
    return render_template("tasks/show.html", **context), status


def _already_done(session: Session, task_id: int) -> ResponseReturnValue:
    task = session.get(Task, task_id)
    names = display_names(session, {task.completed_by} if task and task.completed_by else set())
    who = names.get(task.completed_by or "", task.completed_by or "") if task else ""
    flash(_("This task was already completed by %(who)s; your submission was not applied a second time.", who=who),
          "warning")
    return redirect(url_for("tasks.show", task_id=task_id))


def _after_completion(who: Actor) -> str:
    if who.has_role("enterprise") and not who.has_role("inspector", "district_admin", "admin", "process_owner"):
        return url_for("portal.index")
    return url_for("inbox.index")


@bp.post("/tasks/<int:task_id>")
@login_required
def submit(task_id: int) -> ResponseReturnValue:
    """Save a draft, or complete the task: files first, then the form through the engine."""
    action = request.form.get("action", "complete")
    who = actor()
    session = get_session()
    with session.begin():
        task = get_task_for(session, task_id, who, to_work=True)
        if task.state not in OPEN_TASK_STATES:
            return _already_done(session, task_id) if task.state == TaskState.COMPLETED else _withdrawn(task_id)
        schema = _schema(task)
        uploaded, errors = _store_uploads(session, who, task, schema) if schema is not None else ({}, {})
    raw = raw_values(schema, request.form, uploaded) if schema is not None else {}
    with session.begin():
        task = get_task_for(session, task_id, who, to_work=True)
        if schema is not None:
            for name, messages in _foreign_documents(session, task, schema, raw).items():
                errors.setdefault(name, []).extend(messages)
        if action == "save_draft":
            return _save_draft(session, who, task_id, raw)
        if errors:
            return _rerender(session, who, task, schema, raw, errors, 400)
    return _complete(session, who, task_id, schema, raw)


def _save_draft(session: Session, who: Actor, task_id: int, raw: RawValues) -> ResponseReturnValue:
    if who.user_id is not None:
        save_draft(session, task_id, who.user_id, raw, now=current_services().clock.now())
    flash(_("Draft saved. You can finish the form later."), "info")
    return redirect(url_for("tasks.show", task_id=task_id))


def _complete(session: Session, who: Actor, task_id: int, schema: Schema | None, raw: RawValues) -> ResponseReturnValue:
    """Complete the task in one transaction; any refusal comes back as the form, input kept."""
    data = to_data(schema, raw, local_tz()) if schema is not None else {}
    try:
        with session.begin():
            task = current_services().engine.complete(session, task_id, data, who)
            delete_drafts(session, task_id)
            name = task.name or task.bpmn_id
    except FieldErrors as exc:
        errors, status = flatten_errors(exc.errors), 400
    except Conflict as exc:
        errors, status = {"_": [str(exc.message)]}, 409
    except (ScriptFailed, TaskBudgetExceeded) as exc:
        # The model failed on this input (a script, a service, its task budget): nothing was
        # saved; keep what was typed and say why, rather than losing the form to an error page.
        errors, status = {"_": [_("The step could not be completed: %(reason)s", reason=exc.message)]}, 422
    except DBAPIError as exc:
        if not is_contention(exc):
            raise
        errors, status = {"_": [busy_message()]}, 503  # typed on a site, kept for the retry
    else:
        flash(_("Task completed: %(name)s.", name=name), "success")
        return redirect(_after_completion(who))
    with session.begin():
        task = get_task_for(session, task_id, who, to_work=False)
        if status == 409:
            if task.state == TaskState.COMPLETED:  # submitted twice: the first one counted
                return _already_done(session, task_id)
            errors = {"_": [_conflict_message(task, errors["_"][0])]}
        return _rerender(session, who, task, schema, raw, errors, status)


def _withdrawn(task_id: int) -> ResponseReturnValue:
    flash(_("This task was withdrawn (the case moved on or was cancelled); nothing was submitted."), "warning")
    return redirect(url_for("tasks.show", task_id=task_id))


def _conflict_message(task: Task, reason: str) -> str:
    if task.state == TaskState.CLAIMED:
        return _("Someone else has claimed this task; it can no longer be completed by you.")
    if task.state == TaskState.CANCELLED:
        return _("This task was withdrawn (the case moved on or was cancelled); nothing was submitted.")
    return _("The task changed meanwhile: %(reason)s", reason=reason)
