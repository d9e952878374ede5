"""Document numbers (文号): a gap-free sequence per series (e.g. a district's notices) and year.

``next_number`` increments the series' row with one ``UPDATE … RETURNING`` inside the
caller's transaction. On PostgreSQL the updated row stays locked until that transaction ends,
so two concurrent steps get consecutive numbers; if a step rolls back, its number is given
again to the next one (no gaps, no duplicates). A missing row is created with
``INSERT … ON CONFLICT DO NOTHING`` first, so two first numbers of a year cannot collide.
"""
from __future__ import annotations

from sqlalchemy import Integer, String, UniqueConstraint, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from .base import Base, intpk
from .db import is_postgres

SERIES_MAX = 80


class DocumentSequence(Base):
    """The last number given in one series and year."""

    __tablename__ = "document_sequence"
    __table_args__ = (UniqueConstraint("series", "year"),)

    id: Mapped[intpk]
    series: Mapped[str] = mapped_column(String(SERIES_MAX))
    year: Mapped[int] = mapped_column(Integer)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


def next_number(session: Session, series: str, year: int) -> int:
    """The next number (1, 2, …) of ``series`` in ``year``; the caller's transaction keeps it.

    Raises:
        ValueError: ``series`` is empty or longer than 80 characters, or ``year`` is implausible.
    """
    if not series or len(series) > SERIES_MAX:
        raise ValueError(f"series must be 1..{SERIES_MAX} characters")
    if not 1900 <= year <= 9999:
        raise ValueError(f"year {year} is out of range")
    number = _increment(session, series, year)
    if number is None:
        dialect_insert = postgresql.insert if is_postgres(session) else sqlite.insert
        session.execute(
            dialect_insert(DocumentSequence).values(series=series, year=year, last_number=0)
            .on_conflict_do_nothing(index_elements=["series", "year"])
        )
        number = _increment(session, series, year)
    assert number is not None
    return number


def _increment(session: Session, series: str, year: int) -> int | None:
    result = session.execute(
        update(DocumentSequence)
        .where(DocumentSequence.series == series, DocumentSequence.year == year)
        .values(last_number=DocumentSequence.last_number + 1)
        .returning(DocumentSequence.last_number)
        .execution_options(synchronize_session=False)
    )
    return result.scalar_one_or_none()
