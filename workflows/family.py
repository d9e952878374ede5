"""What a process family is: its models, registrations and demo data (see ``families``)."""
from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from engine import Actor, Clock, ProcessEngine, ServiceRegistry
from engine.jobs import JobRegistry
from forms import FormRegistry

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
