"""``oversite audit verify``: exit 1 and the first bad row when the chain is broken."""
from __future__ import annotations

from sqlalchemy import Engine

import storage
from storage import AuditEvent


def test_audit_verify(cli, db_engine: Engine) -> None:
    cli("user", "add", "wang", "--role", "admin", "--password", "secret-123")
    cli("user", "add", "li", "--role", "admin", "--password", "secret-123")
    ok = cli("audit", "verify")
    assert ok.exit_code == 0 and "OK: 2 event(s)" in ok.output
    with storage.make_session_factory(db_engine).begin() as session:
        session.delete(session.get(AuditEvent, 1))
    broken = cli("audit", "verify")
    assert broken.exit_code == 1
    assert "BROKEN at event 1" in broken.stderr

