"""Field builders of the supervision forms: Chinese labels, choices, dates and document lists.

Every field carries ``metadata``: ``label`` (Chinese), ``label_en``, optional ``help`` and
``widget``, and ``x-choices`` (code → Chinese label) for enumerations, which the web layer
renders as a select.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from forms.fields import Text, meta

MAX_TEXT = 2000
MAX_DOCUMENTS = 30
MAX_ITEMS = 50
DOCUMENT_HELP = "先上传文件（POST /api/v1/documents，带本案件编号），再填写返回的文件编号"


def text(label: str, label_en: str, *, required: bool = True, max_length: int = MAX_TEXT,
         widget: str | None = None, help: str | None = None) -> Text:
    extra: dict[str, Any] = {}
    if widget:
        extra["widget"] = widget
    if help:
        extra["help"] = help
    length = validate.Length(max=max_length)
    if required:
        return Text(required=True, validate=length, metadata=meta(label, label_en, **extra))
    return Text(load_default="", allow_none=True, validate=length, metadata=meta(label, label_en, **extra))


def choice(choices: Mapping[str, str], label: str, label_en: str, **kwargs: Any) -> fields.String:
    if "load_default" not in kwargs:
        kwargs["required"] = True
    return fields.String(validate=validate.OneOf(list(choices)), metadata=meta(label, label_en, choices), **kwargs)


def day(label: str, label_en: str, *, required: bool = True, help: str | None = None) -> fields.Date:
    extra = {"help": help} if help else {}
    if required:
        return fields.Date(required=True, metadata=meta(label, label_en, **extra))
    return fields.Date(load_default=None, allow_none=True, metadata=meta(label, label_en, **extra))


def items(label: str, label_en: str, *, required: bool = True, help: str | None = None) -> fields.List:
    """A list of short texts (problems found, key points), one item each."""
    extra = {"help": help} if help else {}
    item = Text(required=True, validate=validate.Length(max=500))
    if required:
        return fields.List(item, required=True, validate=validate.Length(min=1, max=MAX_ITEMS),
                           metadata=meta(label, label_en, **extra))
    return fields.List(item, load_default=list, validate=validate.Length(max=MAX_ITEMS),
                       metadata=meta(label, label_en, **extra))


def document_ids(label: str, label_en: str, *, required: bool = False) -> fields.List:
    """Ids of documents uploaded to this case beforehand (checked by the step's service)."""
    item = fields.Integer(strict=True, validate=validate.Range(min=1))
    info = meta(label, label_en, widget="file", help=DOCUMENT_HELP)
    if required:
        return fields.List(item, required=True, validate=validate.Length(min=1, max=MAX_DOCUMENTS), metadata=info)
    return fields.List(item, load_default=list, validate=validate.Length(max=MAX_DOCUMENTS), metadata=info)


def usernames(label: str, label_en: str, help: str) -> fields.List:
    item = Text(required=True, validate=validate.Length(min=1, max=120))
    return fields.List(item, required=True, validate=validate.Length(max=20), metadata=meta(label, label_en, help=help))


class SupervisionForm(Schema):
    """Base of the family's forms: unknown fields are refused; teams have enough inspectors.

    ``team_fields`` name the fields that list inspectors; ``min_inspectors`` is replaced by
    the configured value when the form is registered (``MIN_INSPECTORS_PER_INSPECTION``).
    """

    team_fields: tuple[str, ...] = ()
    min_inspectors = 2

    @validates_schema
    def _check_team(self, data: Mapping[str, Any], **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        for name in self.team_fields:
            team = data.get(name)
            if team is None:
                continue
            if len(set(team)) != len(team):
                errors[name] = ["An inspector is listed twice."]
            elif len(team) < self.min_inspectors:
                errors[name] = [f"At least {self.min_inspectors} different inspectors are required."]
        if errors:
            raise ValidationError(errors)
