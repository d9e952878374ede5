"""The :class:`ProcessEngine`: configuration and caches shared by every call, and the public verbs.

The verbs are thin: each one lives in a module of its own (``deploy``, ``cases``, ``tasks``,
``events``) as a function taking the engine and the caller's session.
"""
from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from storage import ROLES, Case, ProcessDefinition, ProcessInstance, Task

from . import cases, deploy, events, tasks
from .actor import Actor
from .clock import Clock
from .errors import NotFound
from .registry import FormSource, ServiceRegistry
from .serialization import SpecCache

DEFAULT_TASK_BUDGET = 500


class ProcessEngine:
    """Runs BPMN models deployed by process owners; knows nothing about construction.

    Args:
        clock: where every engine time comes from (inject a fixed clock in tests).
        services: service operations BPMN may call.
        forms: form schemas by key.
        task_budget: the most tasks one instance may hold (ARCHITECTURE §2 rule 1).
        roles: lane names allowed in models.
        ports: side-effect interfaces passed to service operations (documents, notifier…).
    """

    def __init__(self, *, clock: Clock, services: ServiceRegistry, forms: FormSource,
                 task_budget: int = DEFAULT_TASK_BUDGET, roles: Collection[str] = ROLES,
                 ports: Mapping[str, Any] | None = None) -> None:
        self.clock = clock
        self.services = services
        self.forms = forms
        self.task_budget = task_budget
        self.roles = frozenset(roles)
        self.ports = dict(ports or {})
        self.spec_cache = SpecCache()

    def expression_functions(self) -> Mapping[str, Callable[..., Any]]:
        """Functions BPMN expressions may call beyond the default whitelist: time from our clock."""
        return {"now": self.clock.now, "today": lambda: self.clock.now().date()}

    # -- models -------------------------------------------------------------------------
    def deploy(self, session: Session, files: Sequence[deploy.BpmnFile], actor: Actor) -> list[deploy.Deployed]:
        return cases.deploy_models(self, session, files, actor)

    def validate(self, session: Session, files: Sequence[deploy.BpmnFile]) -> list[dict[str, Any]]:
        _, _, problems = deploy.validate_files(session, files, forms=self.forms, operations=self.services,
                                               roles=self.roles)
        return [p.as_dict() for p in problems]

    def latest_definition(self, session: Session, key: str) -> ProcessDefinition:
        definition = deploy.latest_definition(session, key)
        if definition is None:
            raise NotFound(f"no process model with key {key!r} is deployed")
        return definition

    # -- cases --------------------------------------------------------------------------
    def start_case(self, session: Session, process_key: str, data: Mapping[str, Any], actor: Actor, *,
                   project_id: int | None = None, title: str | None = None) -> Case:
        return cases.start_case(self, session, process_key, dict(data), actor, project_id=project_id, title=title)

    def cancel_case(self, session: Session, case_id: int, reason: str, actor: Actor) -> Case:
        return cases.cancel_case(self, session, case_id, reason, actor)

    def suspend_instance(self, session: Session, instance_id: int, reason: str, actor: Actor) -> ProcessInstance:
        return cases.set_suspended(self, session, instance_id, reason, actor, suspended=True)

    def resume_instance(self, session: Session, instance_id: int, reason: str, actor: Actor) -> ProcessInstance:
        return cases.set_suspended(self, session, instance_id, reason, actor, suspended=False)

    # -- tasks --------------------------------------------------------------------------
    def claim(self, session: Session, task_id: int, actor: Actor) -> Task:
        return tasks.claim(self, session, task_id, actor)

    def unclaim(self, session: Session, task_id: int, actor: Actor) -> Task:
        return tasks.unclaim(self, session, task_id, actor)

    def complete(self, session: Session, task_id: int, data: Mapping[str, Any] | None, actor: Actor) -> Task:
        return tasks.complete(self, session, task_id, data, actor)

    # -- events -------------------------------------------------------------------------
    def signal(self, session: Session, name: str, payload: Mapping[str, Any] | None, actor: Actor, *,
               project_id: int | None = None, case_id: int | None = None) -> list[int]:
        return events.signal(self, session, name, dict(payload or {}), actor, project_id=project_id, case_id=case_id)

    def message(self, session: Session, name: str, correlation: Mapping[str, Any], payload: Mapping[str, Any] | None,
                actor: Actor) -> list[int]:
        return events.message(self, session, name, dict(correlation), dict(payload or {}), actor)

    def fire_due_timers(self, session_factory: sessionmaker[Session], clock: Clock | None = None,
                        limit: int = 100) -> int:
        """Fire every due timer (one transaction each); returns how many fired. Used by the worker."""
        return events.fire_due_timers(self, session_factory, limit=limit)
