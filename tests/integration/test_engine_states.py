"""Instance states written by earlier releases still load and advance (STYLE.md item 11).

Each release adds a file to tests/fixtures/states/: a deployed spec and an instance state as
that release stored them. Never edit those files; add a new one when the format changes.
"""
from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from engine import runtime
from engine.status import CaseStatus, InstanceStatus
from storage import Case, ProcessDefinition, ProcessInstance, Task

STATES = sorted((Path(__file__).parents[1] / "fixtures" / "states").glob("release-*.json"))


@pytest.mark.parametrize("path", STATES, ids=[p.stem for p in STATES])
def test_old_state_advances(env, path: Path) -> None:
    saved = json.loads(path.read_text())
    now = env.clock.now()
    with env.sessions.begin() as s:
        definition = ProcessDefinition(key=saved["key"], version=saved["version"], sha256="0" * 64,
                                       bpmn_xml=saved["bpmn_xml"], spec=base64.b64decode(saved["spec"]),
                                       deployed_at=now)
        case = Case(process_key=saved["key"], status=CaseStatus.ACTIVE, data={}, created_at=now, updated_at=now)
        s.add_all([definition, case])
        s.flush()
        instance = ProcessInstance(case_id=case.id, definition_id=definition.id, status=InstanceStatus.RUNNING,
                                   state=base64.b64decode(saved["state"]), created_at=now, updated_at=now)
        s.add(instance)
        s.flush()
        runtime.reproject(env.engine, s, instance.id, env.admin)
        case_id = case.id
    with env.sessions() as s:
        (task,) = s.scalars(select(Task).where(Task.case_id == case_id, Task.state == "open")).all()
        assert task.bpmn_id == "rectify"
    env.clock.advance(timedelta(days=8))  # the saved boundary timer still fires on our clock
    assert env.engine.fire_due_timers(env.sessions) == 1
    with env.sessions() as s:
        (task,) = s.scalars(select(Task).where(Task.case_id == case_id, Task.state == "open")).all()
        assert task.bpmn_id == "escalate"
    with env.sessions.begin() as s:
        env.engine.complete(s, task.id, {"note": "escalated"}, env.admin)
    with env.sessions() as s:
        assert s.get(Case, case_id).status == "completed"
