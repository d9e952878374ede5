"""Helpers of the devices API tests: the device-alarm model deployed, devices and readings as JSON.

Each devices API test module runs the app on the fixed clock of ``conftest.clock``::

    @pytest.fixture
    def app_config(app_config, clock):
        return devices_config(app_config, clock)
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from engine import SYSTEM, FixedClock
from storage import Device
from web.services import Services
from workflows import bpmn_files
from workflows.devices import FAMILY as DEVICES


def devices_config(app_config: dict[str, Any], clock: FixedClock) -> dict[str, Any]:
    return {**app_config, "CLOCK": clock}


def deploy_device_alarm(services: Services) -> None:
    with services.session_factory.begin() as session:
        services.engine.deploy(session, bpmn_files([DEVICES]), SYSTEM)


def add_device(services: Services, project_id: int, code: str = "D1", device_type: str = "dust_noise_monitor",
               **kw: Any) -> int:
    with services.session_factory.begin() as session:
        device = Device(project_id=project_id, code=code, device_type=device_type,
                        protocol=kw.pop("protocol", "http"), created_at=services.clock.now() - timedelta(days=1),
                        **kw)
        session.add(device)
        session.flush()
        return device.id


def reading(quantity: str, value: Any, at: datetime, unit: str = "", **extra: Any) -> dict[str, Any]:
    return {"quantity": quantity, "value": value, "unit": unit, "measured_at": at.isoformat(), **extra}
