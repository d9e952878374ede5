"""Engine benchmark (issue 2): prints figures and ratios measured in one run; asserts nothing.

(a) SpiffWorkflow in memory, (b) SpiffWorkflow deserialize → step → serialize per step, and
(c) Oversite's full path per step (service layer, PostgreSQL, task projection, waiting-event
index, audit), all on the same 5-user-task supervision loop, and (d) the database's floor: the
statements of (c) replayed with bare psycopg in three round trips (``step_floor``). Then the step cost of round 1 vs
round 200 of one case, and signal delivery to one instance among 100,000 waiting ones.

Run with ``make bench`` (PostgreSQL from OVERSITE_TEST_DATABASE_URL, a private database).
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import datetime, timezone

from sqlalchemy import insert, select, text
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState as SpiffState

import storage
from tests.bench import step_floor
from tests.bench.common import private_database
from engine import Actor, BpmnFile, FixedClock, ProcessEngine, Scope, ServiceRegistry, builtins
from engine.scripting import RestrictedEnvironment, RestrictedScriptEngine
from engine.serialization import dump_state, load_state
from forms import FormRegistry
from storage import ProcessInstance, Task, WaitingEvent
from storage.migrate import upgrade
from tests.fixtures import bpmn

STEPS = ["assign", "brief", "inspect", "rectify", "review"]
LOOP = bpmn.sequence("supervision_loop", STEPS)
ROUND = bpmn.process("bench_round", (
    '<bpmn:startEvent id="start"/>' + bpmn.user_task("rectify") + bpmn.user_task("review")
    + '<bpmn:exclusiveGateway id="gw" default="accept"/>'
    + '<bpmn:serviceTask id="next"><bpmn:extensionElements><spiffworkflow:serviceTaskOperator '
      'id="case.start_process"><spiffworkflow:parameters>'
      '<spiffworkflow:parameter id="process_key" type="str" value="\'bench_round\'"/>'
      '<spiffworkflow:parameter id="round" type="int" value="round + 1"/>'
      '</spiffworkflow:parameters></spiffworkflow:serviceTaskOperator></bpmn:extensionElements></bpmn:serviceTask>'
    + '<bpmn:endEvent id="end"/>'
    + bpmn.flow("f0", "start", "rectify") + bpmn.flow("f1", "rectify", "review") + bpmn.flow("f2", "review", "gw")
    + bpmn.flow("reject", "gw", "next", "accepted == False") + bpmn.flow("accept", "gw", "end")
    + bpmn.flow("f3", "next", "end")))
SIGNAL_MODEL = bpmn.process("bench_signal", (
    '<bpmn:startEvent id="start"/><bpmn:intermediateCatchEvent id="wait"><bpmn:signalEventDefinition '
    'signalRef="Sig"/></bpmn:intermediateCatchEvent>' + bpmn.user_task("after") + '<bpmn:endEvent id="end"/>'
    + bpmn.flow("f0", "start", "wait") + bpmn.flow("f1", "wait", "after") + bpmn.flow("f2", "after", "end")),
    extra='<bpmn:signal id="Sig" name="device_alarm"/>')
ADMIN = Actor("bench", None, (Scope("admin"),))


def _spec():  # type: ignore[no-untyped-def]
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(LOOP, "loop.bpmn")
    return parser.get_spec("supervision_loop"), parser.get_subprocess_specs("supervision_loop")


def _script_engine(services: ServiceRegistry) -> RestrictedScriptEngine:
    return RestrictedScriptEngine(RestrictedEnvironment(services, {}, None))


def bench_in_memory(cases: int) -> float:
    spec, subs = _spec()
    services = ServiceRegistry()
    t0 = time.perf_counter()
    for _ in range(cases):
        wf = BpmnWorkflow(spec, subs, script_engine=_script_engine(services))
        wf.do_engine_steps()
        for _step in STEPS:
            task = wf.get_tasks(state=SpiffState.READY, manual=True)[0]
            task.run()
            wf.do_engine_steps()
    return cases * len(STEPS) / (time.perf_counter() - t0)


def bench_persisted_stock(cases: int) -> float:
    """SpiffWorkflow's own round trip: its serializer, spec embedded in every saved instance."""
    spec, subs = _spec()
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    t0 = time.perf_counter()
    for _ in range(cases):
        wf = BpmnWorkflow(spec, subs)
        wf.do_engine_steps()
        state = serializer.serialize_json(wf)
        for _step in STEPS:
            wf = serializer.deserialize_json(state)
            wf.get_tasks(state=SpiffState.READY, manual=True)[0].run()
            wf.do_engine_steps()
            state = serializer.serialize_json(wf)
    return cases * len(STEPS) / (time.perf_counter() - t0)


