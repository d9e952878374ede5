"""``oversite audit``: check the tamper-evident audit log."""
from __future__ import annotations

import click

from storage.audit import verify_chain

from ..services import Services
from .context import pass_services


@click.group()
def audit() -> None:
    """The audit trail."""


@audit.command("verify")
@pass_services
def verify(services: Services) -> None:
    """Recompute the hash chain; exit 1 and name the first bad row if it is broken."""
    with services.session_factory.begin() as session:
        report = verify_chain(session)
    if report.ok:
        click.echo(f"audit chain OK: {report.checked} event(s) verified")
        click.echo(f"head hash: {report.last_hash or '-'}")
        return
    click.echo(f"audit chain BROKEN at event {report.first_bad_seq}: {report.reason}", err=True)
    click.echo(f"{report.checked} event(s) verified before it; last good hash: {report.last_hash or '-'}", err=True)
    raise SystemExit(1)
