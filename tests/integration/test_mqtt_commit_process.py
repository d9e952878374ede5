"""MQTT ingest with its batches parsed and committed in a child process (``commit_process.py``).

The child builds its own sink from a picklable factory, so these tests use a SQLite-file sink
and read the file. They prove what the process must not change: every message stored exactly
once and acknowledged only after its commit, even when the commit process is killed.
"""
from __future__ import annotations

import functools
import os
import signal
import threading
import time
from pathlib import Path

from adapters.batching import SerializedSink
from adapters.mqtt import MqttIngest, MqttSettings
from adapters.stats import IngestStats
from tests.fixtures.mqtt import Broker, publish_all
from tests.fixtures.reading_sink import FileSink, MemorySink, stored_in_file
from tests.integration.test_mqtt_ingest import burst


def start(broker: Broker, tmp: Path, stats: IngestStats) -> tuple[MqttIngest, threading.Event, threading.Thread]:
    settings = MqttSettings(host=broker.host, port=broker.port, client_id="ingest-proc", batch_size=200,
                            batch_delay=0.05, backoff_max=0.5, keepalive=5)
    factory = functools.partial(FileSink, str(tmp / "readings.sqlite"), str(tmp / "pids"))
    # The in-process sink must never be used when a factory is given.
    ingest = MqttIngest(settings, SerializedSink(MemorySink(), stats), stats, factory)
    ingest.start_commits()
    stop = threading.Event()
    thread = threading.Thread(target=ingest.run, args=(stop,), daemon=True)
    thread.start()
    assert ingest.subscribed.wait(60), "the ingest never subscribed"
    return ingest, stop, thread


def wait_stored(path: Path, count: int, timeout: float = 120) -> int:
    deadline = time.monotonic() + timeout
    while (n := len(stored_in_file(str(path)))) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return n


def halt(stop: threading.Event, thread: threading.Thread) -> None:
    stop.set()
    thread.join(30)
    assert not thread.is_alive()


def test_batches_commit_in_a_child_process_and_are_acknowledged(mqtt_broker: Broker, tmp_path: Path) -> None:
    stats = IngestStats()
    ingest, stop, thread = start(mqtt_broker, tmp_path, stats)
    pids = (tmp_path / "pids").read_text().split()
    assert pids and int(pids[0]) != os.getpid()
    publish_all(mqtt_broker, burst(1000) + [("oversite/P1/D1/readings", b"{not json")])
    assert wait_stored(tmp_path / "readings.sqlite", 2000) == 2000
    deadline = time.monotonic() + 10
    while stats.refused_count("mqtt", "json") < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    halt(stop, thread)
    assert ingest.committed == 2000
    assert stats.readings["mqtt"] == 2000 and stats.refused_count("mqtt", "json") == 1
    # Acknowledged: a new session start receives nothing again (no duplicates counted).
    again, stop, thread = start(mqtt_broker, tmp_path, IngestStats())
    time.sleep(1.0)
    halt(stop, thread)
    assert again.committed == 0


def test_commit_process_killed_during_a_burst_loses_and_duplicates_nothing(mqtt_broker: Broker,
                                                                           tmp_path: Path) -> None:
    ingest, stop, thread = start(mqtt_broker, tmp_path, IngestStats())
    publisher = threading.Thread(target=publish_all, args=(mqtt_broker, burst(5000)))
    publisher.start()
    db = tmp_path / "readings.sqlite"
    assert wait_stored(db, 400, timeout=60) >= 400
    first = int((tmp_path / "pids").read_text().split()[0])
    os.kill(first, signal.SIGKILL)  # mid-burst: its batch in flight is never acknowledged
    publisher.join(180)
    assert wait_stored(db, 10_000) == 10_000
    halt(stop, thread)
    pids = (tmp_path / "pids").read_text().split()
    assert len(pids) >= 2  # a new commit process took over
    rows = stored_in_file(str(db))
    assert {source.rsplit(":", 1)[1] for _, _, source in rows} == {str(n) for n in range(5000)}
    assert len(rows) == 10_000  # the primary key would have refused a second copy anyway:
    assert ingest.committed >= 10_000  # ...so count what was committed, duplicates included


def test_commit_process_exits_when_the_ingest_process_dies(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from adapters.mqtt import commit_process

    exits: list[int] = []
    monkeypatch.setattr(commit_process.os, "_exit", exits.append)
    commit_process._exit_with_parent(-1)  # a parent id that is no longer ours: the parent died
    assert exits == [1]
