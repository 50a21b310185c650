"""Appending to the audit log: the chain, the recipe, transactions, append-only."""

from __future__ import annotations

import hashlib
import itertools
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import cast

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from docex.audit.chain import GENESIS_HASH
from docex.audit.log import SYSTEM, Actor, record
from docex.audit.verify import verify_chain
from docex.db.audit import AuditEntry
from docex.db.engine import session_factory, unit_of_work
from docex.domain import ActorKind, Outcome, TokenRole
from docex.errors import DatabaseError
from docex.registry.records import Principal
from tests.audit.conftest import all_entries, append
from tests.conftest import Backend


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    """One chain (``DOCEX_AUDIT_CHAINS=1``): these tests are about the links within a
    chain; ``test_shards.py`` spreads entries over several."""
    return session_factory(engine, audit_chains=1)


def test_chain_grows_and_verifies(backend: Backend) -> None:
    with unit_of_work(backend.sessions) as session:
        empty = verify_chain(session)
    assert (empty.ok, empty.entries_checked, empty.head_hash) == (True, 0, GENESIS_HASH)

    ids = append(backend.sessions, 6)
    entries = all_entries(backend.sessions)
    assert [e.id for e in entries] == ids == sorted(ids)
    assert entries[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(entries):
        assert after.prev_hash == before.hash
    assert len({e.hash for e in entries}) == 6

    with unit_of_work(backend.sessions) as session:
        verdict = verify_chain(session, batch=4)
    assert verdict.ok
    assert verdict.entries_checked == 6
    assert verdict.first_broken_id is None
    assert verdict.reason is None
    assert verdict.head_hash == entries[-1].hash


def test_hash_is_the_documented_recipe(backend: Backend) -> None:
    """Re-computed from the module docstring's recipe on the values read back."""
    append(backend.sessions, 2)
    for entry in all_entries(backend.sessions):
        fields = {
            "created_at": entry.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00"),
            "actor_kind": entry.actor_kind.value,
            "actor_facility_id": entry.actor_facility_id,
            "actor_token_id": entry.actor_token_id,
            "actor_employee_rnokpp": entry.actor_employee_rnokpp,
            "action": entry.action,
            "target_type": entry.target_type,
            "target_id": entry.target_id,
            "outcome": entry.outcome.value,
            "details": entry.details,
        }
        body = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        expected = hashlib.sha256(entry.prev_hash.encode() + body.encode("utf-8")).hexdigest()
        assert entry.hash == expected
        assert "направлення ✓".encode() in body.encode("utf-8")


def test_entry_keeps_who_what_when_and_outcome(backend: Backend) -> None:
    moment = datetime(2026, 11, 24, 9, 30, 0, 123456, tzinfo=UTC)
    principal = Principal(
        token_id=11, role=TokenRole.FACILITY, facility_id=5, facility_edrpou="38291045"
    )
    with unit_of_work(backend.sessions) as session:
        record(
            session,
            actor=Actor.from_principal(principal, employee_rnokpp="3012345678"),
            action="document.submit",
            outcome="ok",
            target_type="document",
            target_id="d-1",
            details={"sha256": "ab" * 32},
            now=moment.astimezone(timezone(timedelta(hours=2))),
        )
    (entry,) = all_entries(backend.sessions)
    assert entry.created_at == moment
    assert entry.created_at.tzinfo is not None
    assert (entry.actor_kind, entry.actor_facility_id, entry.actor_token_id) == (
        ActorKind.FACILITY,
        5,
        11,
    )
    assert entry.actor_employee_rnokpp == "3012345678"
    assert (entry.action, entry.outcome) == ("document.submit", Outcome.OK)
    assert (entry.target_type, entry.target_id, entry.details) == (
        "document",
        "d-1",
        {"sha256": "ab" * 32},
    )


def test_auditor_actor_has_no_facility() -> None:
    auditor = Principal(token_id=2, role=TokenRole.AUDITOR, facility_id=None, facility_edrpou=None)
    assert Actor.from_principal(auditor) == Actor(kind=ActorKind.AUDITOR, token_id=2)


def test_rolled_back_transaction_leaves_no_entry(backend: Backend) -> None:
    append(backend.sessions, 2)

    class RolledBackError(Exception):
        pass

    def submit_then_fail() -> None:
        with unit_of_work(backend.sessions) as session:
            record(session, actor=SYSTEM, action="document.submit", outcome=Outcome.OK)
            raise RolledBackError

    with pytest.raises(RolledBackError):
        submit_then_fail()
    entries = all_entries(backend.sessions)
    assert [e.action for e in entries] == ["test.event", "test.event"]
    # The next append links to the last committed entry, whatever id it gets.
    append(backend.sessions, 1, action="after")
    with unit_of_work(backend.sessions) as session:
        assert verify_chain(session).ok


def test_several_entries_in_one_transaction(backend: Backend) -> None:
    with unit_of_work(backend.sessions) as session:
        first = record(session, actor=SYSTEM, action="a", outcome=Outcome.OK)
        second = record(session, actor=SYSTEM, action="b", outcome=Outcome.ERROR)
        assert second.prev_hash == first.hash
    with unit_of_work(backend.sessions) as session:
        assert verify_chain(session).entries_checked == 2


def test_details_must_survive_the_database() -> None:
    from docex.audit.chain import check_details

    with pytest.raises(TypeError, match=r"details\.ratio is a float"):
        check_details({"ratio": 0.5})
    with pytest.raises(TypeError, match="non-string key"):
        check_details({1: "x"})
    check_details({"a": [1, "b", None, True, {"c": []}]})


def test_oversized_details_and_naive_times_are_refused(backend: Backend) -> None:
    with unit_of_work(backend.sessions) as session:
        with pytest.raises(ValueError, match="exceed"):
            record(session, actor=SYSTEM, action="x", outcome="ok", details={"s": "x" * 9000})
        with pytest.raises(ValueError, match="naive"):
            record(session, actor=SYSTEM, action="x", outcome="ok", now=datetime(2026, 1, 1))  # noqa: DTZ001
        with pytest.raises(ValueError, match="not a valid Outcome"):
            record(session, actor=SYSTEM, action="x", outcome="fine")
    assert all_entries(backend.sessions) == []


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_entries SET details = '{}'",
        "UPDATE audit_entries SET hash = prev_hash",
        "DELETE FROM audit_entries",
    ],
)
def test_database_refuses_changes_to_entries(backend: Backend, statement: str) -> None:
    append(backend.sessions, 2)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        unit_of_work(backend.sessions) as session,
    ):
        session.execute(text(statement))
    with unit_of_work(backend.sessions) as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 2
        assert verify_chain(session).ok


