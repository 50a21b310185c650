"""Reconciling the object store with the database: ``docex storage reconcile``.

Submission writes objects before it commits the document row, so a failed or interrupted
commit leaves an object nobody references. Such orphans are harmless (content-addressed,
never served) and are removed here once they are older than a grace period, which protects
submissions still in flight: their objects are written but their rows not yet committed.

The opposite — a row whose object is missing — cannot arise from docex's own order of
writes; if it is found (someone deleted objects by hand), it is reported, never "fixed".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from docex.db.documents import Document
from docex.db.engine import unit_of_work
from docex.errors import ObjectNotFoundError
from docex.storage.base import ObjectStore

log = logging.getLogger("docex.reconcile")

DEFAULT_GRACE = timedelta(hours=1)
OBJECT_PREFIX = "sha256/"


@dataclass
class ReconcileReport:
    """What a reconciliation found and did."""

    objects_seen: int = 0
    orphans: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    too_recent: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    """Keys referenced by documents but absent from the store (data loss to investigate)."""


def reconcile_storage(
    *,
    sessions: sessionmaker[Session],
    store: ObjectStore,
    grace: timedelta = DEFAULT_GRACE,
    dry_run: bool = False,
    now: datetime | None = None,
) -> ReconcileReport:
    """Remove unreferenced objects older than ``grace``; report referenced ones that are gone."""
    moment = now or datetime.now(UTC)
    report = ReconcileReport()
    with unit_of_work(sessions) as session:
        rows = session.execute(select(Document.object_key, Document.content_object_key)).all()
    referenced = {key for row in rows for key in row if key is not None}
    present: set[str] = set()
    for key in store.iter_keys(OBJECT_PREFIX):
        report.objects_seen += 1
        present.add(key)
        if key in referenced:
            continue
        report.orphans.append(key)
        try:
            info = store.stat(key)
        except ObjectNotFoundError:
            continue
        if moment - info.modified_at < grace:
            report.too_recent.append(key)
            continue
        # Check again just before removing: a submission may have committed since the
        # reference list was read.
        if _is_referenced(sessions, key):
            continue
        if not dry_run:
            store.delete(key)
            log.info("removed orphan object %s (%d bytes)", key, info.size)
        report.removed.append(key)
    report.missing = sorted(referenced - present)
    for key in report.missing:
        log.error("document object %s is missing from the store", key)
    return report


def _is_referenced(sessions: sessionmaker[Session], key: str) -> bool:
    with unit_of_work(sessions) as session:
        hit = session.scalar(
            select(Document.id)
            .where((Document.object_key == key) | (Document.content_object_key == key))
            .limit(1)
        )
    return hit is not None
