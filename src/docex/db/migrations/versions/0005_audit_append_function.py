"""Audit log: append entries in one call on PostgreSQL (``docex_audit_append``).

Appending to the hash chain needs the log's append lock, the current head and the insert,
in that order; made as separate statements from the application, the lock is held over
several round trips and every audited request in every worker queues behind it. This
function does all three in one call, so that the lock is held from that call to the
commit that follows it (see :mod:`docex.audit.log`).

It hashes exactly as :func:`docex.audit.chain.entry_hash` does: the caller passes each
entry's canonical JSON (``hashed``) alongside its column values (``entries``), and the
function chains ``SHA-256(prev_hash || canonical JSON)``. The columns are what is stored
and what ``docex audit verify`` re-hashes, so a caller whose JSON did not match its
columns would only write entries that verification reports as broken.

SQLite, one writer at a time by design, keeps appending from Python.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 17:10:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PG_APPEND = """
CREATE FUNCTION docex_audit_append(lock_key bigint, entries jsonb, hashed bytea[])
RETURNS TABLE (entry_id bigint, entry_prev_hash varchar, entry_hash varchar)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    head varchar;
    entry jsonb;
BEGIN
    IF jsonb_array_length(entries) <> coalesce(array_length(hashed, 1), 0) THEN
        RAISE EXCEPTION 'docex_audit_append: % entries but % hashes',
            jsonb_array_length(entries), coalesce(array_length(hashed, 1), 0);
    END IF;
    -- Each statement of a VOLATILE function takes a new snapshot, so the head read
    -- after the lock sees the entries of the transaction that held it before.
    PERFORM pg_advisory_xact_lock(lock_key);
    SELECT a.hash INTO head FROM audit_entries AS a ORDER BY a.id DESC LIMIT 1;
    head := coalesce(head, repeat('0', 64));
    FOR i IN 1 .. jsonb_array_length(entries) LOOP
        entry := entries -> (i - 1);
        entry_prev_hash := head;
        entry_hash := encode(sha256(convert_to(head, 'UTF8') || hashed[i]), 'hex');
        INSERT INTO audit_entries (
            created_at, actor_kind, actor_facility_id, actor_token_id,
            actor_employee_rnokpp, action, target_type, target_id, outcome, details,
            prev_hash, hash
        ) VALUES (
            (entry ->> 'created_at')::timestamptz,
            entry ->> 'actor_kind',
            (entry ->> 'actor_facility_id')::integer,
            (entry ->> 'actor_token_id')::integer,
            entry ->> 'actor_employee_rnokpp',
            entry ->> 'action',
            entry ->> 'target_type',
            entry ->> 'target_id',
            entry ->> 'outcome',
            entry -> 'details',
            entry_prev_hash,
            entry_hash
        ) RETURNING id INTO entry_id;
        head := entry_hash;
        RETURN NEXT;
    END LOOP;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_APPEND)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION docex_audit_append(bigint, jsonb, bytea[])")