# SQLite has no TRUNCATE (its DELETE without WHERE fires the delete trigger, tested above).
@pytest.mark.parametrize("backend_name", ["postgres-s3"])
def test_postgres_refuses_truncate(backend: Backend) -> None:
    append(backend.sessions, 1)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        unit_of_work(backend.sessions) as session,
    ):
        session.execute(text("TRUNCATE audit_entries"))


def test_several_entries_in_one_transaction_chain_in_order(backend: Backend) -> None:
    with unit_of_work(backend.sessions) as session:
        first = record(session, actor=SYSTEM, action="test.one", outcome=Outcome.OK)
        second = record(session, actor=SYSTEM, action="test.two", outcome=Outcome.OK)
        third = record(session, actor=SYSTEM, action="test.three", outcome=Outcome.OK)
        # Chained at commit. The column is NOT NULL, so the model types the attribute str;
        # until the commit it is still None.
        assert cast("str | None", first.hash) is None
    assert (second.prev_hash, third.prev_hash) == (first.hash, second.hash)
    assert first.id < second.id < third.id
    with unit_of_work(backend.sessions) as session:
        fourth = record(session, actor=SYSTEM, action="test.four", outcome=Outcome.OK)
    assert fourth.prev_hash == third.hash
    with unit_of_work(backend.sessions) as session:
        assert verify_chain(session).ok
    assert [e.hash for e in all_entries(backend.sessions)] == [
        e.hash for e in (first, second, third, fourth)
    ]


def test_an_entry_rolled_back_with_a_savepoint_is_not_chained_to(backend: Backend) -> None:
    with unit_of_work(backend.sessions) as session:
        kept = record(session, actor=SYSTEM, action="test.kept", outcome=Outcome.OK)
        savepoint = session.begin_nested()
        record(session, actor=SYSTEM, action="test.undone", outcome=Outcome.OK)
        savepoint.rollback()
        after = record(session, actor=SYSTEM, action="test.after", outcome=Outcome.OK)
    assert after.prev_hash == kept.hash
    with unit_of_work(backend.sessions) as session:
        assert verify_chain(session).ok
    assert [e.action for e in all_entries(backend.sessions)] == ["test.kept", "test.after"]


def test_one_session_forgets_a_rolled_back_transactions_entries(backend: Backend) -> None:
    session = backend.sessions()
    try:
        record(session, actor=SYSTEM, action="test.undone", outcome=Outcome.OK)
        session.rollback()
        kept = record(session, actor=SYSTEM, action="test.kept", outcome=Outcome.OK)
        session.commit()
        released = record(session, actor=SYSTEM, action="test.released", outcome=Outcome.OK)
        savepoint = session.begin_nested()
        record(session, actor=SYSTEM, action="test.in-savepoint", outcome=Outcome.OK)
        savepoint.commit()  # released: its entry waits for the transaction's commit
        session.commit()
    finally:
        session.close()
    entries = all_entries(backend.sessions)
    assert [e.action for e in entries] == ["test.kept", "test.released", "test.in-savepoint"]
    assert (kept.prev_hash, released.prev_hash) == (GENESIS_HASH, kept.hash)
    with unit_of_work(backend.sessions) as session:
        assert verify_chain(session).ok
