"""Running an import: read the file, check every row, then store all of it or nothing.

The caller owns the transaction: :func:`run_import` raises :class:`ImportInvalid` before
writing anything when any row is bad, and a dry run checks and counts without writing.
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from types import ModuleType

from sqlalchemy import text
from sqlalchemy.orm import Session

from storage import is_postgres

from . import enterprises, projects, records
from .cells import Layout
from .plan import ImportContext, Progress, no_progress
from .problems import ImportInvalid
from .reading import read_table

KINDS: dict[str, ModuleType] = {"projects": projects, "enterprises": enterprises, "records": records}
LAYOUTS: dict[str, Layout] = {name: module.LAYOUT for name, module in KINDS.items()}
ANALYZE_AFTER_ROWS = 1000


@dataclass(frozen=True)
class ImportResult:
    """What an import did (or, for a dry run, would do)."""

    kind: str
    rows: int
    created: int
    updated: int
    unchanged: int
    dry_run: bool
    format: str
    encoding: str | None


def run_import(session: Session, kind: str, data: bytes, *, districts: Collection[str], now: datetime,
               today: date, dry_run: bool = False, progress: Progress = no_progress) -> ImportResult:
    """Import ``data`` (CSV or XLSX) as ``kind`` in the caller's transaction.

    Args:
        session: the caller's session; nothing is committed here.
        kind: ``projects``, ``enterprises`` or ``records``.
        data: the file's bytes.
        districts: the configured district names (``DISTRICTS``).
        now: the time recorded on created and updated rows.
        today: the local date (records dated after it are refused).
        dry_run: check and count only.
        progress: called with (phase, done, total) while checking and storing.

    Raises:
        ValueError: an unknown kind.
        ImportInvalid: the file has problems; every one is listed and nothing was written.
    """
    module = KINDS.get(kind)
    if module is None:
        raise ValueError(f"unknown import kind {kind!r}; kinds are {', '.join(KINDS)}")
    table = read_table(data)
    ctx = ImportContext(session, districts, now, today, progress)
    plan = module.plan(table, ctx)
    if plan.problems:
        raise ImportInvalid(plan.problems)
    if not dry_run:
        plan.apply()
        if plan.created + plan.updated >= ANALYZE_AFTER_ROWS and is_postgres(session):
            # PostgreSQL's advice after a bulk load: fresh statistics, so the usage reports run
            # right after a large import get hash joins instead of nested loops over stale counts.
            session.execute(text(f"ANALYZE {module.TABLE}"))
    return ImportResult(kind, plan.rows, plan.created, plan.updated, plan.unchanged, dry_run,
                        table.format, table.encoding)
