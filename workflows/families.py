"""The process families Oversite runs, registered explicitly (STYLE.md item 8).

Each family contributes BPMN files, form schemas, service operations and calendar jobs. The
list is fixed here; :func:`build_engine` validates every registration and freezes the
registries before the application serves anything.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine import BpmnFile, Clock, ProcessEngine, ServiceRegistry
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


@dataclass(frozen=True)
class ProcessFamily:
    name: str
    bpmn_dir: Path
    register: Callable[[Registries], None]


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
