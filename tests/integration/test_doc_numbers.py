"""``storage.doc_numbers``: gap-free numbers per series and year, safe under concurrency."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from storage import DocumentSequence, next_number


def test_numbers_count_per_series_and_year(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        got = [next_number(session, "海曙区/整", 2026) for _ in range(3)]
        got += [next_number(session, "江北区/整", 2026), next_number(session, "海曙区/整", 2027),
                next_number(session, "海曙区/停", 2026)]
    assert got == [1, 2, 3, 1, 1, 1]
    with session_factory() as session:
        rows = {(r.series, r.year): r.last_number for r in session.scalars(select(DocumentSequence))}
    assert rows == {("海曙区/整", 2026): 3, ("江北区/整", 2026): 1, ("海曙区/整", 2027): 1, ("海曙区/停", 2026): 1}


def test_a_rolled_back_number_is_given_again(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        assert next_number(session, "s", 2026) == 1
    with session_factory() as session:
        with session.begin():
            assert next_number(session, "s", 2026) == 2
            session.rollback()
    with session_factory.begin() as session:
        assert next_number(session, "s", 2026) == 2  # no gap


@pytest.mark.parametrize("series, year", [("", 2026), ("x" * 81, 2026), ("s", 1066), ("s", 10_000)])
def test_bad_series_or_year_is_refused(session_factory: sessionmaker[Session], series: str, year: int) -> None:
    with session_factory() as session, pytest.raises(ValueError):
        next_number(session, series, year)


def test_concurrent_transactions_get_consecutive_numbers(db_engine: Engine,
                                                         session_factory: sessionmaker[Session]) -> None:
    if db_engine.dialect.name != "postgresql":
        pytest.skip("SQLite serializes writers with a database lock; the row lock is PostgreSQL's")
    with session_factory.begin() as session:
        next_number(session, "race", 2026)  # the row exists: both transactions below update it
    results: list[int] = []
    first = session_factory()
    first.begin()
    results.append(next_number(first, "race", 2026))  # holds the row lock until commit

    def second() -> None:
        with session_factory.begin() as session:
            results.append(next_number(session, "race", 2026))

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.3)
    assert thread.is_alive(), "the second transaction must wait for the first"
    first.commit()
    first.close()
    thread.join(timeout=10)
    assert results == [2, 3]


def test_two_first_numbers_of_a_year_do_not_collide(db_engine: Engine, session_factory: sessionmaker[Session]) -> None:
    if db_engine.dialect.name != "postgresql":
        pytest.skip("needs concurrent writers (PostgreSQL)")
    first = session_factory()
    first.begin()
    assert next_number(first, "new", 2026) == 1  # inserted the row, holds it
    results: list[int] = []

    def second() -> None:
        with session_factory.begin() as session:
            results.append(next_number(session, "new", 2026))

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.3)
    first.commit()
    first.close()
    thread.join(timeout=10)
    assert results == [2]
