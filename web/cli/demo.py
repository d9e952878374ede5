"""``oversite demo``: demo users and each process family's demo data (development only).

Deterministic (a seeded random generator, the app's clock) and idempotent: a second run finds
the demo users and changes nothing.
"""
from __future__ import annotations

import random

import click

from engine import Actor
from storage.users import create_user, get_user
from workflows import FAMILIES, DemoContext

from ..auth.principal import actor_for
from ..config import is_production
from ..services import Services
from .context import pass_services

DEMO_SEED = 20221016  # the date of the bureau's published usage tables (seed 000)
# name → roles (role, district, enterprise); enterprise users are added by the families' seeds.
DEMO_USERS: dict[str, list[tuple[str, str | None, str | None]]] = {
    "owner": [("process_owner", None, None)],
    "inspector_haishu": [("inspector", "海曙区", None)],
    "inspector_jiangbei": [("inspector", "江北区", None)],
    "district_admin_haishu": [("district_admin", "海曙区", None)],
    "auditor": [("auditor", None, None)],
    "expert": [("expert", None, None)],
    "demo_admin": [("admin", None, None)],
}
MARKER_USER = "owner"


@click.command()
@pass_services
def demo(services: Services) -> None:
    """Load demo users and demo data (refused in production mode).

    Demo users share the password OVERSITE_DEMO_PASSWORD (development default: oversite-demo).
    """
    if is_production(services.config):
        raise click.ClickException("demo data is never loaded in production mode (OVERSITE_ENV=production)")
    password = services.config["DEMO_PASSWORD"]
    with services.session_factory() as session:
        if get_user(session, MARKER_USER) is not None:
            click.echo("demo data is already loaded: nothing changed")
            return

    def add_user(username: str, display_name: str, roles: list[tuple[str, str | None, str | None]]) -> Actor:
        with services.session_factory.begin() as session:
            user = create_user(session, username, password, roles, display_name=display_name)
            actor = actor_for(user, None)
        ctx.users[username] = actor
        return actor

    ctx = DemoContext(session_factory=services.session_factory, engine=services.engine, clock=services.clock,
                      config=services.config, users={}, random=random.Random(DEMO_SEED), add_user=add_user)
    for username, roles in DEMO_USERS.items():
        add_user(username, username, roles)
    for family in FAMILIES:
        if family.seed_demo is not None:
            family.seed_demo(ctx)
            click.echo(f"demo data: {family.name}")
    click.echo(f"demo users ({', '.join(sorted(ctx.users))}) use the password {password!r}")
