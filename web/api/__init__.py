"""The JSON API under ``/api/v1``: one blueprint per resource, listed in ``web.app``."""
from .openapi import API_PREFIX, build_spec, operation
from .parsing import json_body, multipart_form, query_args

__all__ = ["API_PREFIX", "build_spec", "json_body", "multipart_form", "operation", "query_args"]
