"""storage.row_writes on SQLite and PostgreSQL: direct row writes and pipelined blocks."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import exc, select
from sqlalchemy.orm import Session, sessionmaker

from storage import Case, ProcessDefinition, ProcessInstance, WaitingEvent
from storage.row_writes import insert_rows, pipelined, update_row

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def instance_id(session_factory: sessionmaker[Session]) -> int:
    with session_factory.begin() as session:
        definition = ProcessDefinition(key="k", version=1, sha256="0" * 64, bpmn_xml="<x/>", spec=b"")
        case = Case(process_key="k", status="active")
        session.add_all([definition, case])
        session.flush()
        row = ProcessInstance(case_id=case.id, definition_id=definition.id, status="running", state=b"s0")
        session.add(row)
        session.flush()
        return row.id


def test_update_row_writes_values_and_pending_changes_and_leaves_nothing_to_flush(
    session_factory: sessionmaker[Session], instance_id: int,
) -> None:
    with session_factory.begin() as session:
        row = session.get(ProcessInstance, instance_id)
        assert row is not None
        row.status_reason = "pending on the object"
        update_row(session, row, {"state": b"s1", "step_count": 3})
        assert (row.state, row.step_count, row.status_reason) == (b"s1", 3, "pending on the object")
        assert not session.is_modified(row)  # a flush would write nothing more
    with session_factory() as session:
        stored = session.get(ProcessInstance, instance_id)
        assert stored is not None
        assert (stored.state, stored.step_count, stored.status_reason) == (b"s1", 3, "pending on the object")


def test_update_row_refuses_an_object_without_a_row(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session, pytest.raises(ValueError, match="no row"):
        update_row(session, Case(process_key="k", status="active"), {"status": "closed"})


def test_pipelined_writes_all_land(session_factory: sessionmaker[Session], instance_id: int) -> None:
    with session_factory.begin() as session:
        row = session.get(ProcessInstance, instance_id)
        assert row is not None
        with pipelined(session):
            insert_rows(session, WaitingEvent, [
                {"instance_id": instance_id, "case_id": row.case_id, "kind": "signal", "name": f"s{i}"}
                for i in range(3)])
            update_row(session, row, {"step_count": 9})
        # After the block, reads work again and see the writes.
        names = session.scalars(select(WaitingEvent.name).order_by(WaitingEvent.name)).all()
        assert names == ["s0", "s1", "s2"]
    with session_factory() as session:
        assert session.get(ProcessInstance, instance_id).step_count == 9  # type: ignore[union-attr]


def test_a_failed_pipelined_write_raises_and_the_transaction_keeps_nothing(
    session_factory: sessionmaker[Session], instance_id: int,
) -> None:
    with pytest.raises(exc.DBAPIError):
        with session_factory.begin() as session:
            row = session.get(ProcessInstance, instance_id)
            assert row is not None
            with pipelined(session):
                update_row(session, row, {"step_count": 5})
                # No such instance: the foreign key refuses the row (at the end of the block
                # on PostgreSQL, at once on SQLite).
                insert_rows(session, WaitingEvent, [
                    {"instance_id": 999_999, "case_id": row.case_id, "kind": "signal", "name": "x"}])
    with session_factory() as session:
        assert session.get(ProcessInstance, instance_id).step_count == 0  # type: ignore[union-attr]
        assert session.scalars(select(WaitingEvent)).all() == []
