"""Device readings (the time series), their hourly and daily aggregates and the latest values.

``reading`` has no surrogate key: its primary key is ``(device_id, quantity, measured_at)``,
which both refuses a redelivered measurement and contains the time column, so PostgreSQL can
range-partition the table by month without changing it (see ``docs/devices.md``). For the
same reason, and because every insert would pay a trigger for it, ``reading`` carries no
foreign key to ``device``: the ingest resolves every device in the same transaction, and
devices are never deleted (they are deactivated).

Aggregates keep ``count``, ``total``, ``min`` and ``max`` so they can be updated by upserts,
batch after batch; the mean is ``total / count``. Hours are UTC hours; days are local days
(the bureau's calendar, ``TIMEZONE``).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Double, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utc


class Reading(Base):
    """One measurement of one quantity by one device."""

    __tablename__ = "reading"

    device_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    quantity: Mapped[str] = mapped_column(String(32), primary_key=True)
    measured_at: Mapped[utc] = mapped_column(primary_key=True)
    value: Mapped[float] = mapped_column(Double)
    unit: Mapped[str] = mapped_column(String(16))
    # "ok", or the device's own flag (HJ 212: F stopped, M maintenance, D fault, C calibration…).
    quality: Mapped[str] = mapped_column(String(16), default="ok")


class _Aggregate:
    count: Mapped[int]
    total: Mapped[float] = mapped_column(Double)
    min: Mapped[float] = mapped_column(Double)
    max: Mapped[float] = mapped_column(Double)

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else float("nan")


class ReadingHourly(_Aggregate, Base):
    """Readings of quality "ok" of one device and quantity in one UTC hour."""

    __tablename__ = "reading_hourly"

    device_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    quantity: Mapped[str] = mapped_column(String(32), primary_key=True)
    hour: Mapped[utc] = mapped_column(primary_key=True)


class ReadingDaily(_Aggregate, Base):
    """Readings of quality "ok" of one device and quantity on one local day."""

    __tablename__ = "reading_daily"

    device_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    quantity: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)


class ReadingLatest(Base):
    """The newest reading of each device and quantity (site pages and the open-data API)."""

    __tablename__ = "reading_latest"

    device_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    quantity: Mapped[str] = mapped_column(String(32), primary_key=True)
    measured_at: Mapped[datetime] = mapped_column()
    value: Mapped[float] = mapped_column(Double)
    unit: Mapped[str] = mapped_column(String(16))
    quality: Mapped[str] = mapped_column(String(16))
