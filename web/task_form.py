"""A task's marshmallow schema as an HTML form: fields to render, browser input to data, errors.

The schema is the single source (forms/registry.py): its field types pick the inputs (a
select for ``OneOf``, a date input for ``Date``, yes/no radios for ``Boolean``, one line per
item for a list of text, a file input for ``widget="file"`` fields that hold document ids),
its metadata gives the labels and help (``label``/``label_en``, ``help``/``help_en``), and
its validation errors come back beside each field, in the user's language.

What the browser sent is kept as text (:data:`RawValues`) so a rejected form, or a draft,
comes back exactly as it was typed.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import get_locale
from flask_babel import gettext as _
from marshmallow import Schema, fields, validate
from werkzeug.datastructures import MultiDict

RawValues = dict[str, str | list[str]]
UPLOAD_SUFFIX = "__upload"  # the file input beside a document field: "<field>__upload"


@dataclass
class FormField:
    """One input of the rendered form.

    Attributes:
        kind: text, textarea, email, integer, number, date, datetime, select, checkboxes,
            boolean, lines, file, files or json.
        value: what the input shows (a list for multi-valued kinds).
        choices: ``(value, label)`` pairs for select, checkboxes and boolean.
    """

    name: str
    label: str
    kind: str
    required: bool
    help: str | None = None
    choices: list[tuple[str, str]] = field(default_factory=list)
    value: str | list[str] = ""
    errors: list[str] = field(default_factory=list)
    max_length: int | None = None
    minimum: str | None = None
    maximum: str | None = None

    @property
    def multiple(self) -> bool:
        return self.kind in ("checkboxes", "files", "lines")

    @property
    def values(self) -> list[str]:
        return list(self.value) if isinstance(self.value, list) else ([self.value] if self.value else [])

    @property
    def text(self) -> str:
        """The value as one text (lines joined for a textarea)."""
        return "\n".join(self.value) if isinstance(self.value, list) else self.value


def _english() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "en"


def _meta(f: fields.Field, key: str) -> str | None:
    meta = f.metadata
    if _english() and meta.get(f"{key}_en"):
        return str(meta[f"{key}_en"])
    value = meta.get(key)
    return str(value) if value is not None else None


def _validators(f: fields.Field) -> list[Any]:
    return list(getattr(f, "validators", []) or [])


def _one_of(f: fields.Field) -> validate.OneOf | None:
    return next((v for v in _validators(f) if isinstance(v, validate.OneOf)), None)


def _choices(f: fields.Field, one_of: validate.OneOf, outer: fields.Field | None = None) -> list[tuple[str, str]]:
    # Families give labels as metadata "x-choices" (code → label) or as OneOf(labels=…); for a
    # list of choices the labels may sit on the list field itself.
    labels = {}
    for source in (outer, f):
        if source is not None:
            labels = source.metadata.get("x-choices") or source.metadata.get("choice_labels") or labels
    given = list(one_of.labels) if one_of.labels else []
    result = []
    for i, choice in enumerate(one_of.choices):
        label = labels.get(choice) or (given[i] if i < len(given) and given[i] else None) or choice
        result.append((str(choice), str(label)))
    return result


def _kind(f: fields.Field) -> str:
    widget = f.metadata.get("widget")
    if isinstance(f, fields.List):
        inner = f.inner
        if widget == "file" or inner.metadata.get("widget") == "file":
            return "files"
        if _one_of(inner) is not None:
            return "checkboxes"
        return "lines"
    if widget == "file":
        return "file"
    if _one_of(f) is not None:
        return "select"
    if isinstance(f, fields.Boolean):
        return "boolean"
    if isinstance(f, (fields.DateTime,)):
        return "datetime"
    if isinstance(f, fields.Date):
        return "date"
    if isinstance(f, fields.Integer):
        return "integer"
    if isinstance(f, fields.Number):
        return "number"
    if isinstance(f, fields.Email):
        return "email"
    if isinstance(f, (fields.Dict, fields.Nested, fields.Mapping)):
        return "json"
    if widget == "textarea":
        return "textarea"
    return "text"


def _limits(f: fields.Field, form_field: FormField) -> None:
    for v in _validators(f):
        if isinstance(v, validate.Length) and v.max is not None:
            form_field.max_length = v.max
        if isinstance(v, validate.Range):
            form_field.minimum = None if v.min is None else str(v.min)
            form_field.maximum = None if v.max is None else str(v.max)


def build_fields(schema: Schema, values: Mapping[str, Any] | None = None,
                 errors: Mapping[str, list[str]] | None = None) -> list[FormField]:
    """The inputs of ``schema`` in declaration order, filled with ``values`` (raw or loaded)."""
    values = values or {}
    errors = errors or {}
    result = []
    for name, f in schema.fields.items():
        if f.dump_only:
            continue
        key = f.data_key or name
        kind = _kind(f)
        help_text = _meta(f, "help")
        if kind in ("file", "files") and help_text and "/api/" in help_text:
            help_text = None  # instructions for API clients; the page uploads the files itself
        item = FormField(name=key, label=_meta(f, "label") or key, kind=kind, required=bool(f.required),
                         help=help_text)
        inner = f.inner if isinstance(f, fields.List) else f
        one_of = _one_of(inner)
        if one_of is not None:
            item.choices = _choices(inner, one_of, outer=f if inner is not f else None)
        elif kind == "boolean":
            item.choices = [("true", _("Yes")), ("false", _("No"))]
        _limits(f, item)
        item.value = _as_raw(values.get(key), kind)
        item.errors = list(errors.get(key, []))
        result.append(item)
    return result


def _as_raw(value: Any, kind: str) -> str | list[str]:
    """A loaded or raw value as the text the input shows."""
    if value is None:
        return [] if kind in ("checkboxes", "files", "lines") else ""
    if isinstance(value, list):
        return [_scalar_text(v) for v in value]
    if kind in ("checkboxes", "files", "lines"):
        return [_scalar_text(value)] if value != "" else []
    if kind == "json" and not isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if kind == "datetime" and isinstance(value, str) and len(value) > 16:
        return value[:16]  # an ISO datetime in the input's "YYYY-MM-DDTHH:MM" form
    return _scalar_text(value)


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def raw_values(schema: Schema, form: MultiDict[str, str], uploaded: Mapping[str, list[int]] | None = None) -> RawValues:
    """What the browser sent for each field, as text (``uploaded``: new document ids per field)."""
    uploaded = uploaded or {}
    raw: RawValues = {}
    for item in build_fields(schema):
        if item.kind in ("checkboxes", "files"):
            values = [v for v in form.getlist(item.name) if v.strip()]
            values += [str(i) for i in uploaded.get(item.name, [])]
            raw[item.name] = values
        elif item.kind == "file":
            new = uploaded.get(item.name, [])
            raw[item.name] = str(new[-1]) if new else form.get(item.name, "").strip()
        elif item.kind == "lines":
            raw[item.name] = [line.strip() for line in form.get(item.name, "").splitlines() if line.strip()]
        else:
            raw[item.name] = form.get(item.name, "")
    return raw


def to_data(schema: Schema, raw: RawValues, tz: ZoneInfo) -> dict[str, Any]:
    """The raw texts as input for ``schema.load``: empty inputs left out (so "required" applies)."""
    kinds = {item.name: item.kind for item in build_fields(schema)}
    data: dict[str, Any] = {}
    for name, value in raw.items():
        kind = kinds.get(name)
        if kind is None:
            continue
        if isinstance(value, list):
            if value:  # no items is "not given": the schema's default or its "required" applies
                data[name] = [int(v) if kind == "files" and v.isdigit() else v for v in value]
            continue
        text = value.strip() if kind not in ("textarea", "text") else value
        if not text.strip():
            continue
        if kind == "file":
            data[name] = int(text) if text.isdigit() else text
        elif kind == "datetime":
            data[name] = _local_datetime(text, tz)
        elif kind == "json":
            try:
                data[name] = json.loads(text)
            except ValueError:
                data[name] = text  # the schema reports it as invalid
        else:
            data[name] = text
    return data


def _local_datetime(text: str, tz: ZoneInfo) -> str:
    """``YYYY-MM-DDTHH:MM`` typed in local time → ISO 8601 with its offset."""
    try:
        return datetime.fromisoformat(text).replace(tzinfo=tz).isoformat()
    except ValueError:
        return text


def document_ids(raw: RawValues, schema: Schema) -> list[int]:
    """Every document id the form refers to (to show each one's file name)."""
    ids: list[int] = []
    for item in build_fields(schema):
        if item.kind in ("file", "files"):
            value = raw.get(item.name)
            for v in value if isinstance(value, list) else [value or ""]:
                if v.isdigit():
                    ids.append(int(v))
    return ids


def flatten_errors(errors: Mapping[str, Any]) -> dict[str, list[str]]:
    """Marshmallow's nested messages (``{"findings": {0: [...]}}``) as one list per field."""
    flat: dict[str, list[str]] = {}
    for key, value in errors.items():
        flat[str(key)] = _messages(value)
    return flat


def _messages(value: Any) -> list[str]:
    """Every message under ``value``, localized; items of a list say which item they are about."""
    if isinstance(value, str):
        return [localize(value)]
    if isinstance(value, Mapping):
        out = []
        for index, inner in value.items():
            prefix = _("Item %(n)s: ", n=int(index) + 1) if str(index).isdigit() else ""
            out += [prefix + m for m in _messages(inner)]
        return out
    if isinstance(value, (list, tuple)):
        return [m for v in value for m in _messages(v)]
    return [localize(str(value))]


_PATTERNS: list[tuple[re.Pattern[str], Any]] = [
    (re.compile(r"^Missing data for required field\.$"), lambda m: _("This field is required.")),
    (re.compile(r"^Field may not be null\.$"), lambda m: _("This field is required.")),
    (re.compile(r"^Must not be blank\.$"), lambda m: _("This field is required.")),
    (re.compile(r"^Not a valid integer\.$"), lambda m: _("Enter a whole number.")),
    (re.compile(r"^Not a valid number\.$"), lambda m: _("Enter a number.")),
    (re.compile(r"^Not a valid boolean\.$"), lambda m: _("Choose yes or no.")),
    (re.compile(r"^Not a valid date\.$"), lambda m: _("Enter a date as YYYY-MM-DD.")),
    (re.compile(r"^Not a valid (aware |naive )?datetime\.$"), lambda m: _("Enter a date and time.")),
    (re.compile(r"^Not a valid email address\.$"), lambda m: _("Enter a valid email address.")),
    (re.compile(r"^Not a valid (string|list|mapping type)\.$"), lambda m: _("The value has the wrong form.")),
    (re.compile(r"^Must be one of: (.*)\.$"), lambda m: _("Choose one of the listed options.")),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), lambda m: _("At most %(n)s characters.", n=m.group(1))),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"), lambda m: _("At least %(n)s characters.", n=m.group(1))),
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"),
     lambda m: _("Between %(a)s and %(b)s characters or items.", a=m.group(1), b=m.group(2))),
    (re.compile(r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$"),
     lambda m: _("Must be between %(a)s and %(b)s.", a=m.group(1), b=m.group(2))),
    (re.compile(r"^Must be greater than or equal to (\S+)\.$"), lambda m: _("Must be at least %(a)s.", a=m.group(1))),
    (re.compile(r"^Must be less than or equal to (\S+)\.$"), lambda m: _("Must be at most %(a)s.", a=m.group(1))),
    (re.compile(r"^Unknown field\.$"), lambda m: _("This field is not part of the form.")),
    (re.compile(r"^Invalid value\.$"), lambda m: _("Invalid value.")),
]


def localize(message: str) -> str:
    """A validation message in the user's language.

    marshmallow's own messages are recognised by their wording; a family's own message is
    looked up in the catalog as a msgid (so families can translate theirs) and otherwise
    shown as written.
    """
    for pattern, render in _PATTERNS:
        match = pattern.match(message)
        if match:
            return str(render(match))
    return str(_(message)) if message else message


def display_text(item: FormField, document_names: Mapping[int, str] | None = None) -> str:
    """A field's value as read-only text: choice labels, yes/no, file names, items joined."""
    names = document_names or {}
    labels = dict(item.choices)
    if item.kind in ("file", "files"):
        return "、".join(names.get(int(v), v) if v.isdigit() else v for v in item.values) or "—"
    if item.choices:
        return "、".join(labels.get(v, v) for v in item.values) or "—"
    if item.multiple:
        return "；".join(item.values) or "—"
    return item.text or "—"
