"""``/api/v1/enterprises``: register enterprises, list the ones the caller may see."""
from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from workflows.reference.districts import configured_districts
from workflows.reference.enterprises import list_enterprises, register_enterprise

from ..audit_trail import record
from ..auth.decorators import login_required
from ..auth.principal import current_actor
from ..db import get_session
from ..services import current_services
from .openapi import API_PREFIX, operation
from .parsing import json_body, query_args
from .reference_schemas import EnterpriseCreateSchema, EnterpriseListArgs, EnterprisePageSchema, EnterpriseSchema

bp = Blueprint("api_enterprises", __name__, url_prefix=API_PREFIX + "/enterprises")


@bp.post("")
@operation("Register an enterprise (admin or district admin)", tags=["enterprises"], body=EnterpriseCreateSchema,
           responses={201: EnterpriseSchema},
           description="The unified social credit code is checked, including its check character; "
                       "a code already registered gives 409.")
@login_required
def create_enterprise() -> ResponseReturnValue:
    args = json_body(EnterpriseCreateSchema())
    actor = current_actor()
    assert actor is not None
    services = current_services()
    session = get_session()
    with session.begin():
        enterprise = register_enterprise(session, actor, args, districts=configured_districts(services.config),
                                         now=services.clock.now())
        record(session, "enterprise.register", actor=actor.username, role=actor.role_for_audit,
               data={"enterprise_id": enterprise.id, "code": enterprise.code, "name": enterprise.name})
        body = EnterpriseSchema().dump(enterprise)
    return body, 201


@bp.get("")
@operation("Enterprises the caller may see (enterprise users: their own), by code", tags=["enterprises"],
           query=EnterpriseListArgs, responses={200: EnterprisePageSchema})
@login_required
def list_all() -> ResponseReturnValue:
    args = query_args(EnterpriseListArgs())
    with get_session() as session:
        page = list_enterprises(session, current_actor(), q=args["q"], kind=args["kind"], page=args["page"],
                                per_page=args["per_page"])
        return EnterprisePageSchema().dump(page)
