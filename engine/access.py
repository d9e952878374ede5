"""Who may see a case and who may work a task, as SQL clauses (for lists) and predicates.

Rules (DOMAIN §2): admins, auditors and process owners read every case; inspectors and
district admins read the cases of their district (a membership without a district means all
districts); enterprise users read the cases of projects their enterprise is a party to, or
cases filed by their enterprise. A user task is offered to the users holding its lane's role
within the case's scope; auditors never work tasks. A task for one enterprise (its model names
it with ``enterpriseCode``) is worked by that enterprise's users alone: the other parties of
the project may still read it, but neither claim nor complete it.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, and_, false, or_, select, true

from storage import Case, ProjectParty, Task

from .actor import Actor, Scope

READ_ALL_ROLES = frozenset({"admin", "auditor", "process_owner", "system"})
DISTRICT_ROLES = frozenset({"inspector", "district_admin"})
READ_ONLY_ROLES = frozenset({"auditor"})


def _party_projects(enterprise_code: str):  # type: ignore[no-untyped-def]
    return select(ProjectParty.project_id).where(ProjectParty.enterprise_code == enterprise_code)


def scope_alternatives(  # type: ignore[no-untyped-def]
    scope: Scope, district_col, enterprise_col, project_col, for_col=None
) -> list[ColumnElement[bool]]:
    """The scope's clause as alternatives to OR together: ``[]`` for nothing, ``[true()]`` for all.

    Each alternative alone can use an index, which a query may exploit by running one
    ordered, limited scan per alternative (see ``engine.inbox``) instead of one OR.
    ``for_col`` (who may work a task): the column naming the one enterprise a task is for;
    such a task is no other enterprise's.
    """
    if scope.role in READ_ALL_ROLES:
        return [true()]
    if scope.role == "enterprise":
        code = scope.enterprise_code
        if code is None:
            return []
        alternatives = [enterprise_col == code, project_col.in_(_party_projects(code))]
        if for_col is None:
            return alternatives
        return [for_col == code, *(and_(for_col.is_(None), a) for a in alternatives)]
    if scope.district is None:
        return [true()]
    return [district_col == scope.district]


def _scope_clause(scope: Scope, district_col, enterprise_col, project_col,  # type: ignore[no-untyped-def]
                  for_col=None) -> ColumnElement[bool]:
    alternatives = scope_alternatives(scope, district_col, enterprise_col, project_col, for_col)
    if not alternatives:
        return false()
    return alternatives[0] if len(alternatives) == 1 else or_(*alternatives)


def visible_cases(actor: Actor) -> ColumnElement[bool]:
    """WHERE clause over ``Case`` selecting the cases ``actor`` may read."""
    return visible_cases_in(actor.scopes)


def reads_every_case(scopes: Iterable[Scope]) -> bool:
    """Does someone holding ``scopes`` read every case (so a query needs no scope filter)?"""
    return any(s.role in READ_ALL_ROLES or (s.role != "enterprise" and s.district is None) for s in scopes)


def visible_cases_in(scopes: Iterable[Scope]) -> ColumnElement[bool]:
    """WHERE clause over ``Case`` selecting the cases readable by someone holding ``scopes``."""
    clauses = [_scope_clause(s, Case.district, Case.enterprise_code, Case.project_id) for s in scopes]
    return or_(false(), *clauses)


def workable_tasks(actor: Actor) -> ColumnElement[bool]:
    """WHERE clause over ``Task`` selecting tasks offered to ``actor`` (its roles, its scope)."""
    clauses = []
    for s in actor.scopes:
        if s.role in READ_ONLY_ROLES:
            continue
        in_scope = _scope_clause(s, Task.district, Task.enterprise_code, Task.project_id, Task.for_enterprise)
        role_match = or_(Task.role == s.role, Task.role.is_(None)) if s.role != "admin" else true()
        clauses.append(and_(role_match, in_scope))
    return or_(false(), *clauses)


def visible_tasks(actor: Actor) -> ColumnElement[bool]:
    """WHERE clause over ``Task``: tasks of cases the actor may read (for auditors' views)."""
    clauses = [
        _scope_clause(s, Task.district, Task.enterprise_code, Task.project_id) for s in actor.scopes
    ]
    return or_(false(), *clauses)


def _in_scope(scope: Scope, district: str | None, enterprise_code: str | None,
              parties: frozenset[str]) -> bool:
    if scope.role in READ_ALL_ROLES:
        return True
    if scope.role == "enterprise":
        return scope.enterprise_code is not None and (
            scope.enterprise_code == enterprise_code or scope.enterprise_code in parties
        )
    return scope.district is None or scope.district == district


def can_read_case(actor: Actor, case: Case, parties: frozenset[str] = frozenset()) -> bool:
    """``parties``: enterprise codes of the case's project (load them when the actor is an enterprise)."""
    return any(_in_scope(s, case.district, case.enterprise_code, parties) for s in actor.scopes)


def can_work_task(actor: Actor, task: Task, parties: frozenset[str] = frozenset()) -> bool:
    for s in actor.scopes:
        if s.role in READ_ONLY_ROLES:
            continue
        if s.role != "admin" and task.role is not None and task.role != s.role:
            continue
        if s.role == "enterprise" and task.for_enterprise is not None:
            if s.enterprise_code == task.for_enterprise:
                return True
            continue  # another enterprise's task: readable by the parties, not workable
        if _in_scope(s, task.district, task.enterprise_code, parties):
            return True
    return False


def project_parties(session, project_id: int | None) -> frozenset[str]:  # type: ignore[no-untyped-def]
    if project_id is None:
        return frozenset()
    rows = session.scalars(
        select(ProjectParty.enterprise_code).where(ProjectParty.project_id == project_id)
    )
    return frozenset(rows)


def can_act_on_project(actor: Actor, district: str | None, parties: frozenset[str]) -> bool:
    """May ``actor`` start work on a project (in its district, or as one of its parties)?"""
    for s in actor.scopes:
        if s.role in READ_ONLY_ROLES:
            continue
        if _in_scope(s, district, None, parties):
            return True
    return False
