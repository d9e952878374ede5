"""Who may see a case and who may work a task, as SQL clauses (for lists) and predicates.

Rules (DOMAIN §2): admins, auditors and process owners read every case; inspectors and
district admins read the cases of their district (a membership without a district means all
districts); enterprise users read the cases of projects their enterprise is a party to, or
cases filed by their enterprise. A user task is offered to the users holding its lane's role
within the case's scope; auditors never work tasks. A task carrying an enterprise (the one
its model addresses it to with ``enterpriseCode``, else the enterprise that filed the case)
is worked by that enterprise's users alone; the other parties of the project may read it but
neither claim nor complete it.
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
    scope: Scope, district_col, enterprise_col, project_col, *, to_work: bool = False
) -> list[ColumnElement[bool]]:
    """The scope's clause as alternatives to OR together: ``[]`` for nothing, ``[true()]`` for all.

    Each alternative alone can use an index, which a query may exploit by running one
    ordered, limited scan per alternative (see ``engine.inbox``) instead of one OR.
    ``to_work``: the rule for working tasks, where an enterprise's party projects count only
    for tasks that carry no enterprise of their own.
    """
    if scope.role in READ_ALL_ROLES:
        return [true()]
    if scope.role == "enterprise":
        if scope.enterprise_code is None:
            return []
        of_my_projects = project_col.in_(_party_projects(scope.enterprise_code))
        if to_work:
            of_my_projects = and_(enterprise_col.is_(None), of_my_projects)
        return [enterprise_col == scope.enterprise_code, of_my_projects]
    if scope.district is None:
        return [true()]
    return [district_col == scope.district]


def _scope_clause(scope: Scope, district_col, enterprise_col, project_col,  # type: ignore[no-untyped-def]
                  *, to_work: bool = False) -> ColumnElement[bool]:
    alternatives = scope_alternatives(scope, district_col, enterprise_col, project_col, to_work=to_work)
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
        in_scope = _scope_clause(s, Task.district, Task.enterprise_code, Task.project_id, to_work=True)
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
              parties: frozenset[str], *, to_work: bool = False) -> bool:
    if scope.role in READ_ALL_ROLES:
        return True
    if scope.role == "enterprise":
        if scope.enterprise_code is None:
            return False
        if scope.enterprise_code == enterprise_code:
            return True
        # Another party's task may be read, but working it is that enterprise's alone.
        return scope.enterprise_code in parties and not (to_work and enterprise_code is not None)
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
        if _in_scope(s, task.district, task.enterprise_code, parties, to_work=True):
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
