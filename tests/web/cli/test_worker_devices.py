"""``oversite worker`` runs the devices' offline job and dispatches its alarms through the outbox."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from engine import FixedClock
from engine.outbox import OutboxDispatcher
from storage import Alarm, Case, Project
from tests.web.api.devices_api import add_device, deploy_device_alarm
from web.cli.worker import build_worker, register_outbox_handlers

START = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


@pytest.fixture
def app_config(app_config):
    return {**app_config, "CLOCK": FixedClock(START)}


def test_the_alarm_case_handler_is_registered(services):
    dispatcher = OutboxDispatcher()
    register_outbox_handlers(dispatcher, services)
    assert "devices.alarm_case" in dispatcher


def test_a_silent_device_becomes_an_offline_alarm_and_a_case(services):
    deploy_device_alarm(services)
    with services.session_factory.begin() as session:
        project = Project(code="P", name="海曙一号", district="海曙区")
        session.add(project)
        session.flush()
        project_id = project.id
    add_device(services, project_id, "CAM-1", "video")  # registered a day ago, never heard from
    worker = build_worker(services)
    first = worker.run_once()
    assert first["devices.offline_check"].failures == 0
    second = worker.run_once()  # the outbox runs before the jobs: the alarm is dispatched now
    assert second["outbox"].failures == 0
    with services.session_factory() as session:
        (alarm,) = session.scalars(select(Alarm)).all()
        (case,) = session.scalars(select(Case)).all()
        assert (alarm.rule, alarm.case_id, case.process_key) == ("offline", case.id, "device_alarm")
        assert case.title == "设备报警 CAM-1：设备离线"
    worker.run_once()
    with services.session_factory() as session:
        assert len(session.scalars(select(Case)).all()) == 1  # one case per alarm, however often it runs
