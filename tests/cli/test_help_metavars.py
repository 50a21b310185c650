"""Every ``--help`` page names values as a person reads them, never as Python types."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from docex.cli.help import readable_label
from docex.cli.main import app

# What Typer 0.29 prints for an annotation: <bool>, <int>, <list[Path]>, <text|json>…
TYPE_NAME = re.compile(r"<[A-Za-z_][\w\[\]|, .-]*>")


def _command_paths(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _command_paths(sub, (*path, name))


COMMANDS = list(_command_paths(typer.main.get_command(app)))


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
    assert re.search(r"files\.\.\.\s+PATH\.\.\.\s+Signature files", out)
    assert re.search(r"--jobs\s+-j\s+INTEGER\s+Worker processes", out)
    # A flag takes no value: nothing stands between it and its help.
    assert re.search(r"--online\s+Fetch revocation data", out)


@pytest.mark.parametrize(
    ("typer_label", "is_flag", "readable"),
    [
        ("<list[Path]>", False, "PATH..."),
        ("<list[str]>...", False, "TEXT..."),
        ("<int>", False, "INTEGER"),
        ("<str>", False, "TEXT"),
        ("<datetime>", False, "DATETIME"),
        ("<text|json|xml>", False, "[text|json|xml]"),
        ("<int,str>", False, "INTEGER TEXT"),
        ("<bool>", True, None),
        ("FILE", False, "FILE"),
        (None, False, None),
    ],
)
def test_readable_label(typer_label: str | None, is_flag: bool, readable: str | None) -> None:
    assert readable_label(typer_label, is_flag=is_flag) == readable
