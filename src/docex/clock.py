"""The current time, always timezone-aware and in UTC.

Signing, submission and validation times are legal facts: a naive datetime is ambiguous
about which moment it names, so none is handed out here and none is accepted as "now".
"""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def now_or(now: datetime | None) -> datetime:
    """``now`` if given (it must be timezone-aware), else the current UTC time.

    Services take an optional ``now`` so that tests can fix the time; a naive value is a
    programming error and raises ``ValueError`` here rather than being stored as if UTC.
    """
    if now is None:
        return utcnow()
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now