def bench_persisted(cases: int) -> float:
    """The same with Oversite's state format: spec by reference (cached), compressed state."""
    spec, subs = _spec()
    services = ServiceRegistry()
    t0 = time.perf_counter()
    for _ in range(cases):
        wf = BpmnWorkflow(spec, subs, script_engine=_script_engine(services))
        wf.do_engine_steps()
        state = dump_state(wf)
        for _step in STEPS:
            wf = load_state(state, (spec, subs))
            wf.script_engine = _script_engine(services)
            wf.get_tasks(state=SpiffState.READY, manual=True)[0].run()
            wf.do_engine_steps()
            state = dump_state(wf)
    return cases * len(STEPS) / (time.perf_counter() - t0)


def _open_task(sessions, case_id: int) -> int:  # type: ignore[no-untyped-def]
    with sessions() as s:
        return s.scalar(select(Task.id).where(Task.case_id == case_id, Task.state == "open").order_by(Task.id))


def bench_oversite(eng: ProcessEngine, sessions, cases: int) -> float:  # type: ignore[no-untyped-def]
    case_ids = []
    for _ in range(cases):
        with sessions.begin() as s:
            case_ids.append(eng.start_case(s, "supervision_loop", {}, ADMIN).id)
    task_ids = {c: _open_task(sessions, c) for c in case_ids}
    elapsed = 0.0
    for case_id in case_ids:
        for _step in STEPS:
            t0 = time.perf_counter()
            with sessions.begin() as s:
                task = eng.complete(s, task_ids[case_id], {"ok": True}, ADMIN)
            elapsed += time.perf_counter() - t0
            task_ids[case_id] = _open_task(sessions, case_id) if task else None
    return cases * len(STEPS) / elapsed


def bench_rounds(eng: ProcessEngine, sessions, rounds: int) -> list[float]:  # type: ignore[no-untyped-def]
    """Per-round step cost (ms, both steps of the round) in one case running ``rounds`` rounds."""
    with sessions.begin() as s:
        case_id = eng.start_case(s, "bench_round", {"round": 1}, ADMIN).id
    costs = []
    for r in range(1, rounds + 1):
        elapsed = 0.0
        for data in ({"note": "fixed"}, {"accepted": r == rounds}):
            task_id = _open_task(sessions, case_id)
            t0 = time.perf_counter()
            with sessions.begin() as s:
                eng.complete(s, task_id, data, ADMIN)
            elapsed += time.perf_counter() - t0
        costs.append(elapsed * 1000)
    return costs


