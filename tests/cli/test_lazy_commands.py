"""The root group lists its commands from ``COMMANDS`` and builds only the one that runs."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from docex.cli.exit_codes import ExitCode
from docex.cli.help import summary
from docex.cli.main import COMMANDS, DocexGroup, app


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_table_summary_is_the_commands_own(name: str) -> None:
    # docex --help prints the table's line without importing the command; it must say
    # what the command's own help says.
    command = app.get_command(click.Context(app), name)
    assert command is not None
    assert COMMANDS[name].summary == summary(command)
    assert command.name == name


def test_help_lists_every_command_in_the_tables_order() -> None:
    result = CliRunner().invoke(app, ["--help"], terminal_width=200)
    assert result.exit_code == 0
    listing = result.stdout.partition("\nCommands:\n")[2]
    rows = re.findall(r"^  (\S+)\s{2,}(.+)$", listing, re.MULTILINE)
    assert rows == [(name, entry.summary) for name, entry in COMMANDS.items()]


def test_a_fresh_root_builds_no_command_to_list_them() -> None:
    group = DocexGroup(name="docex")
    assert group.list_commands(click.Context(group)) == list(COMMANDS)
    group.get_help(click.Context(group, info_name="docex"))
    assert group.commands == {}
    verify = group.get_command(click.Context(group), "verify")
    assert verify is not None
    assert list(group.commands) == ["verify"]


def test_an_unknown_command_is_a_usage_error_with_a_suggestion() -> None:
    # The suggestion comes from the names alone: a mistyped command builds none.
    group = DocexGroup(name="docex")
    result = CliRunner().invoke(group, ["verfy", "x.p7s"])
    assert result.exit_code == ExitCode.USAGE
    assert result.stdout == ""
    assert (
        result.stderr.splitlines()[-1] == "Error: No such command 'verfy'. Did you mean 'verify'?"
    )
    assert "Traceback" not in result.stderr
    assert group.commands == {}
