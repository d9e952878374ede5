"""``/api/v1/documents``: upload a case's document, download one (both access-controlled).

Reading a document requires being able to read its case (``engine.access``). Uploading also
requires a role that may change things: auditors read everything and change nothing.
"""
from __future__ import annotations

import dataclasses
import io

from flask import Blueprint, send_file, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from engine.access import READ_ALL_ROLES, READ_ONLY_ROLES, can_read_case, project_parties
from engine.actor import Actor
from engine.errors import Forbidden, NotFound
from storage import Case, Document
from storage.errors import DocumentNotFound

from ..audit_trail import record
from ..auth.decorators import login_required
from ..auth.principal import current_actor
from ..db import get_session
from ..services import current_services
from .openapi import API_PREFIX, operation
from .parsing import multipart_form
from .schemas import DocumentSchema, DocumentUploadSchema

bp = Blueprint("api_documents", __name__, url_prefix=API_PREFIX + "/documents")


def _writer(actor: Actor) -> Actor:
    """``actor`` without its read-only roles."""
    return dataclasses.replace(actor, scopes=tuple(s for s in actor.scopes if s.role not in READ_ONLY_ROLES))


def _case_for_upload(session: Session, actor: Actor, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"case {case_id} does not exist", {"case_id": ["no such case"]})
    if not can_read_case(_writer(actor), case, project_parties(session, case.project_id)):
        raise Forbidden(f"you may not add documents to case {case_id}")
    return case


def _check_read(session: Session, actor: Actor, document: Document) -> None:
    if document.case_id is None:
        # Not attached to a case: its author and the roles that read everything.
        if document.author == actor.username or actor.has_role(*READ_ALL_ROLES):
            return
        raise Forbidden(f"you may not read document {document.id}")
    case = session.get(Case, document.case_id)
    if case is None or not can_read_case(actor, case, project_parties(session, case.project_id)):
        raise Forbidden(f"you may not read document {document.id}")


@bp.post("")
@operation("Upload a document to a case", tags=["documents"], form=DocumentUploadSchema,
           responses={201: DocumentSchema},
           description="The type is detected from the content; over MAX_UPLOAD_BYTES gives 413.")
@login_required
def upload() -> ResponseReturnValue:
    args = multipart_form(DocumentUploadSchema())
    actor = current_actor()
    assert actor is not None
    services = current_services()
    upload = args["file"]
    data = upload.stream.read(services.documents.max_bytes + 1)
    session = get_session()
    with session.begin():
        case = _case_for_upload(session, actor, args["case_id"])
        document = services.documents.store(
            session, data=data, filename=upload.filename or "", kind=args["kind"], case_id=case.id,
            author=actor.username, declared_type=upload.mimetype or None, created_at=services.clock.now(),
        )
        record(session, "document.upload", actor=actor.username, role=actor.role_for_audit, case_id=case.id,
               data={"document_id": document.id, "sha256": document.sha256, "filename": document.filename,
                     "content_type": document.content_type, "size": document.size, "kind": document.kind})
        body = DocumentSchema().dump(document)
    location = url_for("api_documents.download", document_id=body["id"])
    return body, 201, {"Location": location}


@bp.get("/<int:document_id>")
@operation("Download a document", tags=["documents"],
           responses={200: ("the document's bytes, with its stored content type", None, "application/octet-stream")})
@login_required
def download(document_id: int) -> ResponseReturnValue:
    actor = current_actor()
    assert actor is not None
    services = current_services()
    session = get_session()
    with session.begin():
        document = session.get(Document, document_id)
        if document is None:
            raise DocumentNotFound(f"document {document_id} does not exist")
        _check_read(session, actor, document)
        document, data = services.documents.read(session, document_id)
    return send_file(io.BytesIO(data), mimetype=document.content_type, as_attachment=True,
                     download_name=document.filename, etag=document.sha256, conditional=True)
