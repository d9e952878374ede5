"""``/api/v1/alarms``: device alarms the caller may read; staff acknowledge them."""
from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from engine import NotFound, queries
from storage import Alarm
from workflows.devices.access import readable_project, require_staff_in_scope
from workflows.devices.alarms import acknowledge
from workflows.devices.queries import AlarmFilter, alarms_query

from ..auth.decorators import login_required
from ..auth.principal import current_actor
from ..db import get_session
from ..services import current_services
from .device_schemas import AlarmListArgs, AlarmPageSchema, AlarmSchema
from .openapi import API_PREFIX, operation
from .parsing import query_args

bp = Blueprint("api_alarms", __name__, url_prefix=API_PREFIX + "/alarms")


@bp.get("")
@operation("Alarms of the projects the caller may read, newest first", tags=["devices"], query=AlarmListArgs,
           responses={200: AlarmPageSchema},
           description="status=active lists open and acknowledged alarms.")
@login_required
def list_alarms() -> ResponseReturnValue:
    args = query_args(AlarmListArgs())
    flt = AlarmFilter(args["status"], args["project_id"], args["device_id"], args["rule"])
    with get_session() as session:
        page = queries.paginate(session, alarms_query(current_actor(), flt), args["page"], args["per_page"])
        return AlarmPageSchema().dump(page)


@bp.get("/<int:alarm_id>")
@operation("One alarm", tags=["devices"], responses={200: AlarmSchema})
@login_required
def get_alarm(alarm_id: int) -> ResponseReturnValue:
    with get_session() as session:
        alarm = session.get(Alarm, alarm_id)
        if alarm is None:
            raise NotFound(f"alarm {alarm_id} does not exist")
        readable_project(session, current_actor(), alarm.project_id)
        return AlarmSchema().dump(alarm)


@bp.post("/<int:alarm_id>/acknowledge")
@operation("Acknowledge an open alarm (inspectors and district admins of its district, admins)",
           tags=["devices"], responses={200: AlarmSchema},
           description="409 when the alarm is already acknowledged or cleared.")
@login_required
def acknowledge_alarm(alarm_id: int) -> ResponseReturnValue:
    actor = current_actor()
    session = get_session()
    with session.begin():
        alarm = session.get(Alarm, alarm_id)
        if alarm is None:
            raise NotFound(f"alarm {alarm_id} does not exist")
        require_staff_in_scope(actor, readable_project(session, actor, alarm.project_id))
        return AlarmSchema().dump(acknowledge(session, alarm_id, actor, current_services().clock.now()))
