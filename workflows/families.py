"""The process families Oversite runs, registered explicitly (STYLE.md item 8).

Each family contributes BPMN files, form schemas, service operations and calendar jobs. The
list is fixed here; :func:`build_engine` validates every registration and freezes the
registries before the application serves anything.
"""
from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from engine import Actor, BpmnFile, Clock, ProcessEngine, ServiceRegistry
from engine import builtins
from engine.jobs import JobRegistry
from forms import FormRegistry

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Registries:
    services: ServiceRegistry
    forms: FormRegistry
    jobs: JobRegistry
    config: Mapping[str, Any]


@dataclass
class DemoContext:
    """What a family's demo seeding gets (``oversite demo``): deterministic and clock-driven.

    ``users`` maps the demo user names (``admin``, ``inspector_haishu``, ``enterprise_a``…) to
    their engine actors; ``random`` is seeded so every run builds the same data set.
    """

    session_factory: sessionmaker[Session]
    engine: ProcessEngine
    clock: Clock
    config: Mapping[str, Any]
    users: dict[str, Actor]
    random: random.Random
    # Creates a demo user with the demo password and returns its actor (set by `oversite demo`).
    add_user: Callable[[str, str, list[tuple[str, str | None, str | None]]], Actor]


@dataclass(frozen=True)
class ProcessFamily:
    """A process family: its models, what it registers, and (optionally) its demo data."""

    name: str
    bpmn_dir: Path
    register: Callable[[Registries], None]
    seed_demo: Callable[[DemoContext], None] | None = None


# Later issues add their families here (supervision, project, tendering, credit, devices).
FAMILIES: list[ProcessFamily] = []


def build_registries(config: Mapping[str, Any], families: list[ProcessFamily] | None = None) -> Registries:
    registries = Registries(ServiceRegistry(), FormRegistry(), JobRegistry(), config)
    builtins.register(registries.services)
    for family in FAMILIES if families is None else families:
        family.register(registries)
    registries.services.freeze()
    registries.forms.freeze()
    return registries


def build_engine(config: Mapping[str, Any], clock: Clock, ports: Mapping[str, Any],
                 registries: Registries | None = None) -> ProcessEngine:
    registries = registries or build_registries(config)
    return ProcessEngine(clock=clock, services=registries.services, forms=registries.forms,
                  task_budget=int(config.get("TASK_BUDGET", 500)), ports=ports)


def bpmn_files(families: list[ProcessFamily] | None = None) -> list[BpmnFile]:
    """Every shipped model, in a stable order (``oversite init`` deploys them together)."""
    files = []
    for family in FAMILIES if families is None else families:
        for path in sorted(family.bpmn_dir.glob("*.bpmn")):
            files.append(BpmnFile(f"{family.name}/{path.name}", path.read_bytes()))
    return files
