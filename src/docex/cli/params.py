"""Parameter types the commands share."""

from __future__ import annotations

from enum import Enum
from typing import TypeVar

import click

E = TypeVar("E", bound=Enum)


class ValueChoice(click.Choice[E]):
    """One member of an enum, named on the command line and in the help by its value.

    Click's own choice of enum members matches (and lists) their names: ``--format TEXT``
    for ``OutputFormat.TEXT``; docex's options take the values, ``--format text``.
    """

    def __init__(self, enum: type[E]) -> None:
        super().__init__(list(enum), case_sensitive=True)

    def normalize_choice(self, choice: object, ctx: click.Context | None) -> str:
        """The value of a member, or the text given, as Click compares them."""
        if isinstance(choice, Enum):
            choice = choice.value
        return super().normalize_choice(choice, ctx)
