"""Drafts of task forms: what a user typed into a task's form without completing it yet.

One draft per user and task, overwritten on every save and deleted when the task is
completed. The values are kept exactly as the browser sent them (text per field), so the form
comes back as it was left, even where the input is not valid yet.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .base import Base, intpk, json_dict, utc

MAX_DRAFT_FIELDS = 200
MAX_DRAFT_VALUE_CHARS = 20_000


class TaskDraft(Base):
    __tablename__ = "task_draft"
    __table_args__ = (UniqueConstraint("task_id", "user_id"),)

    id: Mapped[intpk]
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    # field name → the submitted text (a list of texts for multi-valued fields)
    values: Mapped[json_dict] = mapped_column(default=dict)
    saved_at: Mapped[utc]


DraftValues = dict[str, str | list[str]]


def _checked(values: DraftValues) -> DraftValues:
    if len(values) > MAX_DRAFT_FIELDS:
        raise ValueError(f"a draft holds at most {MAX_DRAFT_FIELDS} fields")
    clean: DraftValues = {}
    for key, value in values.items():
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str) and len(v) <= MAX_DRAFT_VALUE_CHARS for v in items):
            raise ValueError(f"draft field {key!r} must be text of at most {MAX_DRAFT_VALUE_CHARS} characters")
        clean[str(key)] = list(items) if isinstance(value, list) else value
    return clean


def save_draft(session: Session, task_id: int, user_id: int, values: DraftValues, *, now: datetime) -> TaskDraft:
    """Create or replace the user's draft of the task (in the caller's transaction).

    Raises:
        ValueError: too many fields, or a value that is not text or is too long.
    """
    clean = _checked(values)
    draft = load_draft(session, task_id, user_id)
    if draft is None:
        draft = TaskDraft(task_id=task_id, user_id=user_id, values=clean, saved_at=now)
        session.add(draft)
    else:
        draft.values = clean
        draft.saved_at = now
    session.flush()
    return draft


def load_draft(session: Session, task_id: int, user_id: int) -> TaskDraft | None:
    return session.scalars(
        select(TaskDraft).where(TaskDraft.task_id == task_id, TaskDraft.user_id == user_id)
    ).first()


def delete_drafts(session: Session, task_id: int) -> int:
    """Remove every draft of the task (it was completed: nobody can submit it any more)."""
    result = session.execute(delete(TaskDraft).where(TaskDraft.task_id == task_id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
