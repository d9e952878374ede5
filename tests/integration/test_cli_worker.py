"""``oversite worker``: wiring to the app's services, ``--once``, and a clean stop on SIGTERM."""
from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select

from engine import FixedClock
from storage.outbox import enqueue
from storage.records import OutboxMessage
from tests.fixtures.engine import START, make_engine
from tests.fixtures.web import TEST_SECRET_KEY, database_url
from web.cli import main
from web.cli.worker import build_worker
from web.services import Services

OVERSITE = Path(sys.executable).with_name("oversite")


def _env(db_engine: Engine, tmp_path: Path) -> dict[str, str]:
    return {
        "OVERSITE_DATABASE_URL": database_url(db_engine),
        "OVERSITE_DATA_DIR": str(tmp_path / "var"),
        "OVERSITE_SECRET_KEY": TEST_SECRET_KEY,
        "OVERSITE_ENV": "development",
    }


def test_help_needs_no_database(tmp_path: Path) -> None:
    env = {"OVERSITE_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "OVERSITE_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(main, ["worker", "--help"], env=env)
    assert result.exit_code == 0, result.output
    assert "--once" in result.output and "SIGTERM" in result.output


def test_poll_options_refuse_nonsense(db_engine: Engine, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["worker", "--once", "--timer-poll", "0"], env=_env(db_engine, tmp_path))
    assert result.exit_code == 2 and "--timer-poll" in result.output


def test_build_worker_uses_the_app_engine_clock_and_config(services: Services) -> None:
    clock = FixedClock(START)
    wired = dataclasses.replace(services, engine=make_engine(clock, []), clock=clock)
    worker = build_worker(wired)
    assert worker.timer_runner == wired.engine.fire_due_timers
    assert worker.session_factory is wired.session_factory and worker.clock is clock
    assert (worker.timer_poll_seconds, worker.outbox_poll_seconds) == (
        wired.config["TIMER_POLL_SECONDS"], wired.config["OUTBOX_POLL_SECONDS"],
    )
    assert build_worker(wired, timer_poll_seconds=0.5, outbox_poll_seconds=0.25).outbox_poll_seconds == 0.25
    # A message nobody handles is recorded as a failure (kept, retried later), not a crash.
    with wired.session_factory.begin() as session:
        enqueue(session, "nobody.handles", {}, now=clock.now())
    results = worker.run_once()
    assert all(stats.failures == 0 for stats in results.values())
    assert results["outbox"].last_result == 1
    with wired.session_factory() as session:
        msg = session.scalars(select(OutboxMessage)).one()
    assert msg.status == "pending" and "no handler registered" in (msg.last_error or "")
    assert msg.next_attempt_at > clock.now()


def test_build_worker_refuses_an_app_without_engine(services: Services) -> None:
    with pytest.raises(click.ClickException, match="engine is not configured"):
        build_worker(dataclasses.replace(services, engine=None))


def test_once_runs_every_job_and_exits(db_engine: Engine, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["worker", "--once"], env=_env(db_engine, tmp_path))
    assert result.exit_code == 0, result.output
    assert "timers: ok (0 processed)" in result.output
    assert "outbox: ok (0 processed)" in result.output


@pytest.mark.skipif(not OVERSITE.exists(), reason="the oversite entry point is not installed")
def test_worker_process_stops_cleanly_on_sigterm(db_engine: Engine, tmp_path: Path) -> None:
    env = {**os.environ, **_env(db_engine, tmp_path)}
    proc = subprocess.Popen(
        [str(OVERSITE), "worker", "--timer-poll", "0.2", "--outbox-poll", "0.2"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 30
        lines: list[str] = []
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "worker started" in line:
                break
        assert any("worker started" in line for line in lines), "".join(lines)
        time.sleep(0.5)  # let a few polls run
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, "".join(lines) + output
    assert "received SIGTERM" in output and "worker stopped" in output
    assert "Traceback" not in "".join(lines) + output
