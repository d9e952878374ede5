"""Browser forms of the login and password pages (Flask-WTF: CSRF token included)."""
from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from storage.users import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH


class BrowserForm(FlaskForm):
    """A form that reads only what a browser posts: its fields, never a JSON body.

    Flask-WTF would take a JSON body as the form's data, and anything but an object of
    strings in it (``"x"``, ``{"username": 5}``) failed inside WTForms with a 500.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if not args and "formdata" not in kwargs and request.is_json:
            kwargs["formdata"] = request.form  # empty: the fields' own messages say what is missing
        super().__init__(*args, **kwargs)


class LoginForm(BrowserForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=120)],
                           render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=PASSWORD_MAX_LENGTH)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class PasswordChangeForm(BrowserForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=PASSWORD_MIN_LENGTH, max=PASSWORD_MAX_LENGTH)],
        render_kw={"autocomplete": "new-password", "minlength": PASSWORD_MIN_LENGTH},
    )
    confirm_password = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )
