"""engine.starting: a process is started by the role whose lane holds its start event."""
from __future__ import annotations

from engine.starting import may_start, startable_processes, starting_roles
from tests.fixtures import bpmn
from tests.fixtures.engine import EngineEnv


def model(pid: str, start_lane: str | None, name: str | None = None) -> bytes:
    lanes = {"enterprise": ["t"]} if start_lane is None else {start_lane: ["s", "t"]}
    return bpmn.process(pid, '<bpmn:startEvent id="s"/>' + bpmn.user_task("t") + '<bpmn:endEvent id="e"/>'
                        + bpmn.flow("f1", "s", "t") + bpmn.flow("f2", "t", "e"), lanes=lanes, name=name)


def test_starting_roles_from_the_lane_of_the_start_event() -> None:
    assert starting_roles(model("a", "enterprise").decode(), "a") == {"enterprise"}
    assert starting_roles(model("b", None).decode(), "b") == frozenset()  # start event in no lane
    assert starting_roles(model("c", "inspector").decode(), "other") == frozenset()
    assert starting_roles("<not xml", "a") == frozenset()


def test_latest_versions_a_role_may_start(env: EngineEnv) -> None:
    env.deploy(("log.bpmn", model("daily_log", "enterprise", "施工日志")), ("insp.bpmn", model("inspection", "inspector")),
               ("sys.bpmn", model("system_only", None)))
    with env.sessions() as s:
        found = startable_processes(s, {"enterprise"})
        assert [(p.key, p.name, p.version, p.role) for p in found] == [("daily_log", "施工日志", 1, "enterprise")]
        assert may_start(s, "daily_log", {"enterprise", "auditor"})
        assert not may_start(s, "inspection", {"enterprise"}) and not may_start(s, "system_only", {"enterprise"})
    # a new version moved the start to the inspectors: enterprises may no longer start it
    env.deploy(("log.bpmn", model("daily_log", "inspector", "施工日志")))
    with env.sessions() as s:
        assert startable_processes(s, {"enterprise"}) == []
        assert [p.version for p in startable_processes(s, {"inspector"}) if p.key == "daily_log"] == [2]
