"""The README's configuration table and command lists agree with the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from docex.cli.main import app
from docex.settings import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def test_quick_start_is_two_commands_at_the_top() -> None:
    quick = _section("Quick start")
    assert README.index("## Quick start") < README.index("## Running the service")
    commands = re.findall(r"^make (\w+)", quick, re.MULTILINE)
    assert commands == ["run", "test"]


def test_configuration_table_lists_every_setting_and_nothing_else() -> None:
    table = _section("Configuration")
    listed = re.findall(r"^\| `DOCEX_([A-Z0-9_]+)` \|", table, re.MULTILINE)
    assert len(listed) == len(set(listed))
    assert {name.lower() for name in listed} == set(Settings.model_fields)


@pytest.mark.parametrize(
    "section", ["Running the service", "Administration", "Production (docker compose)"]
)
def test_documented_commands_exist(section: str) -> None:
    # Every `docex GROUP COMMAND` the README shows answers --help.
    shown = set(re.findall(r"docex (facility|employee|token|db) ([a-z-]+)", _section(section)))
    assert shown
    for group, command in shown:
        result = CliRunner().invoke(app, [group, command, "--help"])
        assert result.exit_code == 0, (group, command, result.output)
