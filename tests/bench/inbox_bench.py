"""Inbox benchmark (issue 4): server time of the inbox page with a million open tasks.

Seeds a private PostgreSQL database with COPY: 200,000 cases (one instance each) over 20,000
projects in the 13 configured districts, 1,000,000 open tasks (plus 300,000 completed ones)
spread over roles and due dates, then times ``GET /inbox`` through the Flask test client (the
whole request: session, navigation counts, the inbox query, rendering) for an inspector of
one district, next to a bare ``SELECT 1`` round trip. Prints figures; asserts nothing.

Run with ``make bench`` or ``python -m tests.bench.inbox_bench`` (PostgreSQL from
OVERSITE_TEST_DATABASE_URL; BENCH_TASKS / BENCH_CASES / BENCH_REQUESTS change the sizes;
BENCH_EXPLAIN=1 prints each SQL statement of one request with its time).
"""
from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, text

import storage
from tests.bench.common import private_database
from storage.migrate import stamp
from storage.users import create_user
from web import create_app
from web.config import NINGBO_DISTRICTS
from web.services import EXTENSION_KEY

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)
PASSWORD = "bench-password-1"
ROLES = [("inspector", 40), ("enterprise", 35), ("district_admin", 15), ("expert", 5), ("process_owner", 5)]
PROJECTS = 20_000
ENTERPRISES = 2_000
COMPLETED_TASKS = 300_000
TARGET_DISTRICT = "海曙区"


def _copy(db: Engine, table: str, columns: list[str], rows: Iterator[tuple[Any, ...]]) -> int:
    """COPY ``rows`` into ``table`` (psycopg 3's COPY protocol); returns how many."""
    raw = db.raw_connection()
    count = 0
    try:
        cursor = raw.cursor()
        quoted = ", ".join(f'"{c}"' for c in columns)
        with cursor.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row(row)
                count += 1
        raw.commit()
    finally:
        raw.close()
    return count


def _weighted_roles(rng: random.Random, n: int) -> list[str]:
    names = [r for r, _ in ROLES]
    weights = [w for _, w in ROLES]
    return rng.choices(names, weights, k=n)


def seed(db: Engine, cases: int, tasks: int, inspector_ids: list[int]) -> None:
    rng = random.Random(20221016)
    districts = NINGBO_DISTRICTS
    t0 = time.perf_counter()
    with db.begin() as conn:
        conn.execute(text(
            "INSERT INTO process_definition (id, key, version, name, sha256, filename, bpmn_xml, spec, deployed_at) "
            "VALUES (1, 'supervision_round', 1, '监督检查', :sha, 'round.bpmn', '<definitions/>', :spec, :at)"),
            {"sha": "0" * 64, "spec": b"", "at": NOW})
    project_district = [districts[i % len(districts)] for i in range(PROJECTS)]
    contractor = [f"9133020{i % ENTERPRISES:011d}" for i in range(PROJECTS)]
    _copy(db, "enterprise", ["id", "code", "name", "kind", "created_at"],
          ((i + 1, f"9133020{i:011d}", f"宁波第{i + 1}建设有限公司", "contractor", NOW) for i in range(ENTERPRISES)))
    _copy(db, "project", ["id", "code", "name", "district", "created_at"],
          ((i + 1, f"NB-{i + 1:06d}", f"{project_district[i]}第{i + 1}号工程", project_district[i], NOW)
           for i in range(PROJECTS)))
    _copy(db, "project_party", ["id", "project_id", "enterprise_code", "party_role"],
          ((i + 1, i + 1, contractor[i], "contractor") for i in range(PROJECTS)))
    case_project = [rng.randrange(PROJECTS) + 1 for _ in range(cases)]
    _copy(db, "case", ["id", "process_key", "title", "status", "project_id", "district", "data", "created_at",
                       "updated_at"],
          ((c + 1, "supervision_round", f"监督案件{c + 1}", "active", case_project[c],
            project_district[case_project[c] - 1], "{}", NOW, NOW) for c in range(cases)))
    _copy(db, "process_instance", ["id", "case_id", "definition_id", "status", "state", "task_count", "step_count",
                                   "created_at", "updated_at"],
          ((c + 1, c + 1, 1, "running", b"", 5, 1, NOW, NOW) for c in range(cases)))

    def task_rows() -> Iterator[tuple[Any, ...]]:
        roles = _weighted_roles(rng, tasks + COMPLETED_TASKS)
        for i in range(tasks + COMPLETED_TASKS):
            case = i % cases + 1
            project = case_project[case - 1]
            role = roles[i]
            completed = i >= tasks
            claimed = not completed and rng.random() < 0.05
            due = None if rng.random() < 0.05 else NOW + timedelta(hours=rng.randrange(-30 * 24, 60 * 24))
            yield (i + 1, case, case, f"{i + 1:036d}"[-36:], f"step{i % 5}", f"第{i % 5 + 1}步", "supervision_round",
                   None, role, "completed" if completed else ("claimed" if claimed else "open"),
                   rng.choice(inspector_ids) if claimed or completed else None, project,
                   project_district[project - 1], contractor[project - 1] if role == "enterprise" else None,
                   due, "{}", NOW, NOW if completed else None)

    n = _copy(db, "task", ["id", "instance_id", "case_id", "spiff_id", "bpmn_id", "name", "process_key", "form_key",
                           "role", "state", "assignee_id", "project_id", "district", "enterprise_code", "due_at",
                           "data", "created_at", "completed_at"], task_rows())
    with db.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("enterprise", "project", "project_party", "case", "process_instance", "task"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                              f"(SELECT max(id) FROM \"{table}\"))"))
        conn.execute(text("VACUUM ANALYZE"))
    print(f"seeded {cases:,} cases, {n:,} tasks ({tasks:,} open) in {time.perf_counter() - t0:.0f} s")


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def time_requests(client: Any, path: str, n: int) -> list[float]:
    for _ in range(5):  # warm-up: caches, connection pool, template compilation
        assert client.get(path).status_code == 200
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return samples


