"""Reconciling the object store with the database: ``docex storage reconcile``.

Submission writes objects before it commits the document row, so a failed or interrupted
commit leaves an object nobody references. Such orphans are harmless (content-addressed,
never served) and are removed here once they are older than a grace period, which protects
submissions still in flight: their objects are written but their rows not yet committed.

A removal cannot race a submission that is committing the same bytes. Every put, also one
that finds the bytes already stored, leaves the object "written now" (a deduplicated put
refreshes its age), and the removal goes through :meth:`ObjectStore.remove_orphan`, which
keeps an object written or refreshed since ``start - grace`` and is atomic against a
concurrent put (see :mod:`docex.storage.base`). So, for a submission whose put returned
before its commit: either that put's refresh precedes the removal's check, and the object
stays; or the removal came first, and the put stored the bytes again (or failed, and the
submission with it). A reference read here before that commit therefore never costs the
committed document its bytes. What is assumed is that a submission commits within ``grace``
of its put; the default hour is far beyond the seconds one takes.

The opposite — a row whose object is missing — cannot arise from docex's own order of
writes; if it is found (someone deleted objects by hand), it is reported, never "fixed".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from docex.clock import now_or
from docex.db.documents import Document
from docex.db.engine import unit_of_work
from docex.errors import ObjectNotFoundError
from docex.storage.base import ObjectStore

log = logging.getLogger("docex.reconcile")

DEFAULT_GRACE = timedelta(hours=1)
OBJECT_PREFIX = "sha256/"

# Every column of a document row that names an object in the store.
_KEY_COLUMNS = (
    Document.object_key,
    Document.content_object_key,
    Document.manifest_object_key,
)


@dataclass
class ReconcileReport:
    """What a reconciliation found and did."""

    objects_seen: int = 0
    orphans: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    too_recent: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    """Orphans old when listed but written again (a retried upload) or referenced by the
    time of removal, and so left in place."""
    missing: list[str] = field(default_factory=list)
    """Keys referenced by documents but absent from the store (data loss to investigate)."""
    cleared_markers: list[str] = field(default_factory=list)
    """Keys whose leftover removal marker (from a reconcile that died midway) was cleared."""


def reconcile_storage(
    *,
    sessions: sessionmaker[Session],
    store: ObjectStore,
    grace: timedelta = DEFAULT_GRACE,
    dry_run: bool = False,
    now: datetime | None = None,
) -> ReconcileReport:
    """Remove unreferenced objects older than ``grace``; report referenced ones that are gone.

    ``now`` (timezone-aware) fixes the start of the run, for tests; objects written or
    refreshed at or after ``now - grace`` are kept.
    """
    moment = now_or(now)
    cutoff = moment - grace
    report = ReconcileReport()
    if not dry_run:
        # A removal takes milliseconds; a marker older than the grace period is a leftover.
        report.cleared_markers = store.clear_stale_markers(older_than=cutoff)
    with unit_of_work(sessions) as session:
        rows = session.execute(select(*_KEY_COLUMNS)).all()
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
        if info.modified_at >= cutoff:
            report.too_recent.append(key)
            continue
        # Check again just before removing: a submission may have committed since the
        # reference list was read. Not needed for safety (remove_orphan keeps what a
        # recent put touched) but it spares a committed document's object the attempt.
        if _is_referenced(sessions, key):
            report.kept.append(key)
            continue
        if dry_run:
            report.removed.append(key)
            continue
        if store.remove_orphan(key, unchanged_since=cutoff):
            log.info("removed orphan object %s (%d bytes)", key, info.size)
            report.removed.append(key)
        else:
            report.kept.append(key)
    report.missing = sorted(referenced - present)
    for key in report.missing:
        log.error("document object %s is missing from the store", key)
    return report


def _is_referenced(sessions: sessionmaker[Session], key: str) -> bool:
    with unit_of_work(sessions) as session:
        hit = session.scalar(
            select(Document.id)
            .where(
                (Document.object_key == key)
                | (Document.content_object_key == key)
                | (Document.manifest_object_key == key)
            )
            .limit(1)
        )
    return hit is not None
