"""Authentication and authorization: sessions, bearer tokens, role checks, the engine Actor."""
from .decorators import is_api_request, is_safe_next, login_required, roles_required
from .principal import Principal, actor_for, current_actor, current_principal, principal_for

__all__ = [
    "Principal", "actor_for", "current_actor", "current_principal", "is_api_request", "is_safe_next",
    "login_required", "principal_for", "roles_required",
]
