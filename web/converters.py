"""URL converters: a route's numbers match only what the database column can hold."""
from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map

from storage import MAX_ID, MAX_INT


class DatabaseIdConverter(IntegerConverter):
    """``<int:…>`` capped at the largest 64-bit key: a longer number is no route, so 404.

    Werkzeug's own converter takes any length, and a number past 64 bits then failed in the
    database (500) instead of being a page that does not exist.
    """

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None,  # noqa: A002 - werkzeug's names
                 max: int | None = MAX_ID, signed: bool = False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits, min, max, signed)


class ModelVersionConverter(IntegerConverter):
    """``<version:…>``: a process model's version number, an INTEGER column (32 bits)."""

    def __init__(self, map: Map) -> None:  # noqa: A002 - werkzeug's name
        super().__init__(map, min=1, max=MAX_INT)


def init_app(app: Any) -> None:
    """Install the converters; before any blueprint adds its rules (they are compiled then)."""
    app.url_map.converters["int"] = DatabaseIdConverter
    app.url_map.converters["version"] = ModelVersionConverter
