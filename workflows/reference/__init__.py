"""Reference data: districts, enterprises, people and projects; their imports and demo data."""
from .family import FAMILY

__all__ = ["FAMILY"]
