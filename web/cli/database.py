"""``oversite db``: schema migrations."""
from __future__ import annotations

import click

from storage.migrate import upgrade as migrate_upgrade

from ..services import Services
from .context import pass_services


@click.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@pass_services
def upgrade(services: Services) -> None:
    """Migrate the database (OVERSITE_DATABASE_URL) to the latest schema; safe to repeat."""
    migrate_upgrade(services.db_engine)
    click.echo("database schema is up to date")
