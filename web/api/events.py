"""``/api/v1/signals`` and ``/api/v1/messages``: move waiting instances from outside."""
from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from ..auth.decorators import roles_required
from ..auth.principal import current_actor
from ..db import get_session
from ..services import current_services
from .engine_schemas import DeliveredSchema, MessageSchema, SignalSchema
from .openapi import API_PREFIX, operation
from .parsing import json_body

bp = Blueprint("api_events", __name__, url_prefix=API_PREFIX)
SENDERS = ("admin", "process_owner", "inspector", "district_admin")


@bp.post("/signals")
@operation("Send a signal to every instance waiting for it (optionally one project's or case's)",
           tags=["events"], body=SignalSchema, responses={200: DeliveredSchema})
@roles_required(*SENDERS)
def send_signal() -> ResponseReturnValue:
    args = json_body(SignalSchema())
    session = get_session()
    with session.begin():
        delivered = current_services().engine.signal(
            session, args["name"], args["payload"], current_actor(),
            project_id=args["project_id"], case_id=args["case_id"])
    return {"delivered": delivered}


@bp.post("/messages")
@operation("Send a message to the instance its correlation values select", tags=["events"],
           body=MessageSchema, responses={200: DeliveredSchema},
           description="409 not_delivered when no instance waits for that name and correlation.")
@roles_required(*SENDERS)
def send_message() -> ResponseReturnValue:
    args = json_body(MessageSchema())
    session = get_session()
    with session.begin():
        delivered = current_services().engine.message(
            session, args["name"], args["correlation"], args["payload"], current_actor())
    return {"delivered": delivered}
