"""The ``oversite`` group: every command answers --help without a database."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from web.cli import main


@pytest.mark.parametrize("args", [[], ["db"], ["db", "upgrade"], ["init"], ["serve"], ["user"], ["user", "add"],
                                  ["user", "token"], ["audit"], ["audit", "verify"]])
def test_every_command_has_help(args: list[str]) -> None:
    result = CliRunner().invoke(main, [*args, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output
