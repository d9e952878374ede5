"""Service operations of the device-alarm case (``device_alarm.bpmn``), one round per instance.

A round: dispatch to the contractor → rectification with evidence (form
``supervision.rectification_reply``) → inspector verification (``supervision.review``) →
closed; or, when the contractor is overdue, escalation by the district admin
(``supervision.escalation``). A rejected verification or an escalation starts the next round
(a new short instance, ARCHITECTURE §2 rule 1) with a new deadline. The forms and the date
checks are the supervision family's (``workflows.supervision.forms`` / ``checks``), reused as
they are; each operation checks what needs the clock or the database and raises
``FieldErrors``, so a bad submission is refused field by field and the step stores nothing.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, time, timedelta
from functools import wraps
from typing import Any

from sqlalchemy import select

from engine import FieldErrors, NotFound, ServiceContext
from storage import Alarm, Device, Document, ProjectParty
from workflows.supervision import checks

from .policy import DevicePolicy

# Who must rectify: the first of these parties the project has (as for supervision findings).
OWNER_PARTIES = ("contractor", "builder")
Operation = Callable[..., "Mapping[str, Any] | None"]


def bind(policy: DevicePolicy, func: Callable[..., Mapping[str, Any] | None]) -> Operation:
    """``func(policy, ctx, **params)`` as a service operation ``op(ctx, **params)``."""

    @wraps(func)
    def operation(ctx: ServiceContext, **params: Any) -> Mapping[str, Any] | None:
        return func(policy, ctx, **params)

    return operation


def _alarm(ctx: ServiceContext) -> Alarm:
    alarm = ctx.session.get(Alarm, int(ctx.task_data.get("alarm_id") or 0))
    if alarm is None or alarm.project_id != ctx.case.project_id:
        raise NotFound(f"case {ctx.case.id} names no alarm of its project")
    return alarm


def _owner(ctx: ServiceContext) -> str | None:
    rows = ctx.session.execute(select(ProjectParty.party_role, ProjectParty.enterprise_code).where(
        ProjectParty.project_id == ctx.case.project_id))
    parties = {role: code for role, code in rows}
    return next((parties[role] for role in OWNER_PARTIES if role in parties), None)


def _case_documents(ctx: ServiceContext, problems: checks.Problems, field: str, ids: Any) -> list[int]:
    """Ids of documents uploaded to this case; any other id is a problem of ``field``."""
    wanted = [int(i) for i in ids or []]
    found = {doc_id: case_id for doc_id, case_id in ctx.session.execute(
        select(Document.id, Document.case_id).where(Document.id.in_(wanted)))} if wanted else {}
    for doc_id in wanted:
        if found.get(doc_id, -1) != ctx.case.id:
            problems.add(field, f"Document {doc_id} was not uploaded to this case.")
    if len(set(wanted)) != len(wanted):
        problems.add(field, "A document is listed twice.")
    return wanted


def _duration(delta: timedelta) -> str:
    return f"PT{max(int(delta.total_seconds()), 60)}S"


def dispatch(policy: DevicePolicy, ctx: ServiceContext) -> Mapping[str, Any]:
    """Dispatch the round to the contractor: its tasks carry the contractor's code and deadline.

    Task data: ``alarm_id``, ``round`` and, from the second round, ``deadline`` (a date).
    """
    alarm = _alarm(ctx)
    device = ctx.session.get(Device, alarm.device_id)
    assert device is not None
    owner = _owner(ctx)
    now = ctx.clock.now()
    deadline = checks.as_date(ctx.task_data.get("deadline"))
    if deadline is None:
        due_at = now + timedelta(hours=policy.rectify_hours)
    else:
        due_at = datetime.combine(deadline, time(23, 59, 59), policy.timezone)
    ctx.case.enterprise_code = owner or ctx.case.enterprise_code
    round_no = int(ctx.task_data.get("round") or 1)
    latest = (alarm.values or {}).get("latest") or {}
    ctx.case.data = {**(ctx.case.data or {}), "alarm_id": alarm.id, "rule": alarm.rule, "device_code": device.code,
                     "contractor": owner, "round": round_no, "rectify_due_at": due_at.isoformat()}
    ctx.case.updated_at = now
    return {"contractor": owner, "device_code": device.code, "device_type": device.device_type,
            "rule": alarm.rule, "severity": alarm.severity, "quantity": latest.get("quantity"),
            "value": latest.get("value", latest.get("hourly_mean")), "limit": latest.get("limit"),
            "rectify_due": _duration(due_at - now), "verify_due": f"PT{policy.verify_hours}H",
            "due_at": due_at.isoformat()}


def record_reply(policy: DevicePolicy, ctx: ServiceContext) -> Mapping[str, Any]:
    """The contractor's rectification: completed by today, evidence uploaded to this case."""
    data = ctx.task_data
    problems = checks.Problems()
    checks.not_future(problems, "completed_on", checks.as_date(data.get("completed_on")),
                      policy.local_date(ctx.clock.now()))
    evidence = _case_documents(ctx, problems, "evidence", data.get("evidence"))
    if not evidence:
        problems.add("evidence", "Upload at least one piece of evidence to this case.")
    problems.raise_any()
    ctx.case.data = {**(ctx.case.data or {}), "replied_by": ctx.actor.username,
                     "replied_at": ctx.clock.now().isoformat(), "evidence": evidence}
    return {"evidence": evidence}


