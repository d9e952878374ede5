"""Form schemas for user tasks, one per form key (see :mod:`forms.registry`)."""
from .registry import FormDefinition, FormRegistry, schema_to_json_schema

__all__ = ["FormDefinition", "FormRegistry", "schema_to_json_schema"]
