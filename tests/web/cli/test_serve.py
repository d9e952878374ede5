"""``oversite serve``: gunicorn serves the app; the development server only with --dev."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from click.testing import CliRunner
from flask import Flask

from tests.fixtures.web import TEST_SECRET_KEY
from web.cli import main
from web.cli.serve import GunicornApplication, gunicorn_options


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_gunicorn_gets_the_bind_and_workers() -> None:
    app = Flask("t")
    server = GunicornApplication(app, gunicorn_options("0.0.0.0", 8123, 3))
    assert server.cfg.bind == ["0.0.0.0:8123"]
    assert server.cfg.workers == 3
    assert server.load() is app


def test_dev_server_is_refused_in_production(tmp_path: Path) -> None:
    env = {"OVERSITE_ENV": "production", "OVERSITE_SECRET_KEY": TEST_SECRET_KEY,
           "OVERSITE_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(main, ["serve", "--dev"], env=env)
    assert result.exit_code == 1 and "--dev is refused" in result.output


def test_serve_answers_http_through_gunicorn(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "OVERSITE_DATA_DIR": str(tmp_path), "OVERSITE_SECRET_KEY": TEST_SECRET_KEY}
    script = "from web.cli import main; main()"
    proc = subprocess.Popen(
        [sys.executable, "-c", script, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        body = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and body is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2) as response:
                    body = json.loads(response.read())
                    server = response.headers.get("Server", "")
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        assert body is not None, "the server did not answer"
        assert body["status"] == "ok"
        assert "gunicorn" in server
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    assert b"Booting worker" in output
