"""Helpers shared by the registry services."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from docex.db.models import utcnow
from docex.errors import ConflictError


def flush_or_conflict(session: Session, message: str) -> None:
    """Flush pending changes, turning a unique or foreign-key violation into ``ConflictError``.

    The services check for duplicates first; this catches the race where another
    transaction inserts the same row in between. The transaction is unusable afterwards,
    which is fine: the caller's unit of work rolls it back.
    """
    try:
        session.flush()
    except IntegrityError as exc:
        raise ConflictError(message) from exc


def now_or(now: datetime | None) -> datetime:
    """``now`` if given (it must be timezone-aware), else the current UTC time."""
    if now is None:
        return utcnow()
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now
