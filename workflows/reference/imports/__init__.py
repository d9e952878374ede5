"""Importing existing data (projects, enterprises, dated records) from CSV or XLSX files."""
from .problems import ImportInvalid, ImportProblem
from .records import external_ref
from .runner import KINDS, LAYOUTS, ImportResult, run_import

__all__ = ["KINDS", "LAYOUTS", "ImportInvalid", "ImportProblem", "ImportResult", "external_ref", "run_import"]
