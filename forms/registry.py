"""Forms of user tasks: one marshmallow schema per form key, registered by process families.

The same schema validates submissions (engine), renders the form (web) and describes it as
JSON Schema in the API. Field labels and help text come from ``metadata``: ``label``,
``label_en``, ``help``, ``widget`` (e.g. ``"textarea"``, ``"file"``).
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema

FORM_KEY = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


@dataclass(frozen=True)
class FormDefinition:
    key: str
    schema_class: type[Schema]
    title: str
    title_en: str | None = None


class FormRegistry:
    """Explicit registry (frozen after start-up) of the forms user tasks may name."""

    def __init__(self) -> None:
        self._forms: dict[str, FormDefinition] = {}
        self._frozen = False

    def register(self, key: str, schema_class: type[Schema], title: str, title_en: str | None = None) -> None:
        if self._frozen:
            raise RuntimeError(f"cannot register form {key!r}: the registry is frozen after start-up")
        if not FORM_KEY.match(key):
            raise ValueError(f"form key {key!r} must look like 'family.form_name'")
        if key in self._forms:
            raise ValueError(f"form {key!r} is already registered")
        self._forms[key] = FormDefinition(key, schema_class, title, title_en)

    def freeze(self) -> None:
        self._frozen = True

    def schema(self, form_key: str) -> Schema | None:
        form = self._forms.get(form_key)
        return form.schema_class() if form else None

    def get(self, form_key: str) -> FormDefinition | None:
        return self._forms.get(form_key)

    def __contains__(self, form_key: object) -> bool:
        return form_key in self._forms

    def __iter__(self) -> Iterator[FormDefinition]:
        return iter(sorted(self._forms.values(), key=lambda f: f.key))

    def json_schema(self, form_key: str) -> dict[str, Any] | None:
        """The form as JSON Schema (draft 2020-12 compatible subset), with labels as titles."""
        form = self._forms.get(form_key)
        if form is None:
            return None
        return schema_to_json_schema(form.schema_class(), form.title)


def schema_to_json_schema(schema: Schema, title: str | None = None) -> dict[str, Any]:
    plugin = MarshmallowPlugin()
    APISpec(title="forms", version="1", openapi_version="3.1.0", plugins=[plugin])
    assert plugin.converter is not None
    result: dict[str, Any] = plugin.converter.schema2jsonschema(schema)
    for name, field in schema.fields.items():
        prop = result.get("properties", {}).get(field.data_key or name)
        if prop is None:
            continue
        meta = field.metadata
        if "label" in meta:
            prop["title"] = meta["label"]
        if "help" in meta:
            prop["description"] = meta["help"]
        if "widget" in meta:
            prop["x-widget"] = meta["widget"]
    if title:
        result["title"] = title
    return result
