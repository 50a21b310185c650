"""Help pages that name values the way a person reads them, not as Python types.

Typer 0.29 prints each parameter's annotation in the help's type column: ``<list[Path]>``,
``<bool>`` beside a flag, ``<int>``. An option's ``metavar=`` replaces it, but an
argument ignores its metavar there, and Typer's own ``--help`` flag carries ``<bool>``
too. :func:`readable_help` walks a built command tree once and gives every parameter a
Click-style label instead: ``PATH...``, ``INTEGER``, ``[text|json|xml]``, nothing for a
flag. Only the help changes; parsing, values and exit codes do not.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from typer.core import TyperArgument, TyperOption

_NAMES = {
    "bool": "BOOLEAN",
    "datetime": "DATETIME",
    "float": "FLOAT",
    "int": "INTEGER",
    "str": "TEXT",
}
"""Click's words for the types Typer would print by their Python name."""


def readable_label(typer_label: str | None, *, is_flag: bool) -> str | None:
    """The label for the help's type column in place of Typer's ``typer_label``.

    ``None`` shows no label: a flag takes no value, so a type beside it only misleads.
    A label that is a metavar the command set itself (no ``<…>``) is kept as it is.
    """
    if is_flag:
        return None
    if typer_label is None or not typer_label.startswith("<"):
        return typer_label
    many = typer_label.endswith("...")
    label = typer_label.removesuffix("...").removeprefix("<").removesuffix(">")
    if label.startswith("list[") and label.endswith("]"):
        label, many = label[len("list[") : -1], True
    words = [_word(part) for part in label.split(",")]
    return " ".join(words) + ("..." if many else "")


def _word(type_label: str) -> str:
    if "|" in type_label:
        # A choice: the values themselves are the clearest label.
        return f"[{type_label}]"
    return _NAMES.get(type_label, type_label.upper())


def _display_type_rich(
    typer_display: Callable[[Any], str | None], ctx: Any, *, is_flag: bool
) -> str | None:
    return readable_label(typer_display(ctx), is_flag=is_flag)


def readable_help(command: Any, ctx: Any) -> None:
    """Give every parameter of ``command`` and its subcommands a readable help label.

    ``ctx`` is the root context; it names the help option each command adds. Calling it
    again on a command already done changes nothing.
    """
    readable_params(command, ctx)
    for sub in getattr(command, "commands", {}).values():
        readable_help(sub, ctx)


def readable_params(command: Any, ctx: Any) -> None:
    """:func:`readable_help` for the parameters of ``command`` alone, not its subcommands.

    The root group builds its commands only when one is asked for; each gets its labels
    then.
    """
    for param in command.get_params(ctx):
        if isinstance(param, (TyperArgument, TyperOption)):
            # An instance attribute shadows the class's method for this parameter only
            # (Typer's help renderer calls param.display_type_rich(ctx)); Typer's own
            # method, bound before it is shadowed, still computes the label we translate.
            if "display_type_rich" not in vars(param):
                vars(param)["display_type_rich"] = partial(
                    _display_type_rich,
                    param.display_type_rich,
                    is_flag=bool(getattr(param, "is_flag", False)),
                )