def bench_signal(eng: ProcessEngine, sessions, waiting: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(lookup ms, full delivery ms) for one instance among ``waiting`` waiting ones (median of 20)."""
    with sessions.begin() as s:  # the case that owns the 100,000 filler waiters
        filler_case = eng.start_case(s, "bench_signal", {}, ADMIN).id
    targets = []
    for _ in range(20):
        with sessions.begin() as s:
            case = eng.start_case(s, "bench_signal", {}, ADMIN)
            targets.append(case.id)
    with sessions.begin() as s:
        template = s.scalars(select(ProcessInstance).where(ProcessInstance.case_id == targets[0])).one()
        definition_id, case_id, state = template.definition_id, filler_case, template.state
    now = datetime.now(timezone.utc)
    batch = 10_000
    for start in range(0, waiting, batch):
        with sessions.begin() as s:
            ids = s.scalars(insert(ProcessInstance).returning(ProcessInstance.id), [
                {"case_id": case_id, "definition_id": definition_id, "status": "running", "state": state,
                 "created_at": now, "updated_at": now} for _ in range(min(batch, waiting - start))]).all()
            s.execute(insert(WaitingEvent), [
                {"instance_id": i, "case_id": case_id, "project_id": 1_000_000 + i, "kind": "signal",
                 "name": "device_alarm", "spiff_id": None} for i in ids])
    with sessions.begin() as s:
        s.execute(text("ANALYZE waiting_event"))
        s.execute(text("ANALYZE process_instance"))
    lookups, deliveries = [], []
    for target in targets:
        with sessions() as s:
            t0 = time.perf_counter()
            s.scalars(select(WaitingEvent).where(WaitingEvent.kind == "signal", WaitingEvent.name == "device_alarm",
                                                 WaitingEvent.case_id == target)).all()
            lookups.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        with sessions.begin() as s:
            delivered = eng.signal(s, "device_alarm", {"device": "dust-1"}, ADMIN, case_id=target)
        deliveries.append((time.perf_counter() - t0) * 1000)
        assert len(delivered) == 1
    return statistics.median(lookups), statistics.median(deliveries)


def main() -> int:
    admin_url = os.environ.get("OVERSITE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    cases = int(os.environ.get("BENCH_CASES", "60"))
    rounds = int(os.environ.get("BENCH_ROUNDS", "200"))
    waiting = int(os.environ.get("BENCH_WAITING", "100000"))
    url, drop = private_database(admin_url)
    try:
        db = storage.make_engine(url)
        upgrade(db)
        sessions = storage.make_session_factory(db)
        services = ServiceRegistry()
        builtins.register(services)
        eng = ProcessEngine(clock=FixedClock(datetime(2026, 3, 2, tzinfo=timezone.utc)), services=services,
                     forms=FormRegistry(), task_budget=500)
        with sessions.begin() as s:
            eng.deploy(s, [BpmnFile("loop.bpmn", LOOP), BpmnFile("round.bpmn", ROUND),
                           BpmnFile("signal.bpmn", SIGNAL_MODEL)], ADMIN)
        bench_oversite(eng, sessions, 5)  # warm-up (spec cache, connection pool)
        a = bench_in_memory(cases)
        b = bench_persisted_stock(cases)
        b_ref = bench_persisted(cases)
        c = bench_oversite(eng, sessions, cases)
        floor = step_floor.measure(url)
        print(f"(a)  SpiffWorkflow in memory:                          {a:8.0f} steps/s")
        print(f"(b)  SpiffWorkflow deserialize → step → serialize:     {b:8.0f} steps/s  (its own serializer)")
        print(f"(b') the same, Oversite's state format (no database):  {b_ref:8.0f} steps/s")
        print(f"(c)  Oversite full path on PostgreSQL:                 {c:8.0f} steps/s  = {c / b:.0%} of (b) "
              f"(target ≥ 50 %), {c / b_ref:.0%} of (b')")
        print(f"(d)  the same statements, bare psycopg, 3 round trips: {floor:8.0f} steps/s  = {floor / b:.0%} of (b): "
              f"the database's floor; with (b')'s own cost added, at best "
              f"{1 / (1 / floor + 1 / b_ref):.0f} steps/s = {1 / (1 / floor + 1 / b_ref) / b:.0%} of (b)")
        costs = bench_rounds(eng, sessions, rounds)
        first, last = statistics.median(costs[:10]), statistics.median(costs[-10:])
        print(f"rounds: round 1-10 median {first:.2f} ms, round {rounds - 9}-{rounds} median {last:.2f} ms"
              f"  = {last / first:.2f}× (target ≤ 1.2×)")
        lookup, delivery = bench_signal(eng, sessions, waiting)
        print(f"signal among {waiting:,} waiting: index lookup {lookup:.2f} ms, full delivery "
              f"(lock, load, step, save, audit, commit) {delivery:.2f} ms (target ≤ 5 ms)")
        db.dispose()
    finally:
        drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
