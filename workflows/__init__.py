"""The business: one folder per process family (BPMN files and the Python they call)."""
from .families import FAMILIES, DemoContext, ProcessFamily, Registries, bpmn_files, build_engine, build_registries

__all__ = ["FAMILIES", "DemoContext", "ProcessFamily", "Registries", "bpmn_files", "build_engine", "build_registries"]
