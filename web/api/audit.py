"""``GET /api/v1/audit/verify``: recompute the audit hash chain (admins and auditors)."""
from __future__ import annotations

import dataclasses

from flask import Blueprint
from flask.typing import ResponseReturnValue

from storage.audit import verify_chain

from ..auth.decorators import roles_required
from ..db import get_session
from .openapi import API_PREFIX, operation
from .schemas import ChainReportSchema

bp = Blueprint("api_audit", __name__, url_prefix=API_PREFIX + "/audit")


@bp.get("/verify")
@operation("Verify the audit chain", tags=["audit"], responses={200: ChainReportSchema},
           description="`ok` is false and `first_bad_seq` names the first edited, deleted, "
                       "inserted or reordered row when the chain is broken.")
@roles_required("admin", "auditor")
def verify() -> ResponseReturnValue:
    session = get_session()
    with session.begin():
        report = verify_chain(session)
    return ChainReportSchema().dump(dataclasses.asdict(report))
