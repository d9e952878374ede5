"""``oversite``: the command line (click). Every command and group has ``--help``."""
from __future__ import annotations

import click

from . import audit, database, demo, deploy, imports, ingest, initialize, reports, serve, simulate, users, worker
from .context import CliState


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def main(ctx: click.Context) -> None:
    """Oversite: BPMN-driven case management for construction supervision.

    Configuration comes from OVERSITE_* environment variables (see the README).
    """
    ctx.ensure_object(CliState)


for _command in (database.db, initialize.init, serve.serve, users.user, audit.audit, deploy.deploy, demo.demo,
                 worker.worker, imports.import_, reports.report, ingest.ingest, simulate.simulate):
    main.add_command(_command)
