"""Explicit registries: service operations BPMN may call, and the forms user tasks may use.

Both are filled at start-up (process families register what they provide) and frozen
before the first request, like Temporal's ``Worker(workflows=[...])``. A deployed model may
only name what is registered; that is checked at deploy time.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from marshmallow import Schema
    from sqlalchemy.orm import Session

    from storage import Case, ProcessInstance

    from .actor import Actor
    from .clock import Clock

OPERATION_NAME = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")


@dataclass
class ServiceContext:
    """What a service operation may use: the step's session, its case and instance, the clock.

    Operations run inside the step's transaction: they must not commit, and effects outside
    the database go through the outbox (``enqueue``).
    """

    session: Session
    case: Case
    instance: ProcessInstance
    actor: Actor
    clock: Clock
    task_data: Mapping[str, Any]
    ports: Mapping[str, Any]
    # Instances to start in the same case once this step is saved: (process_key, data).
    start_requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


ServiceFunc = Callable[..., "Mapping[str, Any] | None"]


class _FrozenRegistry:
    def __init__(self) -> None:
        self._frozen = False

    def freeze(self) -> None:
        self._frozen = True

    def _check_open(self, what: str) -> None:
        if self._frozen:
            raise RuntimeError(f"cannot register {what}: the registry is frozen after start-up")


@dataclass(frozen=True)
class ServiceOperation:
    name: str
    func: ServiceFunc
    description: str


class ServiceRegistry(_FrozenRegistry):
    """Service operations named ``family.action`` (ARCHITECTURE §2 rule 7)."""

    def __init__(self) -> None:
        super().__init__()
        self._ops: dict[str, ServiceOperation] = {}

    def register(self, name: str, func: ServiceFunc, description: str = "") -> None:
        self._check_open(name)
        if not OPERATION_NAME.match(name):
            raise ValueError(f"operation name {name!r} must look like 'family.action'")
        if name in self._ops:
            raise ValueError(f"operation {name!r} is already registered")
        self._ops[name] = ServiceOperation(name, func, description or (func.__doc__ or "").strip())

    def operation(self, name: str, description: str = "") -> Callable[[ServiceFunc], ServiceFunc]:
        """Decorator form of :meth:`register`."""

        def wrap(func: ServiceFunc) -> ServiceFunc:
            self.register(name, func, description)
            return func

        return wrap

    def get(self, name: str) -> ServiceOperation | None:
        return self._ops.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._ops

    def __iter__(self) -> Iterator[ServiceOperation]:
        return iter(sorted(self._ops.values(), key=lambda op: op.name))


class FormSource(Protocol):
    """What the engine needs of ``forms/``: a marshmallow schema per form key."""

    def schema(self, form_key: str) -> Schema | None: ...

    def __contains__(self, form_key: object) -> bool: ...
