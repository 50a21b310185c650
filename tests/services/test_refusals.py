"""Refused unknown tokens, counted per window and audited as one entry per key."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import sessionmaker

from docex.db.audit import AuditEntry
from docex.db.engine import unit_of_work
from docex.errors import DatabaseError
from docex.services.refusals import (
    MAX_KEYS,
    MAX_LOOKUP_IDS,
    OTHER_CLIENTS,
    TOKEN_REFUSED_AGGREGATE,
    RefusalCounter,
    RefusalFlushing,
)
from tests.conftest import Backend

T0 = datetime(2026, 12, 1, 10, 0, 0, tzinfo=UTC)


def _aggregates(backend: Backend) -> list[dict[str, Any]]:
    with unit_of_work(backend.sessions) as session:
        return [
            dict(entry.details)
            for entry in session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == TOKEN_REFUSED_AGGREGATE)
                .order_by(AuditEntry.id)
            )
        ]


def test_refusals_are_written_once_per_window_client_and_reason(backend: Backend) -> None:
    counter = RefusalCounter(window=60)
    for second in range(30):
        counter.count(
            client="192.0.2.1",
            reason="unknown",
            lookup_id=f"{second:016x}",
            path="/api/v1/documents",
            at=T0 + timedelta(seconds=second),
        )
    counter.count(client="192.0.2.1", reason="malformed", lookup_id=None, path="/x", at=T0)
    counter.count(client="192.0.2.9", reason="unknown", lookup_id=None, path="/x", at=T0)
    # The next window's refusal stays counted until that window is over too.
    later = T0 + timedelta(seconds=61)
    counter.count(client="192.0.2.1", reason="unknown", lookup_id=None, path="/x", at=later)
    assert counter.pending() == 33

    assert counter.flush(sessions=backend.sessions, now=T0 + timedelta(seconds=59)) == []
    written = counter.flush(sessions=backend.sessions, now=T0 + timedelta(seconds=60))
    assert [(w.client, w.reason, w.count) for w in written] == [
        ("192.0.2.1", "malformed", 1),
        ("192.0.2.1", "unknown", 30),
        ("192.0.2.9", "unknown", 1),
    ]
    assert counter.pending() == 1
    first = _aggregates(backend)[1]
    assert first["count"] == 30
    assert first["window_start"] == "2026-12-01T10:00:00+00:00"
    assert first["window_end"] == "2026-12-01T10:01:00+00:00"
    assert first["first_at"] == "2026-12-01T10:00:00+00:00"
    assert first["last_at"] == "2026-12-01T10:00:29+00:00"
    # At most MAX_LOOKUP_IDS ids are kept; the rest are only counted.
    assert first["lookup_ids"] == [f"{n:016x}" for n in range(MAX_LOOKUP_IDS)]
    assert first["lookup_ids_dropped"] == 30 - MAX_LOOKUP_IDS
    assert first["paths"] == ["/api/v1/documents"]

    # At shutdown everything still counted is written, finished window or not.
    (last,) = counter.flush(sessions=backend.sessions, now=later, final=True)
    assert (last.window_start, last.count) == (T0 + timedelta(seconds=60), 1)
    assert counter.pending() == 0
    assert len(_aggregates(backend)) == 4


def test_past_the_key_bound_clients_are_counted_together(backend: Backend) -> None:
    counter = RefusalCounter(window=60)
    for number in range(MAX_KEYS + 50):
        counter.count(
            client=f"2001:db8::{number:x}", reason="unknown", lookup_id=None, path="/x", at=T0
        )
    written = counter.flush(sessions=backend.sessions, final=True)
    assert len(written) == MAX_KEYS + 1
    (other,) = [w for w in written if w.client == OTHER_CLIENTS]
    assert other.count == 50
    assert sum(w.count for w in written) == MAX_KEYS + 50


def test_counts_survive_a_database_that_refuses_the_flush(backend: Backend, tmp_path: Path) -> None:
    counter = RefusalCounter(window=60)
    counter.count(client="192.0.2.1", reason="unknown", lookup_id="ab" * 8, path="/x", at=T0)
    # A database without the audit table: the flush fails, the count waits.
    broken = sessionmaker(create_engine(f"sqlite:///{tmp_path / 'empty.db'}"))
    with pytest.raises(DatabaseError):
        counter.flush(sessions=broken, final=True)
    assert counter.pending() == 1
    counter.count(client="192.0.2.1", reason="unknown", lookup_id="cd" * 8, path="/y", at=T0)
    (written,) = counter.flush(sessions=backend.sessions, final=True)
    assert written.count == 2
    (details,) = _aggregates(backend)
    assert details["lookup_ids"] == ["ab" * 8, "cd" * 8]
    assert details["paths"] == ["/x", "/y"]


def test_the_flushing_thread_writes_finished_windows_and_the_rest_at_stop(
    backend: Backend,
) -> None:
    counter = RefusalCounter(window=1)
    job = RefusalFlushing(counter=counter, sessions=backend.sessions)
    job.start()
    try:
        counter.count(client="192.0.2.1", reason="unknown", lookup_id=None, path="/x")
        deadline = time.monotonic() + 10
        while not _aggregates(backend):
            assert time.monotonic() < deadline, "no aggregate written on the timer"
            time.sleep(0.05)
        counter.count(client="192.0.2.2", reason="malformed", lookup_id=None, path="/x")
    finally:
        job.stop()
    assert counter.pending() == 0
    assert {(d["client"], d["reason"]) for d in _aggregates(backend)} == {
        ("192.0.2.1", "unknown"),
        ("192.0.2.2", "malformed"),
    }


def test_a_window_must_be_a_second_at_least() -> None:
    with pytest.raises(ValueError, match="at least one second"):
        RefusalCounter(window=0)
