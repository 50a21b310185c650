"""Formats of the Ukrainian identifiers the registry stores."""

from __future__ import annotations

import re

from docex.errors import InputError
from docex.signatures.identity_ua import canonical_drfo

_EDRPOU = re.compile(r"[0-9]{8}")


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
    """A person's DRFO identifier in canonical form, or ``InputError``.

    Normally the RNOKPP (individual tax number, 10 digits). A person who refused a tax
    number for religious reasons is registered in the DRFO, and named in their qualified
    certificate, by their passport instead: the booklet's series and number (e.g. ``ЮЖ123456``)
    or the ID card's 9 digits. Those are accepted too, in the canonical form
    :func:`~docex.signatures.identity_ua.canonical_drfo` gives (Cyrillic capitals, no
    blanks), so that the signer's certificate and the registry compare equal.
    """
    canonical = canonical_drfo(value)
    if canonical is None:
        raise InputError(f"RNOKPP must be 10 digits, got {value.strip()!r}")
    return canonical


def check_name(value: str, *, what: str, max_length: int) -> str:
    """A non-blank display name of at most ``max_length`` characters."""
    value = " ".join(value.split())
    if not value:
        raise InputError(f"{what} must not be blank")
    if len(value) > max_length:
        raise InputError(f"{what} is longer than {max_length} characters")
    return value
