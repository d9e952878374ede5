"""Process models for process owners: list, bpmn-js modeler, read-only versions, version diffs."""
from __future__ import annotations

from .views import bp

__all__ = ["bp"]
