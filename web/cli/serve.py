"""``oversite serve``: gunicorn in production; Flask's development server only with ``--dev``."""
from __future__ import annotations

from typing import Any

import click
from flask import Flask
from gunicorn.app.base import BaseApplication

DEFAULT_WORKERS = 2


class GunicornApplication(BaseApplication):  # type: ignore[misc]
    """Serves an already-built Flask app with gunicorn's settings given in code."""

    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key.lower(), value)

    def load(self) -> Flask:
        return self.application


def gunicorn_options(host: str, port: int, workers: int) -> dict[str, Any]:
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "accesslog": "-",
        "errorlog": "-",
        # Uploads may be 20 MiB on slow site connections.
        "timeout": 120,
        "graceful_timeout": 30,
        "forwarded_allow_ips": "127.0.0.1",
    }


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="TCP port.")
@click.option("--workers", default=DEFAULT_WORKERS, show_default=True, type=click.IntRange(1, 64),
              help="gunicorn worker processes.")
@click.option("--dev", is_flag=True, help="Use Flask's development server (reloader, debugger): never in production.")
def serve(host: str, port: int, workers: int, dev: bool) -> None:
    """Serve the web application and the API over HTTP."""
    from ..app import create_app
    from ..config import ConfigError, is_production
    from ..services import EXTENSION_KEY

    try:
        app = create_app()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    if dev:
        if is_production(app.config):
            raise click.ClickException("--dev is refused when OVERSITE_ENV=production")
        app.run(host=host, port=port, debug=True, use_reloader=False)
        return
    options = gunicorn_options(host, port, workers)
    services = app.extensions[EXTENSION_KEY]
    # Never share database connections across fork(): each worker opens its own.
    options["post_fork"] = lambda _server, _worker: services.db_engine.dispose(close=False)
    GunicornApplication(app, options).run()
