"""``oversite report supervision-usage|project-usage --as-of DATE``: the bureau's usage tables."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

from workflows.reference.districts import configured_districts
from workflows.reference.today import local_date
from workflows.reports import FORMATS, TABLES, build_report, render

from ..services import Services
from .context import pass_services


def _day(_ctx: click.Context, _param: click.Parameter, value: datetime | None) -> date | None:
    return value.date() if value is not None else None


@click.command("report")
@click.argument("name", type=click.Choice(list(TABLES)))
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), callback=_day, default=None,
              help="The day the table describes (YYYY-MM-DD; default today).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file (required for xlsx and docx); default standard output.")
@pass_services
def report(services: Services, name: str, as_of: date | None, fmt: str, output: Path | None) -> None:
    """Print or save the usage table NAME (supervision-usage or project-usage).

    On standard output the CSV has no byte-order mark; in a file it is byte for byte the API's
    download (UTF-8 with a byte-order mark, for Excel).
    """
    if fmt in ("xlsx", "docx") and output is None:
        raise click.UsageError(f"--format {fmt} writes a binary file: give --output FILE")
    day = as_of or local_date(services.clock.now(), services.config)
    with services.session_factory() as session:
        table = build_report(session, name, day, configured_districts(services.config))
    rendered = render(table, fmt)
    if output is not None:
        output.write_bytes(rendered.body)
        click.echo(f"wrote {output}", err=True)
        return
    click.echo(rendered.body.decode("utf-8").removeprefix("\ufeff"), nl=False)
