"""``GET /api/v1/health``: is the process up and can it reach its database?"""
from __future__ import annotations

import logging

from flask import Blueprint
from flask.typing import ResponseReturnValue
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..services import current_services
from .openapi import API_PREFIX, package_version, operation
from .schemas import HealthSchema

bp = Blueprint("api_health", __name__, url_prefix=API_PREFIX)
log = logging.getLogger(__name__)


@bp.get("/health")
@operation("Liveness and database reachability", tags=["meta"], auth=False,
           responses={200: HealthSchema, 503: HealthSchema})
def health() -> ResponseReturnValue:
    try:
        with current_services().session_factory() as session:
            session.execute(text("SELECT 1"))
        database, status = "ok", 200
    except SQLAlchemyError as exc:
        log.warning("health check: database unavailable: %s", exc)
        database, status = "unavailable", 503
    body = {"status": "ok" if status == 200 else "degraded", "database": database, "version": package_version()}
    return HealthSchema().dump(body), status
