"""The engine Actor built from a user's memberships."""
from __future__ import annotations

from engine.actor import Scope
from storage import Membership, User
from web.auth.principal import actor_for, principal_for


def user() -> User:
    return User(id=7, username="li", display_name="李工", password_hash="$argon2id$x",
                must_change_password=False, memberships=[
                    Membership(id=2, role="inspector", district="海曙区"),
                    Membership(id=5, role="enterprise", enterprise_code="91330200ACME00001X"),
                ])


def test_actor_carries_scopes_and_address() -> None:
    actor = actor_for(user(), "10.0.0.8")
    assert actor.username == "li" and actor.user_id == 7 and actor.client_addr == "10.0.0.8"
    assert actor.scopes == (Scope("inspector", "海曙区", None), Scope("enterprise", None, "91330200ACME00001X"))
    assert actor.role_for_audit == "inspector"


def test_principal_matches_the_actor_and_tracks_the_password() -> None:
    u = user()
    principal = principal_for(u)
    assert principal.actor("10.0.0.8") == actor_for(u, "10.0.0.8")
    assert principal.has_role("enterprise") and not principal.has_role("admin")
    assert principal.get_id().startswith("7:")
    u.password_hash = "$argon2id$y"
    assert principal_for(u).get_id() != principal.get_id()
