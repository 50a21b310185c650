"""The command tree of ``docex``, walked the way Click resolves a command line."""

from __future__ import annotations

from collections.abc import Iterator

import click


def walk(
    command: click.Command, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every command under ``command`` (itself first) with the names that lead to it.

    A group is asked for its commands through ``list_commands``/``get_command``, as Click
    asks when it parses: the root group builds each one only then.
    """
    yield path, command
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, name
            yield from walk(sub, (*path, name))
