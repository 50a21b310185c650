"""The operator's check and export of the audit chain, and that neither adds to it."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session, sessionmaker

from docex.audit.export import verify_export
from docex.audit.log import SYSTEM
from docex.services.audit_chain import export_audit_trail, verify_audit_chain
from docex.services.facilities import add_facility
from tests.services.conftest import audit_entries


def _three_entries(sessions: sessionmaker[Session]) -> None:
    for n in range(3):
        add_facility(sessions=sessions, actor=SYSTEM, edrpou=f"1000000{n}", name=f"F{n}")


def test_verify_reports_the_head_and_adds_nothing(sessions: sessionmaker[Session]) -> None:
    _three_entries(sessions)
    verdict = verify_audit_chain(sessions=sessions)
    head = audit_entries(sessions)[-1]
    assert (verdict.ok, verdict.entries_checked, verdict.head_hash) == (True, 3, head.hash)
    assert verify_audit_chain(sessions=sessions, anchor=head.hash).ok
    assert len(audit_entries(sessions)) == 3


def test_export_counts_first_and_steps_once_per_entry(sessions: sessionmaker[Session]) -> None:
    _three_entries(sessions)
    seen: list[str] = []

    @contextmanager
    def progress(total: int) -> Iterator[Callable[[], None]]:
        seen.append(f"total {total}")
        yield lambda: seen.append("step")
        seen.append("done")

    out = io.StringIO()
    written = export_audit_trail(sessions=sessions, out=out, progress=progress)
    assert written == 3
    assert seen == ["total 3", "step", "step", "step", "done"]
    assert verify_export(out.getvalue().splitlines()).entries_checked == 3
    assert len(audit_entries(sessions)) == 3


def test_export_since_later_writes_nothing(sessions: sessionmaker[Session]) -> None:
    _three_entries(sessions)
    last = audit_entries(sessions)[-1].created_at
    out = io.StringIO()
    later = last.replace(year=last.year + 1)
    assert export_audit_trail(sessions=sessions, out=out, since=later) == 0
    assert out.getvalue() == ""
