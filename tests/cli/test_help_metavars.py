"""Every ``--help`` page names values as a person reads them, never as Python types."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from docex.cli.main import app
from tests.cli.commands import walk

# What Typer 0.29 printed for an annotation: <bool>, <int>, <list[Path]>, <text|json>…
TYPE_NAME = re.compile(r"<[A-Za-z_][\w\[\]|, .-]*>")

COMMANDS = [path for path, _ in walk(app)]


def test_the_walk_reaches_nested_commands() -> None:
    # The check below is only as good as the list of pages it reads.
    assert ("verify",) in COMMANDS
    assert ("sign", "referral") in COMMANDS
    assert ("audit", "verify") in COMMANDS
    assert len(COMMANDS) > 20


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "docex")
def test_help_shows_no_python_type_name(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "Usage: docex" in result.stdout
    assert TYPE_NAME.findall(result.stdout) == []


def test_verify_help_labels_its_values() -> None:
    out = CliRunner().invoke(app, ["verify", "--help"], terminal_width=200).stdout
    assert re.search(r"FILES\.\.\.\s+Signature files", out)
    assert re.search(r"-j, --jobs INTEGER\s+Worker processes", out)
    # A flag takes no value: nothing stands between it and its help.
    assert re.search(r"--online\s+Fetch revocation data", out)
