"""Deploying models: validation reports every problem; identical XML is stored once."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine import BpmnFile, ModelInvalid
from storage import ProcessDefinition
from tests.fixtures import bpmn
from tests.integration.test_engine_tasks import open_tasks


def _problems(env, data: bytes, name: str = "bad.bpmn") -> list[dict]:
    with pytest.raises(ModelInvalid) as err, env.sessions.begin() as s:
        env.engine.deploy(s, [BpmnFile(name, data)], env.admin)
    return err.value.details


def _count(env) -> int:
    with env.sessions() as s:
        return s.scalar(select(func.count()).select_from(ProcessDefinition))


def test_deploy_stores_version_and_is_idempotent(env):
    model = bpmn.sequence("simple", ["a", "b"])
    assert env.deploy(model) == [1]
    assert env.deploy(model) == [1]  # identical XML: the existing version
    assert env.deploy(bpmn.sequence("simple", ["a"])) == [2]
    with env.sessions() as s:
        rows = s.scalars(select(ProcessDefinition).order_by(ProcessDefinition.version)).all()
        assert [(r.key, r.version) for r in rows] == [("simple", 1), ("simple", 2)]
        assert len(rows[0].sha256) == 64


def test_not_xml_is_refused(env):
    problems = _problems(env, b"this is not xml at all")
    assert "not well-formed XML" in problems[0]["message"]
    assert _count(env) == 0


def test_external_entity_is_refused_without_reading_the_file(env, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xml = f"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file://{secret}">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
<bpmn:process id="p" name="&xxe;" isExecutable="true"/></bpmn:definitions>""".encode()
    problems = _problems(env, xml)
    assert "DOCTYPE" in problems[0]["message"] and problems[0]["line"] == 2
    assert "TOP-SECRET" not in str(problems)


def test_billion_laughs_is_refused(env):
    lol = "".join(f'<!ENTITY lol{i} "{"&lol%d;" % (i - 1) * 10}">' for i in range(1, 10))
    xml = f"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">{lol}]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">&lol9;</bpmn:definitions>"""
    problems = _problems(env, xml.encode())
    assert "entity" in problems[0]["message"].lower()


def test_wrong_root_and_empty_file(env):
    assert "bpmn:definitions" in _problems(env, b"<root/>")[0]["message"]
    assert "empty" in _problems(env, b"   ")[0]["message"]


def test_ten_separate_errors_are_all_reported(env):
    hostile = [
        "__import__('os').system('true')",
        "open('/etc/passwd')",
        "().__class__.__mro__[1].__subclasses__()",
        "x.__class__",
        "10**10**10",
        "'x'*10**10",
        "lambda: 1",
    ]
    nodes = ['<bpmn:startEvent id="start"/>', '<bpmn:exclusiveGateway id="gw" default="f_default"/>',
             '<bpmn:endEvent id="end"/>']
    flows = [bpmn.flow("f0", "start", "gw"), bpmn.flow("f_default", "gw", "end")]
    for i, cond in enumerate(hostile):
        flows.append(bpmn.flow(f"f_bad{i}", "gw", "end", cond))
    nodes.append(bpmn.user_task("form_missing", form="no.such_form"))
    nodes.append('<bpmn:serviceTask id="svc"><bpmn:extensionElements><spiffworkflow:serviceTaskOperator '
                 'id="nobody.registered"/></bpmn:extensionElements></bpmn:serviceTask>')
    nodes.append('<bpmn:scriptTask id="script"><bpmn:script>import os</bpmn:script></bpmn:scriptTask>')
    flows += [bpmn.flow("f_a", "gw", "form_missing", "a == 1"), bpmn.flow("f_b", "form_missing", "svc"),
              bpmn.flow("f_c", "svc", "script"), bpmn.flow("f_d", "script", "end")]
    problems = _problems(env, bpmn.process("ten", "".join(nodes + flows)))
    elements = {p.get("element_id") for p in problems}
    assert {f"f_bad{i}" for i in range(7)} <= elements
    assert {"form_missing", "svc", "script"} <= elements
    assert len(problems) >= 10
    assert all(p.get("line") for p in problems)
    assert _count(env) == 0


