"""``POST /api/v1/import/{kind}``: import projects, enterprises or dated records from CSV or XLSX.

All or nothing: a file with any bad row stores nothing and answers 400 ``invalid_import``
with every problem by line. Administrators only (an import may touch every district).
"""
from __future__ import annotations

import hashlib

from flask import Blueprint
from flask.typing import ResponseReturnValue

from engine.errors import NotFound
from workflows.reference.districts import configured_districts
from workflows.reference.imports import KINDS, run_import
from workflows.reference.today import local_date

from ..audit_trail import record
from ..auth.decorators import roles_required
from ..auth.principal import current_actor
from ..db import get_session
from ..services import current_services
from .openapi import API_PREFIX, operation
from .parsing import multipart_form
from .reference_schemas import ImportResultSchema, ImportUploadSchema

bp = Blueprint("api_imports", __name__, url_prefix=API_PREFIX + "/import")


@bp.post("/<kind>")
@operation("Import a file of projects, enterprises or records (admin)", tags=["imports"], form=ImportUploadSchema,
           responses={200: ImportResultSchema},
           description="kind is projects, enterprises or records (layouts in the README). A bad file "
                       "gives 400 with error invalid_import and details [{line, column, message}]; "
                       "nothing is stored. Importing the same file again changes nothing.")
@roles_required("admin")
def import_file(kind: str) -> ResponseReturnValue:
    if kind not in KINDS:
        raise NotFound(f"unknown import kind {kind!r}; kinds are {', '.join(KINDS)}")
    args = multipart_form(ImportUploadSchema())
    upload = args["file"]
    data = upload.stream.read()
    actor = current_actor()
    assert actor is not None
    services = current_services()
    now = services.clock.now()
    session = get_session()
    with session.begin():
        result = run_import(session, kind, data, districts=configured_districts(services.config), now=now,
                            today=local_date(now, services.config), dry_run=args["dry_run"])
        if not result.dry_run:
            record(session, f"import.{kind}", actor=actor.username, role=actor.role_for_audit,
                   data={"filename": upload.filename or "", "sha256": hashlib.sha256(data).hexdigest(),
                         "rows": result.rows, "created": result.created, "updated": result.updated,
                         "unchanged": result.unchanged})
    return ImportResultSchema().dump(result)
