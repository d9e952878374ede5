"""Deploying BPMN: validate everything, report every problem, store each version once."""
from __future__ import annotations

import hashlib
from collections.abc import Container, Sequence
from dataclasses import dataclass
from datetime import datetime

from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from storage import ProcessDefinition
from storage.documents import clean_filename

from . import model_check
from .bpmn_xml import parse_bpmn, schema_problems
from .errors import ModelInvalid, Problem
from .serialization import dump_spec


@dataclass(frozen=True)
class BpmnFile:
    filename: str
    data: bytes


@dataclass(frozen=True)
class Deployed:
    definition: ProcessDefinition
    created: bool  # False when identical XML was already deployed under this key


@dataclass
class _Parsed:
    file: BpmnFile
    root: etree._Element
    sha256: str


def latest_definition(session: Session, key: str) -> ProcessDefinition | None:
    """The newest version of ``key``; its XML and spec (tens of kB) load only if read, since
    starting a case needs just the id and the spec comes from the cache."""
    return session.scalars(
        select(ProcessDefinition).where(ProcessDefinition.key == key)
        .order_by(ProcessDefinition.version.desc()).limit(1)
        .options(defer(ProcessDefinition.bpmn_xml), defer(ProcessDefinition.spec))
    ).first()


def validate_files(
    session: Session, files: Sequence[BpmnFile], *, forms: Container[str],
    operations: Container[str], roles: Container[str],
) -> tuple[list[_Parsed], SpiffBpmnParser, list[Problem]]:
    problems: list[Problem] = []
    parsed: list[_Parsed] = []
    for f in files:
        root, found = parse_bpmn(f.data, f.filename)
        problems += found
        if root is None:
            continue
        problems += schema_problems(root, f.filename)
        problems += model_check.check_model(root, f.filename, forms=forms, operations=operations, roles=roles)
        parsed.append(_Parsed(f, root, hashlib.sha256(f.data).hexdigest()))
    parser = SpiffBpmnParser()
    # SpiffWorkflow looks at the well-formed files too: it may find more. Where it names an
    # element already reported, our message (which says what to do) is kept.
    reported = {(p.file, p.element_id) for p in problems if p.element_id}
    spiff = _spiff_problems(session, parser, [p for p in parsed if not _has_schema_errors(p, problems)])
    problems += [p for p in spiff if (p.file, p.element_id) not in reported]
    return parsed, parser, model_check.dedupe(problems)


def _has_schema_errors(parsed: _Parsed, problems: list[Problem]) -> bool:
    return any(p.file == parsed.file.filename and p.message.startswith("schema:") for p in problems)


def _spiff_problems(session: Session, parser: SpiffBpmnParser, parsed: list[_Parsed]) -> list[Problem]:
    problems: list[Problem] = []
    defined: set[str] = set()
    for p in parsed:
        try:
            parser.add_bpmn_xml(p.root, p.file.filename)
        except Exception as exc:  # noqa: BLE001 - SpiffWorkflow raises many kinds on bad models
            problems.append(_problem_from(exc, p.file.filename))
            continue
        defined.update(model_check.process_ids(p.root, executable_only=False))
    _add_called_dependencies(session, parser, parsed, defined, problems)
    for p in parsed:
        for pid in model_check.process_ids(p.root):
            try:
                parser.get_spec(pid)
                parser.get_subprocess_specs(pid)
            except Exception as exc:  # noqa: BLE001
                problems.append(_problem_from(exc, p.file.filename))
    return problems


def _add_called_dependencies(session: Session, parser: SpiffBpmnParser, parsed: list[_Parsed],
                             defined: set[str], problems: list[Problem]) -> None:
    """Call activities may call processes deployed earlier: add their latest XML."""
    wanted = set().union(*(model_check.called_elements(p.root) for p in parsed)) - defined
    while wanted:
        key = wanted.pop()
        existing = latest_definition(session, key)
        if existing is None:
            continue  # SpiffWorkflow reports the missing called element with its line
        root, _ = parse_bpmn(existing.bpmn_xml.encode(), existing.filename or key)
        if root is None:
            continue
        parser.add_bpmn_xml(root, existing.filename or key)
        defined.update(model_check.process_ids(root, executable_only=False))
        wanted |= model_check.called_elements(root) - defined


def _problem_from(exc: Exception, filename: str) -> Problem:
    if isinstance(exc, SpiffWorkflowException):
        message = str(exc).split("\n")[0]
        return Problem(message, getattr(exc, "id", None) or getattr(exc, "task_id", None),
                       getattr(exc, "line_number", None) or None,
                       getattr(exc, "file_name", None) or filename)
    return Problem(f"{type(exc).__name__}: {exc}", file=filename)


def deploy(
    session: Session, files: Sequence[BpmnFile], *, actor_name: str, now: datetime,
    forms: Container[str], operations: Container[str], roles: Container[str],
) -> list[Deployed]:
    """Validate ``files`` together and store one version per executable process.

    Raises :class:`ModelInvalid` with every problem found; nothing is stored then.
    """
    if not files:
        raise ModelInvalid([Problem("no BPMN file given")])
    parsed, parser, problems = validate_files(session, files, forms=forms, operations=operations, roles=roles)
    if problems:
        raise ModelInvalid(problems)
    result = []
    for p in parsed:
        xml = p.file.data.decode("utf-8")
        for pid in model_check.process_ids(p.root):
            result.append(_store(session, parser, pid, p, xml, actor_name, now))
    return result


def _store(session: Session, parser: SpiffBpmnParser, key: str, p: _Parsed, xml: str,
           actor_name: str, now: datetime) -> Deployed:
    existing = session.scalars(
        select(ProcessDefinition).where(ProcessDefinition.key == key, ProcessDefinition.sha256 == p.sha256)
        .order_by(ProcessDefinition.version.desc()).limit(1)
    ).first()
    if existing is not None:
        return Deployed(existing, created=False)
    spec = parser.get_spec(key)
    version = (session.scalar(select(func.max(ProcessDefinition.version)).where(ProcessDefinition.key == key)) or 0) + 1
    definition = ProcessDefinition(
        key=key, version=version, name=spec.description if spec.description != key else None,
        sha256=p.sha256, filename=clean_filename(p.file.filename) or None, bpmn_xml=xml,
        spec=dump_spec(spec, parser.get_subprocess_specs(key)),
        deployed_at=now, deployed_by=actor_name,
    )
    session.add(definition)
    session.flush()
    return Deployed(definition, created=True)
