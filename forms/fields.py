"""Field helpers shared by every family's forms: trimmed text, and rendering metadata."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError, fields


class Text(fields.String):
    """Text without surrounding blanks; required text must not be blank."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if self.required and not text:
            raise ValidationError("Must not be blank.")
        return text


def meta(label: str, label_en: str, choices: Mapping[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    """Field metadata the web form renderer reads: labels, help, widget, choices (code → label)."""
    result: dict[str, Any] = {"label": label, "label_en": label_en, **extra}
    if choices is not None:
        result["x-choices"] = dict(choices)
    return result
