"""Throughput of the reading sink alone on PostgreSQL (no broker): ``python -m tests.bench.sink_bench``.

Creates a private database, registers DEVICES devices, writes BATCHES batches of BATCH_SIZE
readings within limits through ``build_reading_sink`` and prints readings per second and the
batch latencies. Prints figures; asserts nothing (ARCHITECTURE §7).
"""
from __future__ import annotations

import argparse
import os
import secrets
import statistics
import time
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from sqlalchemy import text

import storage
from adapters.readings import DeviceRef, Reading
from engine import SYSTEM, SystemClock
from storage import Device, Project
from web.config import DEFAULTS
from workflows import bpmn_files, build_engine, build_registries
from workflows.devices import FAMILY, build_reading_sink

ADMIN_URL = os.environ.get("OVERSITE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


def run(devices: int, batches: int, batch_size: int) -> None:
    admin = storage.make_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = "oversite_sink_bench_" + secrets.token_hex(3)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db = storage.make_engine(ADMIN_URL.rsplit("/", 1)[0] + "/" + name)
    try:
        storage.Base.metadata.create_all(db)
        sessions = storage.make_session_factory(db)
        clock = SystemClock()
        engine = build_engine(DEFAULTS, clock, {}, build_registries(DEFAULTS))
        with sessions.begin() as session:
            engine.deploy(session, bpmn_files([FAMILY]), SYSTEM)
            project = Project(code="BENCH", name="bench", district="海曙区")
            session.add(project)
            session.flush()
            session.add_all(Device(project_id=project.id, code=f"d{i}", device_type="dust_noise_monitor",
                                   protocol="mqtt") for i in range(devices))
        sink = build_reading_sink(SimpleNamespace(config=DEFAULTS, session_factory=sessions, engine=engine,
                                                  clock=clock))
        start = datetime.now(timezone.utc) - timedelta(hours=2)
        stored, latencies = 0, []
        began = time.perf_counter()
        for b in range(batches):
            batch = []
            for i in range(batch_size):
                k = b * batch_size + i
                batch.append(Reading(DeviceRef("mqtt", f"BENCH/d{k % devices}"), start + timedelta(milliseconds=20 * k),
                                     "pm10" if k % 2 else "noise_leq", 40.0 + k % 7, ""))
            t = time.perf_counter()
            stored += sink.write_batch(batch).stored
            latencies.append(time.perf_counter() - t)
        elapsed = time.perf_counter() - began
        print(f"sink: {stored} readings from {devices} devices in {elapsed:.2f} s = {stored / elapsed:,.0f}/s; "
              f"batch of {batch_size}: p50 {statistics.median(latencies) * 1000:.0f} ms, "
              f"max {max(latencies) * 1000:.0f} ms")
    finally:
        db.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--batches", type=int, default=25)
    parser.add_argument("--batch-size", type=int, default=2000)
    args = parser.parse_args()
    run(args.devices, args.batches, args.batch_size)
