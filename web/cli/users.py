"""``oversite user``: create users and issue API tokens."""
from __future__ import annotations

import click

from storage import ROLES
from storage.audit import append_audit
from storage.users import DISTRICT_ROLES, ENTERPRISE_ROLES, AccountError, create_user, get_user, issue_token

from ..services import Services
from .context import cli_actor, pass_services


@click.group()
def user() -> None:
    """User accounts and API tokens."""


def role_specs(roles: tuple[str, ...], district: str | None,
               enterprise: str | None) -> list[tuple[str, str | None, str | None]]:
    """Apply --district to the district roles and --enterprise to the enterprise role.

    Raises:
        click.UsageError: --district or --enterprise given without a role it applies to.
    """
    if district is not None and not DISTRICT_ROLES.intersection(roles):
        raise click.UsageError(f"--district applies only to the roles {', '.join(sorted(DISTRICT_ROLES))}")
    if enterprise is not None and not ENTERPRISE_ROLES.intersection(roles):
        raise click.UsageError("--enterprise applies only to the role enterprise")
    return [
        (role,
         district if role in DISTRICT_ROLES else None,
         enterprise if role in ENTERPRISE_ROLES else None)
        for role in dict.fromkeys(roles)
    ]


@user.command("add")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES),
              help="A role; repeat for several.")
@click.option("--password", required=True, help="At least 8 characters.")
@click.option("--district", default=None, help="District of the inspector / district_admin roles.")
@click.option("--enterprise", default=None, help="Unified social credit code for the enterprise role.")
@click.option("--display-name", default=None, help="Name shown in the interface.")
@pass_services
def add(services: Services, username: str, roles: tuple[str, ...], password: str,
        district: str | None, enterprise: str | None, display_name: str | None) -> None:
    """Create USERNAME with one or more roles.

    Exits 1 when the user exists or the input is refused, 2 for usage errors (unknown role).
    """
    specs = role_specs(roles, district, enterprise)
    try:
        with services.session_factory.begin() as session:
            created = create_user(session, username, password, specs, display_name=display_name)
            append_audit(session, action="user.create", at=services.clock.now(), actor=cli_actor(),
                         data={"username": username, "roles": [list(s) for s in specs]})
    except AccountError as exc:  # DuplicateUser, UnknownRole, WeakPassword, InvalidScope …
        raise click.ClickException(exc.message) from exc
    click.echo(f"created user {created.username} ({', '.join(r for r, _, _ in specs)})")


@user.command("token")
@click.argument("username")
@click.option("--label", default=None, help="What the token is for (shown in audit data).")
@pass_services
def token(services: Services, username: str, label: str | None) -> None:
    """Issue a bearer token for USERNAME and print it (and nothing else)."""
    with services.session_factory.begin() as session:
        account = get_user(session, username)
        if account is None or not account.is_active:
            raise click.ClickException(f"no active user {username!r}")
        value = issue_token(session, account, label or "cli", now=services.clock.now(),
                            nbytes=services.config["TOKEN_BYTES"])
        append_audit(session, action="auth.token_issued", at=services.clock.now(), actor=cli_actor(),
                     data={"username": username, "channel": "cli", "label": label or "cli"})
    click.echo(value)