def test_unknown_lane_role_and_missing_condition(env):
    inner = ('<bpmn:startEvent id="start"/><bpmn:exclusiveGateway id="gw"/>'
             + bpmn.user_task("a") + bpmn.user_task("b") + '<bpmn:endEvent id="end"/>'
             + bpmn.flow("f0", "start", "gw") + bpmn.flow("f1", "gw", "a") + bpmn.flow("f2", "gw", "b", "x > 1")
             + bpmn.flow("f3", "a", "end") + bpmn.flow("f4", "b", "end"))
    problems = _problems(env, bpmn.process("lanes", inner, lanes={"wizard": ["a"], "inspector": ["b"]}))
    messages = {p.get("element_id"): p["message"] for p in problems}
    assert "not a role" in messages["lane_wizard"]
    assert "needs a condition" in messages["f1"]


def test_schema_violation_reported_with_line(env):
    xml = bpmn.definitions("s", '<bpmn:process id="s" isExecutable="true"><bpmn:bogus id="x"/></bpmn:process>')
    problems = _problems(env, xml)
    assert problems[0]["message"].startswith("schema:") and problems[0]["line"] == 6


def test_missing_called_element_reported(env):
    inner = ('<bpmn:startEvent id="start"/><bpmn:callActivity id="call" calledElement="nowhere"/>'
             '<bpmn:endEvent id="end"/>' + bpmn.flow("f0", "start", "call") + bpmn.flow("f1", "call", "end"))
    problems = _problems(env, bpmn.process("caller", inner))
    assert any("nowhere" in p["message"] for p in problems)


def test_validate_without_deploying(env):
    with env.sessions() as s:
        assert env.engine.validate(s, [BpmnFile("ok.bpmn", bpmn.sequence("ok", ["a"]))]) == []
        assert env.engine.validate(s, [BpmnFile("bad.bpmn", b"<x")])[0]["file"] == "bad.bpmn"
    assert _count(env) == 0


def test_names_longer_than_the_inbox_stores_are_refused_at_deploy(env):
    """What a step copies into ``task``, ``case`` or ``waiting_event`` must fit their columns:
    on PostgreSQL a longer value failed that step (a 500), on SQLite it was stored whole."""
    long_id, long_name = "t" * 201, "检" * 301
    inner = ('<bpmn:startEvent id="start"/>' + bpmn.user_task(long_id, name=long_name)
             + '<bpmn:intermediateCatchEvent id="wait"><bpmn:signalEventDefinition signalRef="Sig"/>'
             '</bpmn:intermediateCatchEvent><bpmn:endEvent id="end"/>'
             + bpmn.flow("f0", "start", long_id) + bpmn.flow("f1", long_id, "wait") + bpmn.flow("f2", "wait", "end"))
    model = bpmn.process("p" * 201, inner, name="名" * 201, extra=f'<bpmn:signal id="Sig" name="{"s" * 201}"/>')
    problems = _problems(env, model)
    found = {(p["element_id"], p["message"].split(":")[0]) for p in problems}
    assert ("p" * 201, "process id is longer than 200 characters") in found
    assert ("p" * 201, "process name is longer than 200 characters") in found
    assert (long_id, "element id is longer than 200 characters") in found
    assert (long_id, "task name is longer than 300 characters") in found
    assert ("Sig", "signal name is longer than 200 characters") in found
    assert all(p["line"] for p in problems) and _count(env) == 0
    # At the limits, the model deploys and runs on both databases.
    inner = inner.replace(long_id, "t" * 200).replace(long_name, "检" * 300)
    env.deploy(bpmn.process("p" * 200, inner, name="名" * 200, extra=f'<bpmn:signal id="Sig" name="{"s" * 200}"/>'))
    case_id = env.start("p" * 200)
    (task,) = open_tasks(env, case_id)
    assert task.name == "检" * 300


def test_a_file_name_longer_than_stored_is_shortened_keeping_its_extension(env):
    name = "C:\\fakepath\\" + "海曙区监督检查流程" * 40 + ".bpmn"
    assert env.deploy((name, bpmn.sequence("named", ["a"]))) == [1]
    with env.sessions() as s:
        stored = s.scalars(select(ProcessDefinition.filename)).one()
    assert len(stored) == 255 and stored.startswith("海曙区") and stored.endswith(".bpmn")
