"""Content negotiation: which of the representations a route offers the client prefers.

RFC 9110 §12.5.1: media ranges with optional ``q`` weights; ``*/*`` and ``type/*`` match
anything of their kind; ``q=0`` refuses. Ties go to the order the route offers them in.
"""

from __future__ import annotations

from collections.abc import Sequence

MAX_ACCEPT_RANGES = 32
"""Media ranges read from one Accept header (a longer list is cut, not parsed whole)."""


def preferred(accept: str | None, offered: Sequence[str]) -> str | None:
    """The offered media type the ``Accept`` header weighs highest, or ``None`` if none.

    No header (or one without a readable media range) accepts anything: the first
    offered type.
    """
    if not accept or not accept.strip():
        return offered[0] if offered else None
    ranges: list[tuple[str, float, int]] = []
    for part in accept.split(",")[:MAX_ACCEPT_RANGES]:
        media, *params = (piece.strip() for piece in part.split(";"))
        if not media:
            continue
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    weight = 0.0
        ranges.append((media.lower(), weight, _specificity(media)))
    if not ranges:
        return offered[0] if offered else None  # nothing readable: as if there were no header
    best: tuple[float, int] | None = None
    choice = None
    for rank, media_type in enumerate(offered):
        weight = _weight(media_type, ranges)
        if weight <= 0:
            continue
        key = (weight, -rank)
        if best is None or key > best:
            best, choice = key, media_type
    return choice


def _specificity(media: str) -> int:
    if media == "*/*":
        return 0
    return 1 if media.endswith("/*") else 2


def _weight(media_type: str, ranges: list[tuple[str, float, int]]) -> float:
    """The weight of the most specific range that matches ``media_type`` (0 if none)."""
    kind = media_type.split("/")[0]
    matches = [
        (specificity, weight)
        for media, weight, specificity in ranges
        if media == media_type or media == "*/*" or media == f"{kind}/*"
    ]
    return max(matches)[1] if matches else 0.0
