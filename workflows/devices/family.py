"""The devices process family: the device-alarm model, its operations and the offline job.

Process key (``workflows/devices/device_alarm.bpmn``, laid out from ``src/`` by ``make layout``): ``device_alarm``, one round of a
device alarm — dispatch to the contractor, rectification with evidence, inspector
verification, closed; or escalated when overdue. Its forms are the supervision family's
(``supervision.rectification_reply``, ``supervision.review``, ``supervision.escalation``), so
the supervision family must be registered first (it is: ``workflows.families.FAMILIES``).
"""
from __future__ import annotations

from pathlib import Path

from workflows.family import ProcessFamily, Registries

from .demo import seed_demo
from .offline import offline_job
from .operations import OPERATIONS, bind
from .policy import DevicePolicy

HERE = Path(__file__).parent
OFFLINE_JOB = "devices.offline_check"


def register(registries: Registries) -> None:
    """Register the operations (policy bound in) and the offline calendar job."""
    policy = DevicePolicy.from_config(registries.config)
    for name, func in OPERATIONS.items():
        registries.services.register(name, bind(policy, func))
    registries.jobs.register(OFFLINE_JOB, offline_job(registries.config),
                             float(registries.config["DEVICE_OFFLINE_CHECK_SECONDS"]))


FAMILY = ProcessFamily("devices", HERE, register, seed_demo)
