"""Redirect safety and the role decorator."""
from __future__ import annotations

import pytest

from web.auth.decorators import is_safe_next, roles_required


@pytest.mark.parametrize("target", ["/", "/cases/3", "/cases?tab=history&page=2", "/auth/password"])
def test_local_paths_are_safe(target: str) -> None:
    assert is_safe_next(target)


@pytest.mark.parametrize("target", [
    None, "", "//evil.com", "///evil.com", "/\\evil.com", "\\\\evil.com", "https://evil.com", "javascript:alert(1)",
    "evil.com/x", "/ok\r\nSet-Cookie: x=1", "/\x00", " /leading-space",
])
def test_everything_else_is_not(target: str | None) -> None:
    assert not is_safe_next(target)


def test_unknown_roles_fail_at_import_time() -> None:
    with pytest.raises(ValueError, match="superuser"):
        roles_required("admin", "superuser")
    with pytest.raises(ValueError):
        roles_required()
