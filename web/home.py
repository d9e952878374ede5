"""The home page: who you are and where to go next (issue 4 grows it into the inbox)."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from .auth.decorators import login_required
from .auth.principal import current_principal

bp = Blueprint("main", __name__)


@bp.get("/")
@login_required
def home() -> ResponseReturnValue:
    return render_template("home.html", principal=current_principal())
