"""Exit statuses of the ``docex`` command: the one place that maps outcomes to numbers.

``verify`` maps verdicts (0-3); the administrative commands map our exceptions through
:func:`exit_code_for_error`. Command-line usage errors found by the parser exit with
``USAGE`` as well, never with Click's default 2, which would read as INDETERMINATE.
"""

from __future__ import annotations

from enum import IntEnum

from docex.errors import (
    ConflictError,
    DatabaseUnavailableError,
    DocexError,
    InputError,
    NotFoundError,
    StorageUnavailableError,
)


class ExitCode(IntEnum):
    """What a ``docex`` exit status means; scripts may rely on these."""

    OK = 0
    """Every file verified TOTAL_PASSED with a qualified signature (QESig/QESeal); for the
    other commands, the command did what was asked."""

    FAILED = 1
    """At least one file is TOTAL_FAILED; for ``audit verify``, the audit chain is broken."""

    INDETERMINATE = 2
    """At least one file is INDETERMINATE, or passed without being qualified."""

    USAGE = 3
    """Bad usage, an unreadable file, a file that is not a signature at all, a malformed
    identifier, or an unusable configuration."""

    NOT_FOUND = 4
    """The facility, employee or token named does not exist."""

    CONFLICT = 5
    """The change contradicts what is stored: a duplicate EDRPOU or employee, an inactive
    facility."""

    UNAVAILABLE = 6
    """The database or the object store cannot be reached; trying again later may help."""

    ERROR = 7
    """The database or the object store failed in a way retrying will not fix."""


def exit_code_for_error(exc: DocexError) -> ExitCode:
    """The exit status for one of our errors reaching the command line."""
    if isinstance(exc, InputError):
        return ExitCode.USAGE
    if isinstance(exc, NotFoundError):
        return ExitCode.NOT_FOUND
    if isinstance(exc, ConflictError):
        return ExitCode.CONFLICT
    if isinstance(exc, DatabaseUnavailableError | StorageUnavailableError):
        return ExitCode.UNAVAILABLE
    return ExitCode.ERROR
