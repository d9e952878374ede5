"""What the model pages read from the database: deployed versions, without their heavy columns.

``engine.queries.definitions`` loads whole rows (XML and the serialized spec); the list page
needs only the version metadata of every model, so it selects just those columns.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import ProcessDefinition


@dataclass(frozen=True)
class VersionInfo:
    key: str
    version: int
    name: str | None
    sha256: str
    filename: str | None
    deployed_at: datetime
    deployed_by: str | None


@dataclass(frozen=True)
class ModelSummary:
    """One model (process key) and its versions, newest first."""

    key: str
    versions: list[VersionInfo]

    @property
    def latest(self) -> VersionInfo:
        return self.versions[0]

    @property
    def name(self) -> str | None:
        return self.latest.name


_COLUMNS = (ProcessDefinition.key, ProcessDefinition.version, ProcessDefinition.name, ProcessDefinition.sha256,
            ProcessDefinition.filename, ProcessDefinition.deployed_at, ProcessDefinition.deployed_by)


def model_summaries(session: Session) -> list[ModelSummary]:
    """Every deployed model, by key, each with its versions newest first."""
    rows = session.execute(select(*_COLUMNS).order_by(ProcessDefinition.key, ProcessDefinition.version.desc()))
    versions = [VersionInfo(*row) for row in rows]
    return [ModelSummary(key, list(group)) for key, group in groupby(versions, key=lambda v: v.key)]


def model_versions(session: Session, key: str) -> list[VersionInfo]:
    """The versions of one model, newest first (empty when the key was never deployed)."""
    rows = session.execute(select(*_COLUMNS).where(ProcessDefinition.key == key)
                           .order_by(ProcessDefinition.version.desc()))
    return [VersionInfo(*row) for row in rows]
