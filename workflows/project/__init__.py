"""Project duties (项目端, DOMAIN §1.2): initialization, daily logs, weekly self-inspection,
stage acceptance and suggestions, with the calendar jobs that find missing logs and inspections."""
from .family import FAMILY

__all__ = ["FAMILY"]
