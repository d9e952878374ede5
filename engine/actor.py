"""Who acts: a person or a system component, with the roles and scopes it holds."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Scope:
    """A role held within a scope: ``district`` / ``enterprise_code`` of None means unrestricted."""

    role: str
    district: str | None = None
    enterprise_code: str | None = None


@dataclass(frozen=True)
class Actor:
    """The subject of every engine call; recorded in the audit log."""

    username: str
    user_id: int | None = None
    scopes: tuple[Scope, ...] = ()
    client_addr: str | None = None
    # The role the actor acts in for the audit record; defaults to its first role.
    acting_role: str | None = None
    display_name: str | None = field(default=None, compare=False)

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(s.role for s in self.scopes)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def role_for_audit(self) -> str | None:
        if self.acting_role:
            return self.acting_role
        return self.scopes[0].role if self.scopes else None


SYSTEM = Actor(username="system", scopes=(Scope("system"),))
