"""The ``oversite`` command line."""
from .context import cli_actor, pass_services
from .main import main

__all__ = ["cli_actor", "main", "pass_services"]
