"""``oversite import KIND FILE [--dry-run]``: import projects, enterprises or records.

All or nothing: any bad row stores nothing; every problem is printed with its line number
and the command exits 1. Large files show a progress bar (on standard error).
"""
from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Any

import click

from storage.audit import append_audit
from workflows.reference.districts import configured_districts
from workflows.reference.imports import KINDS, ImportInvalid, run_import
from workflows.reference.today import local_date

from ..services import Services
from .context import cli_actor, pass_services

# Below this many rows a file is quick enough to import without a progress bar.
PROGRESS_MIN_ROWS = 2000
PHASE_LABELS = {"checking": "checking", "storing": "storing "}


class _Bars:
    """One click progress bar per phase, opened when a phase reports a large total."""

    def __init__(self) -> None:
        self.bars: dict[str, Any] = {}
        self.done: dict[str, int] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        if total < PROGRESS_MIN_ROWS:
            return
        bar = self.bars.get(phase)
        if bar is None:
            for other in self.bars.values():
                other.render_finish()
            bar = click.progressbar(length=total, label=PHASE_LABELS.get(phase, phase), file=sys.stderr)
            bar.__enter__()
            self.bars[phase], self.done[phase] = bar, 0
        bar.update(done - self.done[phase])
        self.done[phase] = done

    def close(self) -> None:
        for bar in self.bars.values():
            bar.__exit__(None, None, None)


@click.command("import")
@click.argument("kind", type=click.Choice(list(KINDS)))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and show the counts; store nothing.")
@pass_services
def import_(services: Services, kind: str, file: Path, dry_run: bool) -> None:
    """Import FILE (CSV in UTF-8 or GBK, or XLSX) as KIND: projects, enterprises or records.

    Column layouts: see the README, "Importing existing data". Importing the same file again changes nothing.
    """
    data = file.read_bytes()
    now = services.clock.now()
    bars = _Bars()
    try:
        with services.session_factory.begin() as session:
            result = run_import(session, kind, data, districts=configured_districts(services.config), now=now,
                                today=local_date(now, services.config), dry_run=dry_run, progress=bars)
            if not dry_run:
                append_audit(session, action=f"import.{kind}", at=now, actor=cli_actor(),
                             data={"filename": file.name, "sha256": hashlib.sha256(data).hexdigest(),
                                   "rows": result.rows, "created": result.created, "updated": result.updated,
                                   "unchanged": result.unchanged})
    except ImportInvalid as exc:
        bars.close()
        for problem in exc.problems:
            where = f"line {problem.line}" + (f", {problem.column}" if problem.column else "")
            click.echo(f"{file.name}: {where}: {problem.message}", err=True)
        raise click.ClickException(f"{len(exc.problems)} problem(s); nothing was imported") from None
    bars.close()
    suffix = " (dry run: nothing stored)" if dry_run else ""
    click.echo(f"{kind}: {result.rows} row(s), {result.created} created, {result.updated} updated, "
               f"{result.unchanged} unchanged{suffix}")
