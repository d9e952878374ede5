"""``oversite deploy FILE…``: validate BPMN files together and deploy them."""
from __future__ import annotations

from pathlib import Path

import click

from engine import SYSTEM, Actor, BpmnFile, ModelInvalid, Problem, Scope

from ..services import Services
from .context import cli_actor, pass_services


def format_problem(problem: Problem) -> str:
    """``file:line: [element] message`` — the form compilers use, so editors can jump to it."""
    where = problem.file or "?"
    if problem.line:
        where += f":{problem.line}"
    element = f" [{problem.element_id}]" if problem.element_id else ""
    return f"{where}:{element} {problem.message}"


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_services
def deploy(services: Services, files: tuple[Path, ...]) -> None:
    """Deploy BPMN FILES (validated together: call activities may refer to each other).

    Every problem is listed with its file, line and element; nothing is deployed then.
    A file whose XML was deployed before keeps its version.
    """
    bpmn = [BpmnFile(path.name, path.read_bytes()) for path in files]
    actor = Actor(username=cli_actor(), scopes=(Scope("admin"),)) if cli_actor() else SYSTEM
    try:
        with services.session_factory.begin() as session:
            deployed = services.engine.deploy(session, bpmn, actor)
    except ModelInvalid as exc:
        for problem in exc.problems:
            click.echo(format_problem(problem), err=True)
        raise click.ClickException(f"{len(exc.problems)} problem(s): nothing was deployed") from exc
    for item in deployed:
        d = item.definition
        state = "deployed" if item.created else "unchanged"
        click.echo(f"{d.key} version {d.version} {state} (sha256 {d.sha256[:12]}…)")
