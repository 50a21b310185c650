"""Help pages a person reads: whole one-line summaries, defaults shown, help on stdout.

Click's help is already plain: each value is named by its metavar (``FILES...``,
``INTEGER``, ``[text|json]``), a flag by nothing, and no Python type name shows. Three of
its defaults do not suit docex, and :class:`HelpGroup` (the class of every group) and
:data:`CONTEXT_SETTINGS` (the root's, inherited by every command) change them:

- A group's list of commands cuts each summary to what fits beside the names, ending it
  with ``...``; here the first sentence is kept whole and wraps instead.
- ``[default: …]`` is shown only where a command asks; here wherever there is a default.
- A group given no command prints its help on stderr (a usage error); here on stdout, as
  ``--help`` does, with the usage exit status still (:class:`~docex.cli.exit_codes.ExitCode`).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

import click

from docex.cli.exit_codes import ExitCode

CONTEXT_SETTINGS: dict[str, Any] = {"show_default": True}
"""The root's context settings; a command's context inherits ``show_default`` from its
parent's."""


def summary(command: click.Command) -> str:
    """The one-line help of ``command`` in its group's list: ``short_help``, else the
    first sentence of its help, whole."""
    return command.get_short_help_str(limit=sys.maxsize)


def write_commands(formatter: click.HelpFormatter, rows: Iterable[tuple[str, str]]) -> None:
    """The ``Commands:`` section of a group's help, one row per (name, summary)."""
    listed = list(rows)
    if listed:
        with formatter.section("Commands"):
            formatter.write_dl(listed)


class HelpGroup(click.Group):
    """A group that lists its commands in the order they were added, with whole
    summaries, and shows its help when given no command."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The names of the commands, in the order they were added (Click sorts them)."""
        return list(self.commands)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List every visible subcommand with its whole one-line summary."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, summary(command)))
        write_commands(formatter, rows)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Parse as Click does, except that no arguments at all print the help on stdout."""
        if not args and self.no_args_is_help and not ctx.resilient_parsing:
            click.echo(ctx.get_help(), color=ctx.color)
            ctx.exit(int(ExitCode.USAGE))
        return super().parse_args(ctx, args)
