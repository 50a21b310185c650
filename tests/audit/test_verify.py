"""The chain check finds edited, deleted, reordered and truncated history.

Each test changes ``audit_entries`` with plain SQL as the database owner, going around
the append-only triggers, and shows that ``verify_chain`` names the first broken entry.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from docex.audit.chain import entry_hash, hashed_fields
from docex.audit.verify import LogVerdict, verify_chain
from docex.db.engine import session_factory, unit_of_work
from tests.audit.conftest import all_entries, append
from tests.audit.tamper import tamper
from tests.conftest import Backend


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    """One chain (``DOCEX_AUDIT_CHAINS=1``): these tests are about the links within a
    chain; ``test_shards.py`` spreads entries over several."""
    return session_factory(engine, audit_chains=1)


def check(backend: Backend, **kwargs: object) -> LogVerdict:
    with unit_of_work(backend.sessions) as session:
        return verify_chain(session, batch=3, **kwargs)  # type: ignore[arg-type]


def test_edited_details_are_caught_at_that_entry(backend: Backend) -> None:
    ids = append(backend.sessions, 8)
    assert check(backend).ok
    victim = ids[4]
    details = json.dumps({"n": 4, "note": "nothing to see", "nested": {"b": []}})
    changed = tamper(
        backend.engine,
        "UPDATE audit_entries SET details = :details WHERE id = :id",
        details=details,
        id=victim,
    )
    assert changed == 1
    assert all_entries(backend.sessions)[4].details["note"] == "nothing to see"

    verdict = check(backend)
    assert not verdict.ok
    assert verdict.first_broken_id == victim
    assert verdict.entries_checked == 5
    assert verdict.reason == "chain 0: its content does not match its hash: it was changed"
    assert verdict.head_hash == all_entries(backend.sessions)[3].hash


def test_edited_actor_is_caught(backend: Backend) -> None:
    ids = append(backend.sessions, 4)
    tamper(
        backend.engine,
        "UPDATE audit_entries SET actor_facility_id = 999 WHERE id = :id",
        id=ids[0],
    )
    assert check(backend).first_broken_id == ids[0]


def test_edit_with_recomputed_hash_is_caught_at_the_next_entry(backend: Backend) -> None:
    ids = append(backend.sessions, 5)
    entry = all_entries(backend.sessions)[2]
    forged = {**hashed_fields(vars(entry)), "outcome": "ok", "action": "forged"}
    new_hash = entry_hash(entry.prev_hash, forged)
    tamper(
        backend.engine,
        "UPDATE audit_entries SET action = 'forged', outcome = 'ok', hash = :h WHERE id = :id",
        h=new_hash,
        id=ids[2],
    )
    verdict = check(backend)
    assert verdict.first_broken_id == ids[3]
    assert verdict.reason is not None
    assert verdict.reason.startswith(
        f"chain 0: its prev_hash does not match the hash of entry {ids[2]}"
    )


def test_deleted_entry_is_caught_at_the_next(backend: Backend) -> None:
    ids = append(backend.sessions, 6)
    assert tamper(backend.engine, "DELETE FROM audit_entries WHERE id = :id", id=ids[3]) == 1
    verdict = check(backend)
    assert not verdict.ok
    assert verdict.first_broken_id == ids[4]
    assert f"hash of entry {ids[2]}" in (verdict.reason or "")


def test_deleted_first_entry_is_caught(backend: Backend) -> None:
    ids = append(backend.sessions, 3)
    tamper(backend.engine, "DELETE FROM audit_entries WHERE id = :id", id=ids[0])
    verdict = check(backend)
    assert verdict.first_broken_id == ids[1]
    assert verdict.reason == (
        "chain 0: its prev_hash is not the genesis hash of its chain: entries before it are "
        "missing, or it was moved from another chain"
    )


def test_reordered_entries_are_caught(backend: Backend) -> None:
    ids = append(backend.sessions, 5)
    # Swap the positions of entries 2 and 3 (0-based) by swapping their ids.
    for old, new in ((ids[2], -1), (ids[3], ids[2]), (-1, ids[3])):
        tamper(
            backend.engine, "UPDATE audit_entries SET id = :new WHERE id = :old", new=new, old=old
        )
    verdict = check(backend)
    assert verdict.first_broken_id == ids[2]


def test_truncated_tail_is_caught_only_with_an_anchor(backend: Backend) -> None:
    append(backend.sessions, 5)
    anchor = check(backend).head_hash
    assert check(backend, anchor=anchor).ok
    append(backend.sessions, 1)
    assert check(backend, anchor=anchor).ok  # the anchor is still in the longer chain
    last = all_entries(backend.sessions)[-2:]
    tamper(
        backend.engine,
        "DELETE FROM audit_entries WHERE id >= :id",
        id=last[0].id,
    )
    assert check(backend).ok  # a shorter chain is consistent in itself...
    verdict = check(backend, anchor=anchor)
    assert not verdict.ok  # ...but the noted head is gone
    assert verdict.first_broken_id is None
    assert "anchor" in (verdict.reason or "")


def test_inserted_entry_is_caught(backend: Backend) -> None:
    ids = append(backend.sessions, 3)
    first = all_entries(backend.sessions)[0]
    # A well-formed, self-consistent entry claiming to follow the first one, slipped in
    # before the second (whose id is moved out of the way).
    forged = {
        "created_at": first.created_at,
        "actor_kind": "system",
        "actor_facility_id": None,
        "actor_token_id": None,
        "actor_employee_rnokpp": None,
        "action": "forged",
        "target_type": None,
        "target_id": None,
        "outcome": "ok",
        "details": {},
    }
    tamper(backend.engine, "UPDATE audit_entries SET id = id + 100 WHERE id > :id", id=ids[0])
    tamper(
        backend.engine,
        "INSERT INTO audit_entries (id, created_at, actor_kind, action, outcome, details,"
        " prev_hash, hash) VALUES (:id, :created_at, 'system', 'forged', 'ok', '{}',"
        " :prev, :hash)",
        id=ids[0] + 1,
        created_at=first.created_at,
        prev=first.hash,
        hash=entry_hash(first.hash, forged),
    )
    verdict = check(backend)
    # The forged entry passes; the real entry after it no longer links.
    assert verdict.entries_checked == 3
    assert verdict.first_broken_id == ids[1] + 100
    assert f"hash of entry {ids[0] + 1}" in (verdict.reason or "")
