"""Help pages, usage errors and shared parameter types as a person meets them."""

from __future__ import annotations

import json
import re

import click
import pytest
from click.testing import CliRunner

from docex.cli.exit_codes import ExitCode
from docex.cli.main import app
from docex.cli.params import ValueChoice
from docex.cli.tables import OutputFormat


def _help(*path: str) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], terminal_width=80)
    assert result.exit_code == 0, result.output
    return result.stdout


def _words(text: str) -> str:
    return " ".join(text.split())


def test_a_groups_list_keeps_each_summary_whole() -> None:
    # Click would cut this one to fit beside the names and end it with "...".
    listing = _words(_help("employee").partition("\nCommands:\n")[2])
    assert (
        "deactivate Mark an employee as no longer working at the facility; their new "
        "signatures are refused from now on." in listing
    )
    assert "..." not in listing


def test_defaults_are_shown() -> None:
    page = _words(_help("verify"))
    assert "[default: text]" in page
    assert "[default: referral]" in page
    assert "[default: attached]" in _words(_help("sign", "referral"))
    # A flag that is off by default shows no default.
    assert re.search(
        r"--online Fetch revocation data from the URLs in certificates "
        r"\(off by default\)\. -",
        page,
    )


def test_an_argument_has_its_help() -> None:
    page = _words(_help("facility", "deactivate"))
    assert "Positional arguments: EDRPOU EDRPOU code of the facility." in page


def test_help_text_is_printed_as_written() -> None:
    # Typer's rich markup took "[default: …]" for a tag and printed "Output path .".
    assert "Output path [default: FILE.p7s or FILE-signed.pdf]." in _words(_help("sign", "file"))
    assert "\\[development only]" not in _help("sign")


@pytest.mark.parametrize("path", [(), ("facility",), ("sign",), ("audit",)])
def test_a_group_given_nothing_shows_its_help_on_stdout(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, list(path))
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr == ""
    assert result.stdout.startswith(f"Usage: {' '.join(('docex', *path))} [OPTIONS] COMMAND")
    assert "\nCommands:\n" in result.stdout


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["verify", "--bogus", "x.p7s"], "Error: No such option '--bogus'."),
        (["verify"], "Error: Missing argument 'FILES...'."),
        (
            ["token", "rotate", "first"],
            "Error: Invalid value for 'TOKEN_ID': 'first' is not a valid integer.",
        ),
        (
            ["token", "issue", "--expires-in", "0"],
            "Error: Invalid value for '--expires-in': 0 is not in the range 1<=x<=3650.",
        ),
        (
            ["facility", "list", "--format", "JSON"],
            "Error: Invalid value for '--format': 'JSON' is not one of 'text', 'json'.",
        ),
        (["storage", "reconcile", "--grace-minutes", "-1"], "Error: Invalid value for"),
    ],
)
def test_a_usage_error_is_one_error_line_and_the_usage_status(args: list[str], error: str) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == ExitCode.USAGE
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith("Usage: docex ")
    assert [line for line in lines if line.startswith("Error:")] == [lines[-1]]
    assert lines[-1].startswith(error)
    assert "Traceback" not in result.stderr


def test_value_choice_takes_and_lists_values() -> None:
    choice = ValueChoice(OutputFormat)
    assert choice.convert("json", None, None) is OutputFormat.JSON
    assert choice.convert(OutputFormat.TEXT, None, None) is OutputFormat.TEXT
    with pytest.raises(click.BadParameter, match="'TEXT' is not one of 'text', 'json'"):
        choice.convert("TEXT", None, None)
    assert re.search(
        r"--format \[text\|json\]\s+text or json\.\s+\[default: text\]", _help("facility", "list")
    )


def test_value_choice_hands_the_command_the_member() -> None:
    # tables.print_rows tells the formats apart by identity (`is OutputFormat.JSON`).
    @click.command()
    @click.option("--format", "output", type=ValueChoice(OutputFormat), default="text")
    def show(output: OutputFormat) -> None:
        click.echo(json.dumps([type(output).__name__, output.value]))

    assert json.loads(CliRunner().invoke(show, []).stdout) == ["OutputFormat", "text"]
    assert json.loads(CliRunner().invoke(show, ["--format", "json"]).stdout) == [
        "OutputFormat",
        "json",
    ]
