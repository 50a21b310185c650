"""Requisition numbers: short, unambiguous codes a patient carries to the performer."""

from __future__ import annotations

import re
import secrets

# Crockford base32: no I, L, O, U, so a number read aloud or handwritten is not misread.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
GROUPS = 3
GROUP_LENGTH = 4
# What people type for what they mean: Crockford decoding of look-alike letters.
_LOOKALIKES = str.maketrans("OIL", "011")
_FORMAT = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){2}$")


def new_requisition_number() -> str:
    """A random number like ``7K3Q-M2XD-9PFA`` (60 bits: collisions are vanishingly rare)."""
    groups = ("".join(secrets.choice(ALPHABET) for _ in range(GROUP_LENGTH)) for _ in range(GROUPS))
    return "-".join(groups)


def normalise(number: str) -> str | None:
    """The canonical form of a number as a person may type it, or None if it is not one."""
    compact = number.strip().upper().replace(" ", "").replace("-", "")
    compact = compact.translate(_LOOKALIKES)
    if len(compact) != GROUPS * GROUP_LENGTH:
        return None
    candidate = "-".join(
        compact[i : i + GROUP_LENGTH] for i in range(0, len(compact), GROUP_LENGTH)
    )
    return candidate if _FORMAT.match(candidate) else None