def time_select_one(db: Engine, n: int) -> list[float]:
    samples = []
    with db.connect() as conn:
        for _ in range(n + 5):
            t0 = time.perf_counter()
            conn.execute(text("SELECT 1")).scalar()
            samples.append((time.perf_counter() - t0) * 1000)
    return samples[5:]


def statement_times(client: Any, db: Engine, path: str) -> None:
    """Print each SQL statement of one request with its time (BENCH_EXPLAIN=1)."""
    from sqlalchemy import event

    started: dict[int, float] = {}

    def before(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        started[id(cursor)] = time.perf_counter()

    def after(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        elapsed = (time.perf_counter() - started.pop(id(cursor), time.perf_counter())) * 1000
        print(f"  {elapsed:7.2f} ms  {' '.join(statement.split())[:150]}")

    target = client.application.extensions[EXTENSION_KEY].db_engine
    event.listen(target, "before_cursor_execute", before)
    event.listen(target, "after_cursor_execute", after)
    t0 = time.perf_counter()
    client.get(path)
    print(f"  {(time.perf_counter() - t0) * 1000:7.2f} ms  whole request {path}")
    event.remove(target, "before_cursor_execute", before)
    event.remove(target, "after_cursor_execute", after)


def main() -> int:
    admin_url = os.environ.get("OVERSITE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    tasks = int(os.environ.get("BENCH_TASKS", "1000000"))
    cases = int(os.environ.get("BENCH_CASES", "200000"))
    requests = int(os.environ.get("BENCH_REQUESTS", "200"))
    url, drop = private_database(admin_url)
    try:
        db = storage.make_engine(url)
        storage.Base.metadata.create_all(db)
        stamp(db)
        with storage.make_session_factory(db).begin() as session:
            inspectors = [create_user(session, f"insp_{i}", PASSWORD, [("inspector", d, None)]).id
                          for i, d in enumerate(NINGBO_DISTRICTS)]
            create_user(session, "bench_inspector", PASSWORD, [("inspector", TARGET_DISTRICT, None)])
            create_user(session, "bench_admin", PASSWORD, [("admin", None, None)])
        seed(db, cases, tasks, inspectors)
        with tempfile.TemporaryDirectory() as data_dir:
            from engine.clock import FixedClock
            from tests.fixtures.web import login

            app = create_app({"TESTING": True, "DATABASE_URL": url, "DATA_DIR": data_dir, "SECRET_KEY": "b" * 32,
                              "CLOCK": FixedClock(NOW), "LOGIN_RATE_LIMIT": "1000 per minute"})
            inspector, admin = app.test_client(), app.test_client()
            assert login(inspector, "bench_inspector", PASSWORD).status_code == 302
            assert login(admin, "bench_admin", PASSWORD).status_code == 302
            if os.environ.get("BENCH_EXPLAIN") == "1":
                for _ in range(3):
                    inspector.get("/inbox")
                statement_times(inspector, db, "/inbox")
                statement_times(admin, db, "/inbox")
            baseline = percentiles(time_select_one(db, requests))
            print(f"{'SELECT 1 round trip':48s} p50 {baseline[0]:7.2f} ms   p95 {baseline[1]:7.2f} ms")
            scenarios = [
                ("GET /inbox (inspector, default view)", inspector, "/inbox"),
                ("GET /inbox?overdue=1", inspector, "/inbox?overdue=1"),
                ("GET /inbox?due_within=3", inspector, "/inbox?due_within=3"),
                ("GET /inbox?q=第12 (project name search)", inspector, "/inbox?q=%E7%AC%AC12"),
                ("GET /inbox?page=40", inspector, "/inbox?page=40"),
                ("GET /inbox?tab=mine", inspector, "/inbox?tab=mine"),
                ("GET /inbox?tab=scope (district scope)", inspector, "/inbox?tab=scope"),
                ("GET /inbox?sort=-due", inspector, "/inbox?sort=-due"),
                ("GET /inbox (admin: all 1M tasks)", admin, "/inbox"),
            ]
            for label, client, path in scenarios:
                p50, p95 = percentiles(time_requests(client, path, requests))
                flag = "  (target p95 ≤ 50 ms)" if path == "/inbox" and client is inspector else ""
                print(f"{label:48s} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms{flag}")
            app.extensions[EXTENSION_KEY].close()
        db.dispose()
    finally:
        drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
