"""The process families Oversite runs, registered explicitly (STYLE.md item 8).

Each family contributes BPMN files, form schemas, service operations and calendar jobs. The
list is fixed here; :func:`build_engine` validates every registration and freezes the
registries before the application serves anything.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine import BpmnFile, Clock, ProcessEngine, ServiceRegistry, builtins
from engine.jobs import JobRegistry
from forms import FormRegistry

from .devices import FAMILY as DEVICES
from .family import DemoContext, ProcessFamily, Registries
from .project import FAMILY as PROJECT
from .reference import FAMILY as REFERENCE
from .supervision import FAMILY as SUPERVISION

__all__ = ["FAMILIES", "DemoContext", "ProcessFamily", "Registries", "bpmn_files", "build_engine",
           "build_registries"]

# Order matters: later families build on earlier ones (devices reuse supervision's forms;
# demo data needs the reference projects). Tendering and credit join when they are built.
FAMILIES: list[ProcessFamily] = [REFERENCE, SUPERVISION, PROJECT, DEVICES]


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
