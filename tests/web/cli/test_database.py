"""``oversite db upgrade``."""
from __future__ import annotations


def test_db_upgrade(cli) -> None:
    result = cli("db", "upgrade")
    assert result.exit_code == 0 and "up to date" in result.output
