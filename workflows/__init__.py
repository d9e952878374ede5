"""The business: one folder per process family (BPMN files and the Python they call)."""
from .families import FAMILIES, ProcessFamily, Registries, bpmn_files, build_engine, build_registries

__all__ = ["FAMILIES", "ProcessFamily", "Registries", "bpmn_files", "build_engine", "build_registries"]
