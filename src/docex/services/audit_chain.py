"""The operator's checks of the audit trail: verify the hash chain, export it.

Both only read: neither adds an entry to the log, so that checking the chain never
changes the head hash an earlier check printed.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import IO

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from docex.audit.export import write_export
from docex.audit.verify import LogVerdict, verify_chain
from docex.db.audit import AuditEntry
from docex.db.engine import unit_of_work

Step = Callable[[], None]
"""Called once per entry written."""

ProgressFactory = Callable[[int], AbstractContextManager[Step]]
"""Given how many entries will be written, a context that yields the per-entry step."""


def verify_audit_chain(*, sessions: sessionmaker[Session], anchor: str | None = None) -> LogVerdict:
    """Check every entry's hash and its link to the one before it in its chain; with
    ``anchor``, also that a head hash printed by an earlier check is still in the log."""
    with unit_of_work(sessions) as session:
        return verify_chain(session, anchor=anchor)


def export_audit_trail(
    *,
    sessions: sessionmaker[Session],
    out: IO[str],
    since: datetime | None = None,
    progress: ProgressFactory | None = None,
) -> int:
    """Write the entries created at or after ``since`` (or all) to ``out`` as JSON Lines,
    oldest first, hashes included; return how many were written.

    One transaction, so the count handed to ``progress`` and the entries written agree.
    """
    with unit_of_work(sessions) as session:
        total = _count_entries(session, since=since)
        with (progress or _no_progress)(total) as step:
            return write_export(session, out, since=since, progress=lambda _: step())


def _count_entries(session: Session, *, since: datetime | None) -> int:
    counting = select(func.count()).select_from(AuditEntry)
    if since is not None:
        counting = counting.where(AuditEntry.created_at >= since)
    return session.scalar(counting) or 0


def _no_progress(_total: int) -> AbstractContextManager[Step]:
    return nullcontext(lambda: None)
