"""Formats of the Ukrainian identifiers the registry stores."""

from __future__ import annotations

import re

from docex.errors import InputError

_EDRPOU = re.compile(r"[0-9]{8}")
_RNOKPP = re.compile(r"[0-9]{10}")


def check_edrpou(value: str) -> str:
    """An EDRPOU code (8 digits) of a legal entity, or ``InputError``.

    Only the format is checked: the registry records what the State Register says, and
    rejecting a real but oddly-checksummed code would lock a facility out.
    """
    value = value.strip()
    if not _EDRPOU.fullmatch(value):
        raise InputError(f"EDRPOU code must be 8 digits, got {value!r}")
    return value


def check_rnokpp(value: str) -> str:
    """An RNOKPP (individual tax number, 10 digits), or ``InputError``."""
    value = value.strip()
    if not _RNOKPP.fullmatch(value):
        raise InputError(f"RNOKPP must be 10 digits, got {value!r}")
    return value


def check_name(value: str, *, what: str, max_length: int) -> str:
    """A non-blank display name of at most ``max_length`` characters."""
    value = " ".join(value.split())
    if not value:
        raise InputError(f"{what} must not be blank")
    if len(value) > max_length:
        raise InputError(f"{what} is longer than {max_length} characters")
    return value
