"""Usage-report benchmark (issue 3): prints figures measured in one run; asserts nothing.

Seeds 30,000 projects over the 13 districts and 300,000 dated records in a private
PostgreSQL database (COPY), then times both usage reports (query and formatting, median of
several runs) against one ``SELECT count(*)`` over the records table, measured in the same
run. Target: each report ≤ 200 ms.

Run with ``make bench`` or ``python -m tests.bench.reports_bench`` (PostgreSQL from
OVERSITE_TEST_DATABASE_URL; BENCH_PROJECTS, BENCH_RECORDS and BENCH_RUNS change the sizes).
"""
from __future__ import annotations

import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

import storage
from tests.bench.common import private_database
from web.config import NINGBO_DISTRICTS
from workflows.reports import as_csv, build_report

AS_OF = date(2022, 10, 16)
KINDS = ("assignment", "briefing", "supervision_record", "initialization", "daily_log", "self_inspection",
         "acceptance")
KIND_WEIGHTS = (1, 1, 4, 1, 6, 3, 1)


def seed(db: Engine, projects: int, records: int, rnd: random.Random) -> None:
    """COPY ``projects`` projects and ``records`` records (dated around AS_OF) into the tables."""
    now = "2022-10-17 00:00:00+00"
    conn = db.raw_connection()
    try:
        cur = conn.cursor()
        with cur.copy("COPY project (code, name, district, floor_area_m2, contract_value_cny, supervision_start, "
                      "supervision_end, construction_start, construction_end, created_at) FROM STDIN") as copy:
            for n in range(projects):
                start = AS_OF - timedelta(days=rnd.randrange(-60, 1_200))
                ended = rnd.random() < 0.15
                sup_end = start + timedelta(days=rnd.randrange(100, 900)) if ended else None
                con_start = start + timedelta(days=rnd.randrange(0, 40)) if rnd.random() < 0.95 else None
                con_end = sup_end if ended and con_start and sup_end and sup_end > con_start else None
                area = rnd.randrange(2_000, 200_000)
                copy.write_row((f"B{n:06d}", f"项目{n}", rnd.choice(NINGBO_DISTRICTS), area, area * 4_000, start,
                                sup_end, con_start, con_end, now))
        with cur.copy("COPY project_record (project_id, kind, occurred_on, source, external_ref, created_at) "
                      "FROM STDIN") as copy:
            for n in range(records):
                copy.write_row((rnd.randrange(1, projects + 1), rnd.choices(KINDS, KIND_WEIGHTS)[0],
                                AS_OF - timedelta(days=rnd.randrange(-90, 1_100)), "import", f"bench:{n}", now))
        conn.commit()
        cur.execute("ANALYZE project")  # as autovacuum does after a bulk load
        cur.execute("ANALYZE project_record")
        conn.commit()
    finally:
        conn.close()


def median_ms(action: Callable[[], object], runs: int) -> float:
    action()  # warm-up: connection, plan cache
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        action()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def backend_cpu_ms(session: Session, action: Callable[[], object], runs: int) -> float | None:
    """CPU time the PostgreSQL backend spends per run (Linux, local server; None otherwise).

    Wall times on a shared machine include waiting for a core; the backend's own CPU time
    does not. Parallel workers are switched off so the backend does all the work.
    """
    pid = session.execute(text("SELECT pg_backend_pid()")).scalar()
    stat = Path(f"/proc/{pid}/stat")
    try:
        def ticks() -> int:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            return int(fields[11]) + int(fields[12])  # utime + stime
        ticks()
    except (OSError, IndexError, ValueError):
        return None
    session.execute(text("SET max_parallel_workers_per_gather = 0"))
    try:
        action()
        start = ticks()
        for _ in range(runs):
            action()
        return (ticks() - start) * 1000 / os.sysconf("SC_CLK_TCK") / runs
    finally:
        session.execute(text("RESET max_parallel_workers_per_gather"))


def main() -> int:
    admin_url = os.environ.get("OVERSITE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    projects = int(os.environ.get("BENCH_PROJECTS", "30000"))
    records = int(os.environ.get("BENCH_RECORDS", "300000"))
    runs = int(os.environ.get("BENCH_RUNS", "9"))
    url, drop = private_database(admin_url)
    try:
        db = storage.make_engine(url)
        # The schema straight from the models: the benchmark measures queries, not migrations.
        storage.Base.metadata.create_all(db)
        t0 = time.perf_counter()
        seed(db, projects, records, random.Random(20221016))
        print(f"seeded {projects:,} projects and {records:,} records in {time.perf_counter() - t0:.1f} s")
        sessions = storage.make_session_factory(db)
        with sessions() as session:
            def count_all() -> object:
                return session.execute(text("SELECT count(*) FROM project_record")).scalar()

            count = median_ms(count_all, runs)
            count_cpu = backend_cpu_ms(session, count_all, runs * 2)
            print(f"SELECT count(*) over project_record:     {count:8.1f} ms wall")
            for name in ("supervision-usage", "project-usage"):
                def report(name: str = name) -> object:
                    return as_csv(build_report(session, name, AS_OF, NINGBO_DISTRICTS))

                ms = median_ms(report, runs)
                print(f"{name:<18} (query + CSV), median: {ms:8.1f} ms wall = {ms / count:5.1f}× the count(*)"
                      f"  (target ≤ 200 ms)")
                cpu = backend_cpu_ms(session, report, runs)
                if cpu is not None and count_cpu:
                    print(f"{'':<18} server CPU per run, one process: {cpu:6.1f} ms = {cpu / count_cpu:5.1f}× "
                          f"the count(*)'s {count_cpu:.1f} ms")
            total = build_report(session, "supervision-usage", AS_OF, NINGBO_DISTRICTS).rows[-1]
            print(f"合计 row as of {AS_OF}: {', '.join(total)}")
        db.dispose()
    finally:
        drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