def record_review(policy: DevicePolicy, ctx: ServiceContext) -> Mapping[str, Any]:
    """The inspector's verification: accepted closes the case, rejected sets the next deadline."""
    data = ctx.task_data
    today = policy.local_date(ctx.clock.now())
    problems = checks.Problems()
    checks.not_future(problems, "reviewed_on", checks.as_date(data.get("reviewed_on")), today)
    checks.after_today(problems, "next_deadline", checks.as_date(data.get("next_deadline")), today)
    _case_documents(ctx, problems, "photos", data.get("photos"))
    problems.raise_any()
    accepted = data.get("result") == "accepted"
    ctx.case.data = {**(ctx.case.data or {}), "verified_by": ctx.actor.username,
                     "verification": "accepted" if accepted else "rejected"}
    return {"accepted": accepted, "next_deadline": data.get("next_deadline")}


def escalate(policy: DevicePolicy, ctx: ServiceContext) -> Mapping[str, Any]:
    """The contractor is overdue: the district admin's decision is recorded, a new deadline set."""
    data = ctx.task_data
    problems = checks.Problems()
    new_deadline = checks.as_date(data.get("new_deadline"))
    checks.after_today(problems, "new_deadline", new_deadline, policy.local_date(ctx.clock.now()))
    problems.raise_any()
    escalations = int((ctx.case.data or {}).get("escalations", 0)) + 1
    ctx.case.data = {**(ctx.case.data or {}), "escalated": True, "escalations": escalations,
                     "escalation": data.get("decision"), "outcome": "escalated"}
    return {"decision": data.get("decision"), "new_deadline": new_deadline.isoformat() if new_deadline else None}


def next_round(policy: DevicePolicy, ctx: ServiceContext, deadline: Any = None) -> Mapping[str, Any]:
    """Start the next round in this case (``deadline``: a date, or None for the default)."""
    round_no = int(ctx.task_data.get("round") or 1) + 1
    if deadline is not None and checks.as_date(deadline) is None:
        raise FieldErrors({"deadline": ["Not a date."]})
    ctx.start_requests.append((policy.alarm_process_key, {
        "alarm_id": int(ctx.task_data["alarm_id"]), "round": round_no,
        "deadline": str(deadline) if deadline else None,
    }))
    return {"round": round_no}


def close(policy: DevicePolicy, ctx: ServiceContext) -> Mapping[str, Any]:
    """The rectification is verified: the case's outcome is closed."""
    ctx.case.data = {**(ctx.case.data or {}), "outcome": "closed", "closed_at": ctx.clock.now().isoformat()}
    return {"outcome": "closed"}


OPERATIONS = {
    "devices.dispatch": dispatch,
    "devices.record_reply": record_reply,
    "devices.record_review": record_review,
    "devices.escalate": escalate,
    "devices.next_round": next_round,
    "devices.close": close,
}
