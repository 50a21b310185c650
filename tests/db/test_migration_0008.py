"""Migration 0008 on a log written by one chain: its entries become chain 0 and verify.

The entries are written at revision 0006 as the single-chain code wrote them (the recipe
of docex.audit.chain, linked from the genesis hash), then the database is upgraded and
the log appended to with the default number of chains.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import column, insert, table, text
from sqlalchemy.exc import DBAPIError

from docex.audit.chain import GENESIS_HASH, entry_hash
from docex.audit.log import Actor, record
from docex.audit.verify import verify_chain
from docex.db import create_engine_from_settings, upgrade
from docex.db.audit import AuditEntry
from docex.db.engine import session_factory, unit_of_work
from docex.domain import ActorKind, Outcome
from docex.settings import Settings


def test_single_chain_entries_become_chain_0_and_the_log_grows_in_several(
    backend_settings: Settings,
) -> None:
    engine = create_engine_from_settings(backend_settings)
    try:
        upgrade(engine, "0006")
        prev = GENESIS_HASH
        rows = []
        for number in range(5):
            fields = {
                "created_at": datetime(2026, 11, 30, 12, number, tzinfo=UTC),
                "actor_kind": "facility",
                "actor_facility_id": number,
                "actor_token_id": None,
                "actor_employee_rnokpp": None,
                "action": "test.before",
                "target_type": None,
                "target_id": None,
                "outcome": "ok",
                "details": {"n": number},
            }
            hash_ = entry_hash(prev, fields)
            rows.append({**fields, "prev_hash": prev, "hash": hash_})
            prev = hash_
        # The table as revision 0006 has it: no chain column.
        names = [c.name for c in AuditEntry.__table__.c if c.name not in ("id", "chain")]
        old = table("audit_entries", *(column(n, AuditEntry.__table__.c[n].type) for n in names))
        with engine.begin() as connection:
            connection.execute(insert(old).values(rows))
        upgrade(engine)
        # The append-only triggers of 0003 survive adding the column (no table rebuild).
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text("UPDATE audit_entries SET action = 'x'"))

        sessions = session_factory(engine)
        with unit_of_work(sessions) as session:
            before = verify_chain(session)
        assert before.ok, before
        assert [(v.chain, v.entries_checked) for v in before.chains] == [(0, 5)]
        for number in range(5):
            with unit_of_work(sessions) as session:
                record(
                    session,
                    actor=Actor(kind=ActorKind.FACILITY, facility_id=100 + number),
                    action="test.after",
                    outcome=Outcome.OK,
                )
        with unit_of_work(sessions) as session:
            after = verify_chain(session)
        assert after.ok, after
        assert after.entries_checked == 10
        assert len(after.chains) > 1
    finally:
        engine.dispose()
