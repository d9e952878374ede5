"""Oversite's web layer: the Flask application, its API and its command line."""
from .app import create_app

__all__ = ["create_app"]
