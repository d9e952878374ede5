"""Quality and safety supervision of projects (监督): assignment → briefing → inspections →
rectification rounds → completion acceptance (DOMAIN §1.1)."""
from .family import FAMILY

__all__ = ["FAMILY"]
