"""``oversite init``: migrate, create the first administrator, deploy the shipped workflows.

Non-interactive and idempotent: run it on every deployment. The administrator ``admin`` is
created once, with ``OVERSITE_ADMIN_PASSWORD`` or a generated password printed only then; an
existing ``admin`` is never touched. There is no default password in any mode.
"""
from __future__ import annotations

import secrets

import click

from engine import SYSTEM, Deployed, ModelInvalid
from storage.audit import append_audit
from workflows import bpmn_files
from storage.migrate import upgrade
from storage.users import AccountError, create_user, get_user

from ..services import Services
from .context import cli_actor, pass_services
from .deploy import format_problem

ADMIN_USERNAME = "admin"
GENERATED_PASSWORD_BYTES = 18  # 24 URL-safe characters, ~144 bits



def deploy_workflows(services: Services) -> list[Deployed]:
    """Deploy every model shipped under workflows/ (unchanged ones keep their version)."""
    files = bpmn_files()
    if not files:
        return []
    with services.session_factory.begin() as session:
        return services.engine.deploy(session, files, SYSTEM)


def ensure_admin(services: Services, password: str | None) -> tuple[bool, str | None]:
    """Create ``admin`` unless it exists.

    Returns:
        (created, generated password or None).

    Raises:
        storage.users.WeakPassword: ``password`` breaks the password policy.
    """
    generated = None
    with services.session_factory.begin() as session:
        if get_user(session, ADMIN_USERNAME) is not None:
            return False, None
        if not password:
            generated = password = secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
        create_user(session, ADMIN_USERNAME, password, [("admin", None, None)], display_name="Administrator")
        append_audit(session, action="user.create", at=services.clock.now(), actor=cli_actor(),
                     data={"username": ADMIN_USERNAME, "roles": ["admin"],
                           "password_source": "generated" if generated else "OVERSITE_ADMIN_PASSWORD"})
    return True, generated


@click.command()
@pass_services
def init(services: Services) -> None:
    """Prepare an installation: migrate, create the admin user, deploy workflows/.

    The admin password is OVERSITE_ADMIN_PASSWORD, or a generated one printed once.
    Running it again changes nothing that exists.
    """
    upgrade(services.db_engine)
    click.echo("database schema is up to date")
    try:
        created, generated = ensure_admin(services, services.config.get("ADMIN_PASSWORD"))
    except AccountError as exc:
        raise click.ClickException(f"OVERSITE_ADMIN_PASSWORD: {exc.message}") from exc
    if generated:
        click.echo(f"created user {ADMIN_USERNAME} with password: {generated}")
        click.echo("this password is shown only once: store it now or change it after logging in")
    elif created:
        click.echo(f"created user {ADMIN_USERNAME} with the password from OVERSITE_ADMIN_PASSWORD")
    else:
        click.echo(f"user {ADMIN_USERNAME} exists: left unchanged")
    try:
        deployed = deploy_workflows(services)
    except ModelInvalid as exc:
        for problem in exc.problems:
            click.echo(format_problem(problem), err=True)
        raise click.ClickException("a shipped process model is invalid; nothing was deployed") from exc
    new = sum(1 for d in deployed if d.created)
    click.echo(f"workflows: {len(deployed)} process model(s), {new} new version(s) deployed")
