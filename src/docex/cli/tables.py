"""Listings of the administrative commands: aligned columns for people, JSON for programs."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

import click

from docex.cli.params import ValueChoice


class OutputFormat(StrEnum):
    """How a listing is printed."""

    TEXT = "text"
    JSON = "json"


output_option = click.option(
    "--format",
    "output",
    type=ValueChoice(OutputFormat),
    default=OutputFormat.TEXT.value,
    help="text or json.",
)
"""``--format text|json`` of a listing command, passed to it as ``output``."""


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return str(value)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def print_rows(
    rows: Sequence[Mapping[str, Any]], *, columns: Sequence[str], output: OutputFormat
) -> None:
    """Print ``rows`` (dicts keyed by ``columns``) as a table or as one JSON array."""
    if output is OutputFormat.JSON:
        data = [{column: _json_value(row[column]) for column in columns} for row in rows]
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    cells = [[_cell(row[column]) for column in columns] for row in rows]
    widths = [
        max(len(text) for text in [column, *(line[i] for line in cells)])
        for i, column in enumerate(columns)
    ]
    for line in [list(columns), *cells]:
        click.echo(
            "  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)).rstrip()
        )
