"""Audit log: several chains, each with its own head and append lock.

Every entry gets a ``chain`` (entries written before this revision are chain 0, whose
links are unchanged), an index on ``(chain, id)`` finds a chain's head, and the table
``audit_chain_config`` holds how many chains the log has, written by the first append
after this revision and fixed from then on (see :mod:`docex.audit.shards`).

``id`` stays one sequence for the whole log: taking the next value of a sequence is not
a lock, so writers to different chains do not wait for one another on it, and one
sequence keeps ids unique and roughly in time order across chains. The position of an
entry within its chain is its rank by ``id`` among the chain's entries, which agrees with
the ``prev_hash`` links because the id is drawn under the chain's lock.

``docex_audit_append`` is replaced by a version that takes the requested number of
chains and each entry's chain: it records the number on the first append (refusing,
with SQLSTATE ``DXA01``, a number other than the one recorded once the log has entries),
takes the advisory lock of each chain the transaction appends to, in ascending order so
that two transactions cannot deadlock, and chains each entry after its chain's head.
Processes still running the previous version call a function that no longer exists and
fail loudly rather than write a single-chain entry into a sharded log.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-01 19:30:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import import_module

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PG_APPEND = """
CREATE FUNCTION docex_audit_append(
    lock_base bigint, chains integer, entry_chains integer[], entries jsonb, hashed bytea[]
)
RETURNS TABLE (entry_id bigint, entry_prev_hash varchar, entry_hash varchar)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    stored integer;
    heads jsonb := '{}'::jsonb;
    head varchar;
    chain_no integer;
    entry jsonb;
BEGIN
    IF jsonb_array_length(entries) <> coalesce(array_length(hashed, 1), 0)
       OR jsonb_array_length(entries) <> coalesce(array_length(entry_chains, 1), 0) THEN
        RAISE EXCEPTION 'docex_audit_append: % entries, % hashes, % chains',
            jsonb_array_length(entries), coalesce(array_length(hashed, 1), 0),
            coalesce(array_length(entry_chains, 1), 0);
    END IF;
    SELECT c.chains INTO stored FROM audit_chain_config AS c WHERE c.id = 1;
    IF NOT FOUND THEN
        INSERT INTO audit_chain_config (id, chains) VALUES (1, chains) ON CONFLICT DO NOTHING;
        SELECT c.chains INTO stored FROM audit_chain_config AS c WHERE c.id = 1;
    END IF;
    IF stored <> chains THEN
        RAISE EXCEPTION 'the audit log has % chains; DOCEX_AUDIT_CHAINS is %', stored, chains
            USING ERRCODE = 'DXA01';
    END IF;
    -- Each chain's lock, in ascending order: two transactions appending to the same two
    -- chains take them in the same order and cannot deadlock. Each statement of a
    -- VOLATILE function takes a new snapshot, so a head read after its lock sees the
    -- entries of the transaction that held the lock before.
    FOR chain_no IN SELECT DISTINCT u FROM unnest(entry_chains) AS u ORDER BY u LOOP
        IF chain_no < 0 OR chain_no >= stored THEN
            RAISE EXCEPTION 'docex_audit_append: no chain % of %', chain_no, stored;
        END IF;
        PERFORM pg_advisory_xact_lock(lock_base + chain_no);
        SELECT a.hash INTO head FROM audit_entries AS a
            WHERE a.chain = chain_no ORDER BY a.id DESC LIMIT 1;
        -- An empty chain has no head yet (and jsonb_set with a NULL value is NULL).
        IF head IS NOT NULL THEN
            heads := jsonb_set(heads, ARRAY[chain_no::text], to_jsonb(head));
        END IF;
    END LOOP;
    FOR i IN 1 .. jsonb_array_length(entries) LOOP
        entry := entries -> (i - 1);
        chain_no := entry_chains[i];
        -- The chain's genesis as docex.audit.shards.chain_genesis gives it.
        entry_prev_hash := coalesce(
            heads ->> chain_no::text,
            CASE WHEN chain_no = 0 THEN repeat('0', 64)
                 ELSE encode(sha256(convert_to('docex-audit-chain/' || chain_no, 'UTF8')), 'hex')
            END
        );
        entry_hash := encode(sha256(convert_to(entry_prev_hash, 'UTF8') || hashed[i]), 'hex');
        INSERT INTO audit_entries (
            created_at, actor_kind, actor_facility_id, actor_token_id,
            actor_employee_rnokpp, action, target_type, target_id, outcome, details,
            chain, prev_hash, hash
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
            chain_no,
            entry_prev_hash,
            entry_hash
        ) RETURNING id INTO entry_id;
        heads := jsonb_set(heads, ARRAY[chain_no::text], to_jsonb(entry_hash));
        RETURN NEXT;
    END LOOP;
END
$$
"""

_PG_APPEND_0005 = "DROP FUNCTION docex_audit_append(bigint, jsonb, bytea[])"


def upgrade() -> None:
    # A plain ADD COLUMN, not a batch: on SQLite a batch rebuilds the table, and the
    # rebuilt table would lose the append-only triggers of migration 0003.
    op.add_column(
        "audit_entries",
        sa.Column("chain", sa.SmallInteger(), server_default="0", nullable=False),
    )
    op.create_index("ix_audit_entries_chain_id", "audit_entries", ["chain", "id"], unique=False)
    op.create_table(
        "audit_chain_config",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chains", sa.Integer(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_audit_chain_config_single_row")),
        sa.CheckConstraint("chains >= 1", name=op.f("ck_audit_chain_config_chains_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_config")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_APPEND_0005)
        op.execute(_PG_APPEND)


def downgrade() -> None:
    # Only a log whose entries are all chain 0 fits the single chain again; others keep
    # their chain numbers nowhere, and their links would no longer verify.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION docex_audit_append(bigint, integer, integer[], jsonb, bytea[])")
        previous = import_module("docex.db.migrations.versions.0005_audit_append_function")
        op.execute(previous._PG_APPEND)
    op.drop_table("audit_chain_config")
    op.drop_index("ix_audit_entries_chain_id", table_name="audit_entries")
    op.drop_column("audit_entries", "chain")
