"""Where the audit log's commit hooks live: on the factory of the session recorded in.

Recording chains the entry at commit through hooks on the session factory; they must not
leak onto SQLAlchemy's ``Session`` (every session of the process) nor onto a factory
whose sessions never recorded anything.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from docex.audit import log
from docex.audit.log import SYSTEM, record
from docex.db.audit import AuditEntry
from docex.db.engine import session_factory, unit_of_work
from docex.domain import Outcome


def _hooked(session: Session) -> bool:
    # What the session will call at commit; ``event.contains`` is not asked, as it goes
    # by id() and a collected factory class from an earlier test may have left its id.
    return log._append_pending in list(session.dispatch.before_commit)


def _new_session_is_hooked(sessions: sessionmaker[Session]) -> bool:
    with sessions() as session:
        return _hooked(session)


def _count(engine: Engine) -> int:
    with unit_of_work(session_factory(engine)) as session:
        return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def test_first_record_hooks_its_own_factory_only(engine: Engine) -> None:
    recording, bystander = session_factory(engine), session_factory(engine)
    with unit_of_work(recording) as session:
        entry = record(session, actor=SYSTEM, action="test.hooked", outcome=Outcome.OK)
        # The session was built before its factory had the hooks; it has them now.
        assert _hooked(session)
    assert entry.id is not None
    assert entry.hash is not None
    assert _count(engine) == 1
    assert _new_session_is_hooked(recording)
    assert not _new_session_is_hooked(bystander)
    with Session(engine) as bare:
        assert not _hooked(bare)


def test_hooks_are_attached_once_per_factory(engine: Engine) -> None:
    sessions = session_factory(engine)
    for number in range(3):
        with unit_of_work(sessions) as session:
            record(session, actor=SYSTEM, action=f"test.once.{number}", outcome=Outcome.OK)
    # Attached twice, an entry would be chained and inserted twice.
    assert _count(engine) == 3


def test_bare_session_is_refused(engine: Engine) -> None:
    with (
        Session(engine) as session,
        pytest.raises(
            TypeError,
            match=r"^record audit entries in a session of a sessionmaker, not a bare Session$",
        ),
    ):
        record(session, actor=SYSTEM, action="test.bare", outcome=Outcome.OK)
