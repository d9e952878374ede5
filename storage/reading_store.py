"""Bulk writes of readings: store only what is new, fold it into the aggregates and latest values.

:func:`store_batch` takes the caller's session and never commits (the ingest batch owns the
transaction). Nothing here issues a query per reading. PostgreSQL gets the batch in **one**
statement, as six binary array parameters (one per column, unnested): data-modifying CTEs insert
the new readings (``ON CONFLICT DO NOTHING``), upsert the hourly and daily aggregates and the
latest values from exactly those rows, and return the keys that were already stored (usually
none: returning every new key instead cost more Python time than the insert) with the updated
hourly totals. SQLite (the embedded default) runs the same steps as ``executemany`` upserts,
the aggregates folded in Python. Rows are written in key order so that concurrent batches lock
aggregate rows in the same order.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from .db import is_postgres
from .readings import Reading, ReadingDaily, ReadingHourly, ReadingLatest

CHUNK_ROWS = 1000


class ReadingRow(NamedTuple):
    """One reading to store (``measured_at`` tz-aware UTC)."""

    device_id: int
    quantity: str
    measured_at: datetime
    value: float
    unit: str
    quality: str


ReadingKey = tuple[int, str, datetime]


class AggregateRow(NamedTuple):
    """Readings of one device, quantity and bucket (an hour or a day) in an aggregate."""

    device_id: int
    quantity: str
    bucket: datetime | date
    count: int
    total: float
    min: float
    max: float


@dataclass
class StoredBatch:
    """What :func:`store_batch` did: the keys it found already stored (not inserted again), and
    the hourly totals it updated."""

    duplicates: set[ReadingKey] = field(default_factory=set)
    hourly: list[AggregateRow] = field(default_factory=list)


def hour_of(when: datetime) -> datetime:
    """The UTC hour of ``when`` (the bucket of ``reading_hourly``)."""
    return when.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)


def store_batch(session: Session, rows: Sequence[ReadingRow], tz: ZoneInfo,
                hourly_of: Collection[str] = ()) -> StoredBatch:
    """Insert ``rows`` (unique keys) unless already stored and maintain the aggregates.

    Args:
        rows: the batch, one row per key.
        tz: the bureau's time zone (days of ``reading_daily``).
        hourly_of: quantities whose updated hourly totals to return (for hourly rules).
    """
    if not rows:
        return StoredBatch()
    if is_postgres(session):
        return _store_postgres(session, rows, tz, hourly_of)  # its SQL orders the rows itself
    return _store_sqlite(session, sorted(rows), tz, hourly_of)


# -- PostgreSQL -------------------------------------------------------------------------
# The keys already stored come from EXCEPT, not NOT EXISTS: the planner cannot size an
# unnested array parameter and chose a nested-loop anti-join (quadratic in the batch).

_STORE_SQL = """
WITH batch AS (
    SELECT * FROM unnest(%(device_id)b::bigint[], %(quantity)b::varchar[], %(measured_at)b::timestamptz[],
                         %(value)b::float8[], %(unit)b::varchar[], %(quality)b::varchar[])
        AS b (device_id, quantity, measured_at, value, unit, quality)
), new AS (
    INSERT INTO reading (device_id, quantity, measured_at, value, unit, quality)
    SELECT device_id, quantity, measured_at, value, unit, quality FROM batch
    ORDER BY device_id, quantity, measured_at
    ON CONFLICT DO NOTHING
    RETURNING device_id, quantity, measured_at, value, unit, quality
), hourly AS (
    INSERT INTO reading_hourly AS h (device_id, quantity, hour, count, total, min, max)
    SELECT device_id, quantity, date_trunc('hour', measured_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
           count(*), sum(value), min(value), max(value)
    FROM new WHERE quality = 'ok' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (device_id, quantity, hour) DO UPDATE SET count = h.count + excluded.count,
        total = h.total + excluded.total, min = least(h.min, excluded.min), max = greatest(h.max, excluded.max)
    RETURNING h.device_id, h.quantity, h.hour, h.count, h.total, h.min, h.max
), daily AS (
    INSERT INTO reading_daily AS d (device_id, quantity, day, count, total, min, max)
    SELECT device_id, quantity, (measured_at AT TIME ZONE %(tz)s)::date,
           count(*), sum(value), min(value), max(value)
    FROM new WHERE quality = 'ok' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (device_id, quantity, day) DO UPDATE SET count = d.count + excluded.count,
        total = d.total + excluded.total, min = least(d.min, excluded.min), max = greatest(d.max, excluded.max)
    RETURNING 1
), latest AS (
    INSERT INTO reading_latest AS l (device_id, quantity, measured_at, value, unit, quality)
    SELECT DISTINCT ON (device_id, quantity) device_id, quantity, measured_at, value, unit, quality
    FROM new ORDER BY device_id, quantity, measured_at DESC
    ON CONFLICT (device_id, quantity) DO UPDATE SET measured_at = excluded.measured_at,
        value = excluded.value, unit = excluded.unit, quality = excluded.quality
        WHERE l.measured_at < excluded.measured_at
    RETURNING 1
)
SELECT 'd', device_id, quantity, measured_at, NULL::bigint, NULL::float8, NULL::float8, NULL::float8
FROM (SELECT device_id, quantity, measured_at FROM batch
      EXCEPT SELECT device_id, quantity, measured_at FROM new) AS already_stored
UNION ALL
SELECT 'h', device_id, quantity, hour, count, total, min, max FROM hourly WHERE quantity = ANY(%(hourly_of)s)
"""


def _store_postgres(session: Session, rows: Sequence[ReadingRow], tz: ZoneInfo,
                    hourly_of: Collection[str]) -> StoredBatch:
    # Binary arrays beat the former COPY into a temporary staging table (measured with 1,000
    # rows on 2 cores: 3.6 ms instead of 10 ms a batch, 40 % less client CPU, and no staging
    # table to check, empty and truncate at every commit).
    session.flush()
    conn = session.connection().connection.driver_connection
    assert conn is not None
    columns = dict(zip(ReadingRow._fields, (list(column) for column in zip(*rows))))
    stored = StoredBatch()
    with conn.cursor() as cur:
        cur.execute(_STORE_SQL, {**columns, "tz": tz.key, "hourly_of": list(hourly_of)})
        for kind, device_id, quantity, when, count, total, low, high in cur.fetchall():
            when = when.astimezone(timezone.utc)
            if kind == "d":
                stored.duplicates.add((device_id, quantity, when))
            else:
                stored.hourly.append(AggregateRow(device_id, quantity, when, count, total, low, high))
    return stored


# -- SQLite ------------------------------------------------------------------------------

def _chunks(rows: Sequence[Any], size: int = CHUNK_ROWS) -> Iterable[Sequence[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def _fold(rows: Iterable[ReadingRow], bucket_of: Any) -> list[AggregateRow]:
    groups: dict[tuple[int, str, Any], list[Any]] = {}
    for row in rows:
        if row.quality != "ok":
            continue
        key = (row.device_id, row.quantity, bucket_of(row.measured_at))
        acc = groups.get(key)
        if acc is None:
            groups[key] = [1, row.value, row.value, row.value]
        else:
            acc[0] += 1
            acc[1] += row.value
            acc[2] = min(acc[2], row.value)
            acc[3] = max(acc[3], row.value)
    return [AggregateRow(d, q, b, c, t, lo, hi) for (d, q, b), (c, t, lo, hi) in sorted(groups.items())]


def _upsert_aggregates(session: Session, model: type[ReadingHourly] | type[ReadingDaily], bucket: str,
                       rows: Sequence[AggregateRow]) -> list[AggregateRow]:
    ins = sqlite.insert(model)
    stmt = ins.on_conflict_do_update(
        index_elements=["device_id", "quantity", bucket],
        set_={"count": model.count + ins.excluded.count, "total": model.total + ins.excluded.total,
              # SQLite's two-argument min()/max() are scalar functions.
              "min": func.min(model.min, ins.excluded.min), "max": func.max(model.max, ins.excluded.max)},
    ).returning(model.device_id, model.quantity, getattr(model, bucket), model.count, model.total, model.min,
                model.max)
    params = [{"device_id": r.device_id, "quantity": r.quantity, bucket: r.bucket, "count": r.count,
               "total": r.total, "min": r.min, "max": r.max} for r in rows]
    result: list[AggregateRow] = []
    for chunk in _chunks(params):
        result.extend(AggregateRow(*row) for row in session.execute(stmt, list(chunk)))
    return result


def _latest(rows: Iterable[ReadingRow]) -> list[ReadingRow]:
    newest: dict[tuple[int, str], ReadingRow] = {}
    for row in rows:
        current = newest.get((row.device_id, row.quantity))
        if current is None or row.measured_at > current.measured_at:
            newest[(row.device_id, row.quantity)] = row
    return [newest[key] for key in sorted(newest)]


def _store_sqlite(session: Session, rows: Sequence[ReadingRow], tz: ZoneInfo,
                  hourly_of: Collection[str]) -> StoredBatch:
    stmt = (sqlite.insert(Reading)
            .on_conflict_do_nothing(index_elements=["device_id", "quantity", "measured_at"])
            .returning(Reading.device_id, Reading.quantity, Reading.measured_at))
    inserted: set[ReadingKey] = set()
    for chunk in _chunks(rows):
        inserted.update((d, q, m) for d, q, m in session.execute(stmt, [row._asdict() for row in chunk]))
    stored = StoredBatch(duplicates={key for key in ((r.device_id, r.quantity, r.measured_at) for r in rows)
                                     if key not in inserted})
    new = [row for row in rows if (row.device_id, row.quantity, row.measured_at) in inserted]
    hourly = _upsert_aggregates(session, ReadingHourly, "hour", _fold(new, hour_of))
    stored.hourly = [row for row in hourly if row.quantity in hourly_of]
    _upsert_aggregates(session, ReadingDaily, "day", _fold(new, lambda when: when.astimezone(tz).date()))
    latest = _latest(new)
    if latest:
        ins = sqlite.insert(ReadingLatest)
        upsert = ins.on_conflict_do_update(
            index_elements=["device_id", "quantity"],
            set_={"measured_at": ins.excluded.measured_at, "value": ins.excluded.value,
                  "unit": ins.excluded.unit, "quality": ins.excluded.quality},
            where=ReadingLatest.measured_at < ins.excluded.measured_at,
        )
        for chunk in _chunks(latest):
            session.execute(upsert, [row._asdict() for row in chunk])
    return stored
