"""``POST /api/v1/auth/tokens``: trade a username and password for a bearer token."""
from __future__ import annotations

from flask import Blueprint, current_app
from flask.typing import ResponseReturnValue

from storage.users import authenticate, issue_token

from ..audit_trail import record, role_of
from ..db import get_session
from ..errors import ApiError
from ..extensions import csrf, limiter
from ..services import current_services
from .openapi import API_PREFIX, operation
from .parsing import json_body
from .schemas import TokenRequestSchema, TokenSchema

bp = Blueprint("api_tokens", __name__, url_prefix=API_PREFIX + "/auth")


def login_rate_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


@bp.post("/tokens")
@operation("Issue a bearer token", tags=["auth"], auth=False, body=TokenRequestSchema,
           responses={201: TokenSchema},
           description="Rate limited per client address (LOGIN_RATE_LIMIT). The token is shown once.")
@limiter.limit(login_rate_limit)
@csrf.exempt  # credentials travel in the body: there is no ambient authority to forge
def issue() -> ResponseReturnValue:
    args = json_body(TokenRequestSchema())
    session = get_session()
    with session.begin():
        user = authenticate(session, args["username"], args["password"])
        if user is None:
            record(session, "auth.login_failed", actor=args["username"], data={"channel": "api"})
            token = None
        else:
            token = issue_token(session, user, args["label"], now=current_services().clock.now(),
                                nbytes=current_app.config["TOKEN_BYTES"])
            record(session, "auth.token_issued", actor=user.username, role=role_of(user),
                   data={"channel": "api", "label": args["label"]})
    if token is None:
        raise ApiError(401, "invalid_credentials", "wrong username or password")
    return TokenSchema().dump({"token": token}), 201
