"""How commands get the application: built lazily, once, only by commands that need it.

``oversite --help`` and ``oversite serve --help`` must work without a database or a secret
key, so nothing is built until a command body runs.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click
from flask import Flask

from ..config import ConfigError
from ..services import EXTENSION_KEY, Services

F = TypeVar("F", bound=Callable[..., Any])


class CliState:
    """Per-invocation state: the app, built on first use and torn down when the command ends."""

    def __init__(self) -> None:
        self._app: Flask | None = None

    def app(self) -> Flask:
        if self._app is None:
            from ..app import create_app  # imported late: --help must not need the app

            try:
                self._app = create_app()
            except ConfigError as exc:
                raise click.ClickException(str(exc)) from exc
            ctx = self._app.app_context()
            ctx.push()
            click.get_current_context().call_on_close(lambda: self._close(ctx))
        return self._app

    def services(self) -> Services:
        services = self.app().extensions[EXTENSION_KEY]
        assert isinstance(services, Services)
        return services

    def _close(self, ctx: Any) -> None:
        if self._app is not None:
            self._app.extensions[EXTENSION_KEY].close()
        ctx.pop()
        self._app = None


def pass_services(command: F) -> F:
    """Give a command the app's ``Services`` as its first argument (inside an app context)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        state = click.get_current_context().ensure_object(CliState)
        return command(state.services(), *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def cli_actor() -> str:
    """Who ran the command, for the audit log: ``cli:<operating-system user>``."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"[:120]
    except (KeyError, OSError):
        return "cli"
