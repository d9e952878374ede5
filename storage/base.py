"""Declarative base, shared column types and the clock-free helpers every model uses."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Annotated, Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer, MetaData, Numeric, String, TypeDecorator
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, mapped_column

# Stable constraint names so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


# JSON that is JSONB on PostgreSQL (indexable, compact) and plain JSON elsewhere.
JSONType = JSON().with_variant(postgresql.JSONB(), "postgresql")
# BIGINT on PostgreSQL, INTEGER on SQLite (only INTEGER PRIMARY KEY autoincrements there).
# Both are signed 64-bit: a larger number cannot even be compared with a key (SQLite raises
# OverflowError, PostgreSQL "bigint out of range"), so input is checked against this first.
MAX_ID = 2**63 - 1
MAX_INT = 2**31 - 1  # an INTEGER column (e.g. a model's version number) on PostgreSQL
# PostgreSQL's text and JSONB cannot hold U+0000: text that reaches a query is checked for it.
NUL = "\x00"
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")

intpk = Annotated[int, mapped_column(BigIntPK, primary_key=True, autoincrement=True)]
utc = Annotated[datetime, mapped_column(UTCDateTime())]
str40 = Annotated[str, mapped_column(String(40))]
str64 = Annotated[str, mapped_column(String(64))]
str200 = Annotated[str, mapped_column(String(200))]
money = Annotated[Decimal, mapped_column(Numeric(18, 2))]
json_dict = Annotated[dict[str, Any], mapped_column(JSONType)]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSONType, datetime: UTCDateTime()}


def utcnow() -> datetime:
    """Wall-clock UTC now; engine code takes its time from an injected clock instead."""
    return datetime.now(timezone.utc)


def nul_path(value: Any) -> str | None:
    """The dotted path (``notes.1``, ``found.key``) of the first text holding a NUL, else None.

    ``""`` when ``value`` itself is such a text. Walks JSON-like data: dicts (keys too), lists
    and tuples. Iterative: the data may nest as deep as a JSON parser allowed.
    """
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if NUL in item:
                return path
        elif isinstance(item, dict):
            for key, inner in reversed(item.items()):
                where = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and NUL in key:
                    return where.replace(NUL, "")
                stack.append((where, inner))
        elif isinstance(item, (list, tuple)):
            stack.extend((f"{path}.{i}" if path else str(i), inner) for i, inner in reversed(list(enumerate(item))))
    return None
