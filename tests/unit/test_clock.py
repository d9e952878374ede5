"""The injectable clock: system time in UTC, and a fixed clock tests move by hand."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from engine.clock import Clock, FixedClock, SystemClock

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)


def test_system_clock_is_aware_utc_and_current() -> None:
    now = SystemClock().now()
    assert now.utcoffset() == timedelta(0)
    assert abs(now - datetime.now(timezone.utc)) < timedelta(seconds=5)


def test_both_clocks_satisfy_the_protocol() -> None:
    assert isinstance(SystemClock(), Clock)
    assert isinstance(FixedClock(T0), Clock)


def test_fixed_clock_stands_still_until_advanced() -> None:
    clock = FixedClock(T0)
    assert clock.now() == clock.now() == T0
    assert clock.advance(timedelta(minutes=5)) == T0 + timedelta(minutes=5)
    assert clock.now() == T0 + timedelta(minutes=5)
    clock.advance(timedelta(0))
    assert clock.now() == T0 + timedelta(minutes=5)


def test_fixed_clock_set_jumps_either_way() -> None:
    clock = FixedClock(T0)
    clock.set(T0 + timedelta(days=3))
    assert clock.now() == T0 + timedelta(days=3)
    clock.set(T0 - timedelta(days=1))
    assert clock.now() == T0 - timedelta(days=1)


def test_fixed_clock_converts_other_zones_to_utc() -> None:
    shanghai = datetime(2026, 3, 1, 16, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    clock = FixedClock(shanghai)
    assert clock.now() == T0 and clock.now().tzinfo == timezone.utc
    clock.set(shanghai + timedelta(hours=1))
    assert clock.now().tzinfo == timezone.utc and clock.now().hour == 9


@pytest.mark.parametrize("bad", [datetime(2026, 3, 1), "2026-03-01T08:00:00Z", None])
def test_fixed_clock_refuses_naive_or_non_datetimes(bad: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        FixedClock(bad)  # type: ignore[arg-type]
    clock = FixedClock(T0)
    with pytest.raises((ValueError, TypeError)):
        clock.set(bad)  # type: ignore[arg-type]
    assert clock.now() == T0


def test_fixed_clock_refuses_going_backwards_by_advance() -> None:
    clock = FixedClock(T0)
    with pytest.raises(ValueError, match="set"):
        clock.advance(timedelta(seconds=-1))
    with pytest.raises(TypeError):
        clock.advance(5)  # type: ignore[arg-type]
    assert clock.now() == T0


def test_fixed_clock_advances_are_not_lost_between_threads() -> None:
    clock = FixedClock(T0)

    def tick() -> None:
        for _ in range(1000):
            clock.advance(timedelta(microseconds=1))

    threads = [threading.Thread(target=tick) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert clock.now() == T0 + timedelta(microseconds=8000)
