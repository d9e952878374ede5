"""storage.drafts: one draft per user and task, replaced on save, removed with the task's completion."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storage import Task

from storage.drafts import MAX_DRAFT_VALUE_CHARS, delete_drafts, load_draft, save_draft
from tests.fixtures import bpmn
from tests.fixtures.engine import EngineEnv

AT = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


def a_task(env: EngineEnv) -> tuple[int, int, int]:
    env.deploy(bpmn.sequence("dr_p", ["t"]))
    env.start("dr_p")
    alice = env.user("alice")
    bob = env.user("bob")
    with env.sessions() as s:
        return s.scalar(select(Task.id)), alice.user_id, bob.user_id  # type: ignore[return-value]


def test_save_replace_and_delete(env: EngineEnv, session_factory: sessionmaker[Session]) -> None:
    task, alice, bob = a_task(env)
    with session_factory.begin() as s:
        save_draft(s, task, alice, {"note": "first", "items": ["a", "b"]}, now=AT)
    with session_factory.begin() as s:
        save_draft(s, task, alice, {"note": "second"}, now=AT)
        save_draft(s, task, bob, {"note": "bob's"}, now=AT)
    with session_factory() as s:
        draft = load_draft(s, task, alice)
        assert draft is not None and draft.values == {"note": "second"} and draft.saved_at == AT
        assert load_draft(s, task, bob).values == {"note": "bob's"}  # type: ignore[union-attr]
    with session_factory.begin() as s:
        assert delete_drafts(s, task) == 2
    with session_factory() as s:
        assert load_draft(s, task, alice) is None


@pytest.mark.parametrize("values", [{"x": 1}, {"x": ["a", 2]}, {"x": "y" * (MAX_DRAFT_VALUE_CHARS + 1)},
                                    {f"f{i}": "" for i in range(201)}])
def test_refuses_what_a_browser_form_cannot_send(env: EngineEnv, session_factory: sessionmaker[Session],
                                                 values: dict) -> None:  # type: ignore[type-arg]
    task, alice, _ = a_task(env)
    with session_factory.begin() as s, pytest.raises(ValueError):
        save_draft(s, task, alice, values, now=AT)  # type: ignore[arg-type]
