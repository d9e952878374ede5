"""``/api/v1/devices``: register and read devices, issue push tokens, push readings over HTTP."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, request
from flask.typing import ResponseReturnValue
from marshmallow import ValidationError

from engine import NotFound, queries
from storage import Device
from workflows.devices.access import readable_project
from workflows.devices.http_push import PushUnauthorized, authorize_push, push_readings
from workflows.devices.policy import DevicePolicy
from workflows.devices.queries import DeviceFilter, devices_query
from workflows.devices.registry import device_input, get_device, issue_device_token, register_device

from ..auth.decorators import login_required
from ..auth.loading import bearer_token
from ..auth.principal import current_actor
from ..db import get_session
from ..errors import ApiError
from ..services import current_services
from .device_schemas import (
    DeviceCreateSchema, DeviceListArgs, DevicePageSchema, DeviceSchema, DeviceTokenRequestSchema,
    DeviceTokenSchema, PushResultSchema, ReadingInSchema,
)
from .openapi import API_PREFIX, operation
from .parsing import json_body, query_args

bp = Blueprint("api_devices", __name__, url_prefix=API_PREFIX + "/devices")
POLICY_KEY = "oversite.devices.policy"


def device_policy() -> DevicePolicy:
    """The device policy of this app (read once from its configuration)."""
    policy = current_app.extensions.get(POLICY_KEY)
    if policy is None:
        policy = current_app.extensions[POLICY_KEY] = DevicePolicy.from_config(current_app.config)
    return policy  # type: ignore[no-any-return]


def device_body(device: Device) -> dict[str, Any]:
    services = current_services()
    body = DeviceSchema().dump(device)
    body["online"] = device.is_online(services.clock.now(), device_policy().offline_after)
    return body  # type: ignore[no-any-return]


def _readable_device(session: Any, device_id: int) -> Device:
    device = get_device(session, device_id)
    readable_project(session, current_actor(), device.project_id)  # 404 when not visible
    return device


@bp.post("")
@operation("Register a device of a project", tags=["devices"], body=DeviceCreateSchema,
           responses={201: DeviceSchema},
           description="Admins, the district admin of the project's district, and the project's enterprises.")
@login_required
def create_device() -> ResponseReturnValue:
    args = json_body(DeviceCreateSchema())
    services = current_services()
    session = get_session()
    with session.begin():
        readable_project(session, current_actor(), args["project_id"])
        device = register_device(session, current_actor(), device_input(args), services.clock.now())
        return device_body(device), 201


@bp.get("")
@operation("Devices of the projects the caller may read", tags=["devices"], query=DeviceListArgs,
           responses={200: DevicePageSchema})
@login_required
def list_devices() -> ResponseReturnValue:
    args = query_args(DeviceListArgs())
    flt = DeviceFilter(args["project_id"], args["device_type"], args["protocol"], args["online"])
    now = current_services().clock.now()
    with get_session() as session:
        page = queries.paginate(session, devices_query(current_actor(), flt, now, device_policy().offline_after),
                                args["page"], args["per_page"])
        return {"items": [device_body(d) for d in page.items], "total": page.total, "page": page.page,
                "per_page": page.per_page}


@bp.get("/<int:device_id>")
@operation("One device", tags=["devices"], responses={200: DeviceSchema})
@login_required
def get_one(device_id: int) -> ResponseReturnValue:
    with get_session() as session:
        return device_body(_readable_device(session, device_id))


@bp.post("/<int:device_id>/tokens")
@operation("Issue a push token for a device (shown once)", tags=["devices"], body=DeviceTokenRequestSchema,
           responses={201: DeviceTokenSchema})
@login_required
def issue_token(device_id: int) -> ResponseReturnValue:
    args = json_body(DeviceTokenRequestSchema())
    services = current_services()
    session = get_session()
    with session.begin():
        device = _readable_device(session, device_id)
        token = issue_device_token(session, device, current_actor(), args["label"], services.clock.now())
    return {"token": token}, 201


def _items() -> list[dict[str, Any]]:
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "send a JSON list of readings (Content-Type: application/json)")
    data = request.get_json(silent=True)
    if not isinstance(data, list):
        raise ApiError(400, "bad_request", "the body must be a JSON list of readings")
    try:
        items: list[dict[str, Any]] = ReadingInSchema(many=True).load(data)
    except ValidationError as exc:  # keyed by item index
        raise ApiError(400, "validation_error", "some readings are invalid; nothing was stored",
                       {str(k): v for k, v in exc.normalized_messages().items()}) from exc
    return items


@bp.post("/<int:device_id>/readings")
@operation("Push readings of a device (all or nothing)", tags=["devices"], body=ReadingInSchema(many=True),
           responses={200: PushResultSchema},
           description="Authenticate with a token of the device (POST …/tokens) or as a user of the project's "
                       "enterprise. An invalid item refuses the whole batch: 400 with the errors by item index.")
def push(device_id: int) -> ResponseReturnValue:
    services = current_services()
    session = get_session()
    now = services.clock.now()
    actor, token = current_actor(), bearer_token(request)
    if actor is None and not token:
        raise ApiError(401, "unauthorized", "send a token of the device (or of its enterprise) as a bearer token")
    with session.begin():
        device = session.get(Device, device_id)
        if device is None:
            raise NotFound(f"device {device_id} does not exist")
        if actor is not None:
            readable_project(session, actor, device.project_id)  # 404 when not visible
        try:
            authorize_push(session, device, actor, token, now)
        except PushUnauthorized as exc:
            raise ApiError(401, "unauthorized", str(exc)) from exc
        result = push_readings(session, services.engine, device_policy(), device, _items(), now)
    return PushResultSchema().dump(result)
