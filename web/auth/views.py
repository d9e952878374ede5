"""Login, logout and password change pages (browser sessions).

Every outcome is written to the audit log: login success and failure, logout, password
change. Passwords never appear in the audit data.
"""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_user, logout_user

from storage import User
from storage.users import authenticate, set_password, verify_password

from ..audit_trail import record, role_of
from ..db import get_session
from ..extensions import limiter
from ..i18n import LANG_SESSION_KEY
from ..services import current_services
from .decorators import is_safe_next, login_required
from .forms import LoginForm, PasswordChangeForm
from .principal import current_principal, principal_for

bp = Blueprint("auth", __name__, url_prefix="/auth")
HOME_ENDPOINT = "main.home"


def login_rate_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def start_session(user: User) -> None:
    """Log ``user`` in with a fresh session cookie (keeping only the language choice)."""
    lang = session.get(LANG_SESSION_KEY)
    session.clear()  # a new session on every login: nothing carried over from before
    if lang:
        session[LANG_SESSION_KEY] = lang
    session.permanent = True  # expires after SESSION_LIFETIME_HOURS of inactivity
    login_user(principal_for(user))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"])
def login() -> ResponseReturnValue:
    form = LoginForm()
    target = form.next.data or request.args.get("next")
    if not is_safe_next(target):
        target = None
    if current_principal() is not None and request.method == "GET":
        return redirect(target or url_for(HOME_ENDPOINT))
    if form.validate_on_submit():
        db = get_session()
        with db.begin():
            user = authenticate(db, form.username.data or "", form.password.data or "")
            if user is None:
                record(db, "auth.login_failed", actor=form.username.data, data={"channel": "browser"})
            else:
                record(db, "auth.login", actor=user.username, role=role_of(user), data={"channel": "browser"})
        if user is not None:
            start_session(user)
            if user.must_change_password:
                return redirect(url_for("auth.password", next=target) if target else url_for("auth.password"))
            return redirect(target or url_for(HOME_ENDPOINT))
        flash(_("Wrong username or password."), "error")
    form.next.data = target or ""
    status = 400 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    principal = current_principal()
    if principal is not None:
        db = get_session()
        with db.begin():
            role = principal.scopes[0].role if principal.scopes else None
            record(db, "auth.logout", actor=principal.username, role=role, data={"channel": "browser"})
    logout_user()
    lang = session.get(LANG_SESSION_KEY)
    session.clear()
    if lang:
        session[LANG_SESSION_KEY] = lang
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password() -> ResponseReturnValue:
    principal = current_principal()
    assert principal is not None
    form = PasswordChangeForm()
    status = 200
    if form.validate_on_submit():
        db = get_session()
        with db.begin():
            user = db.get(User, principal.id)
            ok = user is not None and verify_password(user, form.current_password.data or "")
            if user is not None and ok:
                set_password(db, user, form.new_password.data or "", now=current_services().clock.now())
                record(db, "auth.password_changed", actor=user.username, role=role_of(user),
                       data={"channel": "browser"})
        if user is not None and ok:
            # The password is part of the session stamp: renew this session, others end.
            start_session(user)
            flash(_("Your password has been changed."), "info")
            target = request.args.get("next")
            return redirect(target if is_safe_next(target) else url_for(HOME_ENDPOINT))
        form.current_password.errors = [*form.current_password.errors, _("The current password is wrong.")]
        status = 400
    elif form.errors:
        status = 400
    return render_template("auth/password.html", form=form), status
