"""Exit statuses of the ``docex`` command: the one place that maps outcomes to numbers."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What a ``docex`` exit status means; scripts may rely on these."""

    OK = 0
    """Every file verified TOTAL_PASSED with a qualified signature (QESig/QESeal)."""

    FAILED = 1
    """At least one file is TOTAL_FAILED."""

    INDETERMINATE = 2
    """At least one file is INDETERMINATE, or passed without being qualified."""

    USAGE = 3
    """Bad usage, an unreadable file, or a file that is not a signature at all."""
