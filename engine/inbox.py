"""The task inbox: three views of the open tasks, fast with a million of them.

The access rule of a view is an OR of simple alternatives (a role in a district, an
enterprise's own tasks, the tasks of its projects…). One ``OR`` query over a million rows
must collect every match and sort it; instead each alternative runs as its own scan of a
partial index in due-date order, limited to the page's end, and the union of those short
lists is sorted once. Totals are counted up to a cap ("10,000+"), so a page never counts a
million rows either.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, Select, and_, func, literal, select, true, union
from sqlalchemy.orm import Session

from storage import Case, Project, Task, User

from . import access
from .actor import Actor, Scope
from .queries import TaskFilter, task_filter_clauses
from .status import OPEN_TASK_STATES, TaskState

# Beyond a thousand open tasks an exact figure helps nobody (filters do), and counting stops there.
DEFAULT_COUNT_CAP = 1_000
NAV_COUNT_CAP = 999
MAX_PER_PAGE = 100
SORTS = ("due", "-due")


class InboxTab(StrEnum):
    MINE = "mine"      # claimed by me
    ROLES = "roles"    # offered to my roles in my scope (open, or claimed by me)
    SCOPE = "scope"    # every open task of the cases I may read


@dataclass(frozen=True)
class InboxRow:
    task: Task
    case_title: str | None
    project_name: str | None
    project_code: str | None
    assignee: str | None
    workable: bool

    @property
    def claimed(self) -> bool:
        return self.task.state == TaskState.CLAIMED


@dataclass(frozen=True)
class InboxPage:
    rows: list[InboxRow]
    total: int
    capped: bool  # more than ``total`` tasks match; ``total`` is the cap
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


@dataclass(frozen=True)
class InboxCounts:
    mine: int
    offered: int
    cap: int

    def label(self, value: int) -> str:
        return f"{self.cap}+" if value > self.cap else str(value)


def _role_alternatives(scope_role: str) -> list[ColumnElement[bool] | None]:
    """``None`` stands for "any role"."""
    if scope_role == "admin":
        return [None]
    # A task without a lane is offered to every role (engine.access.workable_tasks).
    return [Task.role == scope_role, Task.role.is_(None)]


def _place_alternatives(scope: Scope, to_work: bool) -> list[ColumnElement[bool] | None]:
    """``None`` stands for "anywhere"."""
    if scope.role in access.READ_ALL_ROLES or (scope.role in access.DISTRICT_ROLES and scope.district is None):
        return [None]
    return list(access.scope_alternatives(scope, Task.district, Task.enterprise_code, Task.project_id,
                                          Task.for_enterprise if to_work else None))


def branches(actor: Actor, tab: InboxTab) -> list[ColumnElement[bool]]:
    """The view's rule as alternatives (their OR is the rule), each a plain AND an index serves.

    In the roles view an open task is offered to the actor's roles; a claimed one belongs to
    its assignee only (others see it in the scope view), hence "open and my role" or "mine".
    """
    mine = [Task.assignee_id == actor.user_id] if actor.user_id is not None else []
    if tab == InboxTab.MINE:
        return mine
    found: dict[str, ColumnElement[bool]] = {}
    for scope in actor.scopes:
        if tab == InboxTab.ROLES and scope.role in access.READ_ONLY_ROLES:
            continue
        roles = _role_alternatives(scope.role) if tab == InboxTab.ROLES else [None]
        for role, place in itertools.product(roles, _place_alternatives(scope, to_work=tab == InboxTab.ROLES)):
            parts = [c for c in (role, place) if c is not None]
            if tab == InboxTab.ROLES:
                parts.append(Task.state == TaskState.OPEN)
            elif not parts:
                return [true()]  # everything in scope: the other alternatives add nothing
            clause = and_(*parts) if len(parts) > 1 else parts[0]
            found.setdefault(str(clause.compile(compile_kwargs={"literal_binds": True})), clause)
    if tab == InboxTab.ROLES and found:
        for clause in mine:
            found.setdefault("mine", clause)
    return list(found.values())


def _order(sort: str, id_col, due_col):  # type: ignore[no-untyped-def]
    if sort == "-due":
        return (due_col.desc().nulls_last(), id_col.desc())
    return (due_col.asc().nulls_last(), id_col.asc())


def _branch_select(actor: Actor, branch: ColumnElement[bool], f: TaskFilter,
                   now: datetime) -> Select[tuple[int, datetime | None]]:
    # "state IN (open, claimed)" always: it is the predicate of the partial inbox indexes.
    return select(Task.id, Task.due_at).where(
        Task.state.in_(OPEN_TASK_STATES), branch, *task_filter_clauses(actor, f, now))


def _page_ids(session: Session, selects: list[Select[tuple[int, datetime | None]]], sort: str, offset: int,
              limit: int) -> list[int]:
    if len(selects) == 1:
        stmt = selects[0].order_by(*_order(sort, Task.id, Task.due_at)).offset(offset).limit(limit)
        return list(session.scalars(stmt))
    # Each alternative: an ordered scan that stops at the end of the page.
    parts = [s.order_by(*_order(sort, Task.id, Task.due_at)).limit(offset + limit).subquery() for s in selects]
    merged = union(*[select(p.c.id, p.c.due_at) for p in parts]).subquery()
    stmt = select(merged.c.id).order_by(*_order(sort, merged.c.id, merged.c.due_at)).offset(offset).limit(limit)
    return list(session.scalars(stmt))


def _count_query(selects: list[Select[tuple[int, datetime | None]]], cap: int) -> Select[tuple[int]]:
    """How many distinct tasks the alternatives match, counting at most ``cap + 1`` of each."""
    parts = [s.with_only_columns(Task.id).limit(cap + 1).subquery() for s in selects]
    if len(parts) == 1:
        source = parts[0]
    else:
        source = union(*[select(p.c.id) for p in parts]).subquery()
    return select(func.count()).select_from(source)


def _count(session: Session, selects: list[Select[tuple[int, datetime | None]]], cap: int) -> int:
    return int(session.scalar(_count_query(selects, cap)) or 0)


def inbox(session: Session, actor: Actor, tab: InboxTab, f: TaskFilter, now: datetime, *, page: int = 1,
          per_page: int = 25, sort: str = "due", count_cap: int = DEFAULT_COUNT_CAP) -> InboxPage:
    """One page of the actor's inbox view, sorted by due date (undated tasks last).

    Args:
        f: extra narrowing (process, project, district, overdue, due within N days, project name).
        sort: ``"due"`` (soonest first) or ``"-due"`` (latest first).
        count_cap: count matching tasks up to this many; beyond it the page says "cap+".

    Raises:
        ValueError: an unknown ``sort``.
    """
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}")
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    alternatives = branches(actor, tab)
    if not alternatives:
        return InboxPage([], 0, False, 1, per_page)
    selects = [_branch_select(actor, b, f, now) for b in alternatives]
    found = _count(session, selects, count_cap)
    total, capped = min(found, count_cap), found > count_cap
    last_page = max(1, -(-total // per_page))
    page = min(max(page, 1), last_page)
    ids = _page_ids(session, selects, sort, (page - 1) * per_page, per_page)
    return InboxPage(rows_for(session, actor, ids, all_workable=tab != InboxTab.SCOPE), total, capped, page, per_page)


def rows_for(session: Session, actor: Actor, ids: list[int], *, all_workable: bool) -> list[InboxRow]:
    """The tasks ``ids`` (in that order) with their case, project and assignee names."""
    if not ids:
        return []
    result = session.execute(
        select(Task, Case.title, Project.name, Project.code, func.coalesce(User.display_name, User.username))
        .join(Case, Case.id == Task.case_id)
        .outerjoin(Project, Project.id == Task.project_id)
        .outerjoin(User, User.id == Task.assignee_id)
        .where(Task.id.in_(ids))
    )
    by_id = {row[0].id: row for row in result}
    workable = set(ids) if all_workable else set(session.scalars(
        select(Task.id).where(Task.id.in_(ids), access.workable_tasks(actor))))
    rows = []
    for task_id in ids:
        task, title, name, code, assignee = by_id[task_id]
        rows.append(InboxRow(task, title, name, code, assignee, task_id in workable))
    return rows


def inbox_counts(session: Session, actor: Actor, now: datetime, cap: int = NAV_COUNT_CAP) -> InboxCounts:
    """How many open tasks are claimed by the actor and offered to it (for the navigation).

    One round trip for both figures: the navigation shows on every page.
    """
    columns = []
    for tab in (InboxTab.MINE, InboxTab.ROLES):
        selects = [_branch_select(actor, b, TaskFilter(), now) for b in branches(actor, tab)]
        columns.append(_count_query(selects, cap).scalar_subquery() if selects else literal(0))
    mine, offered = session.execute(select(*columns)).one()
    return InboxCounts(mine=int(mine or 0), offered=int(offered or 0), cap=cap)
